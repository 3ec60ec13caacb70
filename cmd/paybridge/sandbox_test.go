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

// sandboxCmd is `paybridge sandbox` running in-process.
type sandboxCmd struct {
	info   map[string]string // its JSON line
	line   string
	rest   *bufio.Reader // stdout after the line
	stderr *bytes.Buffer
	stop   func() int // cancels it and returns its exit code
}

// runSandboxCmd starts `paybridge sandbox --addr 127.0.0.1:0 args…` and
// reads its JSON line.
func runSandboxCmd(t *testing.T, args ...string) *sandboxCmd {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	outR, outW := io.Pipe()
	sc := &sandboxCmd{stderr: &bytes.Buffer{}}
	code := make(chan int, 1)
	go func() {
		c := run(ctx, append([]string{"sandbox", "--addr", "127.0.0.1:0"}, args...), outW, sc.stderr)
		outW.Close()
		code <- c
	}()
	sc.stop = func() int { cancel(); return <-code }
	sc.rest = bufio.NewReader(outR)
	line, err := sc.rest.ReadString('\n')
	if err != nil {
		t.Fatalf("no JSON line: %v (stderr: %s)", err, sc.stderr.String())
	}
	if err := json.Unmarshal([]byte(line), &sc.info); err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	sc.line = line
	return sc
}

func TestSandboxCommand(t *testing.T) {
	t.Parallel()
	sc := runSandboxCmd(t, "--limits", "off")
	info, line, stderr := sc.info, sc.line, sc.stderr
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
	// Clover refuses a charge without the payer's address (CLOVER.md
	// §13.1), before spending the token or the key.
	st, body = sandboxCall(t, "POST", base+"/v1/charges", clover.ChargeParams{Amount: 2500, Currency: "usd", Source: tok.ID},
		"Authorization", auth, "idempotency-key", "e2e-1")
	if st != 400 || !strings.Contains(string(body), `"param":"x-forwarded-for"`) {
		t.Fatalf("charge without x-forwarded-for %d %s", st, body)
	}
	st, body = sandboxCall(t, "POST", base+"/v1/charges", clover.ChargeParams{Amount: 2500, Currency: "usd", Source: tok.ID},
		"Authorization", auth, "idempotency-key", "e2e-1", "X-Forwarded-For", "203.0.113.7")
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

	if c := sc.stop(); c != 0 {
		t.Fatalf("exit code %d; stderr %s", c, stderr.String())
	}
	rest, _ := io.ReadAll(sc.rest)
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
	for _, f := range []string{"-limits", "-order-create-parent", "-checkout-times", "-forwarded-for", "-declined-but-captured-rate", "-currency",
		"-refresh-token-cap", "-revoke-access-on-refresh"} {
		if !strings.Contains(errb.String(), f) {
			t.Errorf("usage lacks %s: %s", f, errb.String())
		}
	}
	if out.Len() != 0 {
		t.Errorf("--help wrote to stdout: %s", out.String())
	}
	for _, bad := range [][]string{{"--limits", "maybe"}, {"--merchant-id", "lower0000000a"}, {"--merchant-id", "SHORT"},
		{"--merchant-limits", "MID=4"}, {"--merchant-limits", "MID=0/1"}, {"--checkout-times", "seconds"}, {"--forwarded-for", "sometimes"}, {"--currency", "CAD"}, {"--refresh-token-cap", "0"}} {
		if c := run(t.Context(), append([]string{"sandbox"}, bad...), &out, &errb); c != 2 {
			t.Errorf("sandbox %v: exit %d, want 2", bad, c)
		}
	}
}

// TestSandboxMerchantLimits: `--merchant-limits` gives a merchant's token
// less than Clover's documented budget, as Clover does a hand-made token,
// and `--merchant-id` names the sandbox's merchant so it can be given.
func TestSandboxMerchantLimits(t *testing.T) {
	t.Parallel()
	sc := runSandboxCmd(t, "--merchant-id", "HANDMADE00001", "--merchant-limits", "HANDMADE00001=2/1")
	defer sc.stop()
	if sc.info["merchant_id"] != "HANDMADE00001" {
		t.Fatalf("merchant_id %q, want HANDMADE00001", sc.info["merchant_id"])
	}
	// Five requests at once: the merchant's limit admits 2 a second.
	var limited, ok int
	for range 5 {
		r, err := http.NewRequestWithContext(t.Context(), "GET", sc.info["base_url"]+"/v1/charges", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+sc.info["access_token"])
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		switch {
		case res.StatusCode == 200:
			ok++
		case res.StatusCode == 429 && res.Header.Get("X-RateLimit-tokenLimit") == "2":
			limited++
		default:
			t.Errorf("status %d, X-RateLimit-tokenLimit %q", res.StatusCode, res.Header.Get("X-RateLimit-tokenLimit"))
		}
	}
	if limited == 0 || ok < 2 {
		t.Errorf("%d admitted and %d refused at the merchant's limit of 2 a second, want 2 and the rest", ok, limited)
	}
}
