package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

// sandboxCall sends one JSON request to the running sandbox.
func sandboxCall(t *testing.T, method, url string, body any, hdr ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	r, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func TestSandboxCommand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	outR, outW := io.Pipe()
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		c := run(ctx, []string{"sandbox", "--addr", "127.0.0.1:0", "--limits", "off"}, outW, &stderr)
		outW.Close()
		code <- c
	}()
	rd := bufio.NewReader(outR)
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatalf("no JSON line: %v (stderr: %s)", err, stderr.String())
	}
	var info map[string]string
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	for _, k := range []string{"base_url", "app_id", "client_id", "client_secret", "merchant_id", "access_token", "pakms_key", "webhook_auth_code", "hco_signing_secret"} {
		if info[k] == "" {
			t.Errorf("missing %s in %s", k, line)
		}
	}
	base, auth := info["base_url"], "Bearer "+info["access_token"]
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Fatalf("base_url %q", base)
	}

	st, body := sandboxCall(t, "GET", base+"/pakms/apikey", nil, "Authorization", auth)
	var key clover.PAKMSKey
	if json.Unmarshal(body, &key); st != 200 || key.APIAccessKey != info["pakms_key"] {
		t.Fatalf("pakms %d %s", st, body)
	}
	st, body = sandboxCall(t, "POST", base+"/v1/tokens", clover.TokenParams{Card: &clover.CardDetails{
		Number: "4242424242424242", ExpMonth: "12", ExpYear: "2034", CVV: "123"}}, "apikey", key.APIAccessKey)
	var tok clover.Token
	if json.Unmarshal(body, &tok); st != 200 || tok.ID == "" {
		t.Fatalf("token %d %s", st, body)
	}
	st, body = sandboxCall(t, "POST", base+"/v1/charges", clover.ChargeParams{Amount: 2500, Currency: "usd", Source: tok.ID},
		"Authorization", auth, "idempotency-key", "e2e-1")
	var ch clover.Charge
	if json.Unmarshal(body, &ch); st != 200 || ch.Status != "succeeded" {
		t.Fatalf("charge %d %s", st, body)
	}
	st, body = sandboxCall(t, "POST", base+"/v1/refunds", clover.RefundParams{Charge: ch.ID, Amount: 1000}, "Authorization", auth)
	var rf clover.Refund
	if json.Unmarshal(body, &rf); st != 200 || rf.Amount != 1000 {
		t.Fatalf("refund %d %s", st, body)
	}
	st, body = sandboxCall(t, "GET", base+"/_sim/ledger", nil)
	if st != 200 || !strings.Contains(string(body), `"net":1500`) {
		t.Errorf("ledger %d %s", st, body)
	}

	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("exit code %d; stderr %s", c, stderr.String())
	}
	rest, _ := io.ReadAll(rd)
	if len(rest) != 0 {
		t.Errorf("stdout has more than one line: %q", rest)
	}
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !json.Valid([]byte(l)) {
			t.Errorf("stderr line is not JSON: %q", l)
		}
	}
	if strings.Contains(stderr.String(), "4242424242424242") {
		t.Error("card number in logs")
	}
}

func TestSandboxHelpAndBadFlags(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if c := run(t.Context(), []string{"sandbox", "--help"}, &out, &errb); c != 0 {
		t.Errorf("--help exit %d", c)
	}
	if !strings.Contains(errb.String(), "--limits") && !strings.Contains(errb.String(), "-limits") {
		t.Errorf("usage lacks flags: %s", errb.String())
	}
	if out.Len() != 0 {
		t.Errorf("--help wrote to stdout: %s", out.String())
	}
	if c := run(t.Context(), []string{"sandbox", "--limits", "maybe"}, &out, &errb); c != 2 {
		t.Errorf("bad --limits exit %d", c)
	}
}
