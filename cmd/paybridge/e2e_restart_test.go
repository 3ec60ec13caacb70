package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// restartChildEnv tells a re-executed test binary to run `paybridge serve`
// (its configuration from the environment) until it is killed.
const restartChildEnv = "PAYBRIDGE_E2E_RESTART_CHILD"

// sandboxProc is `paybridge serve` in sandbox mode as a child process on
// fixed ports and a data dir, started and killed again and again.
type sandboxProc struct {
	t                  *testing.T
	name               string // the test to re-execute
	dir, api, sim      string
	cmd                *exec.Cmd
	info               SandboxInfo
	http               *http.Client
	stderr             *lockedBuffer // this run's; the last run's copier may still write to its own
	startedAtLeastOnce bool
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the child and waits until it answers on its API port.
func (p *sandboxProc) start() {
	p.t.Helper()
	p.stderr = &lockedBuffer{}
	p.cmd = exec.Command(os.Args[0], "-test.run=^"+p.name+"$", "-test.count=1")
	p.cmd.Env = append(os.Environ(), restartChildEnv+"=1", "PAYBRIDGE_DATA_DIR="+p.dir,
		"PAYBRIDGE_ADDR="+p.api, "PAYBRIDGE_SANDBOX_CLOVER_ADDR="+p.sim, "PAYBRIDGE_LOG_LEVEL=warn")
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-exited:
			p.t.Fatalf("the sandbox exited at start: %v\n%s", err, p.stderr.String())
		default:
		}
		if resp, err := p.http.Get("http://" + p.api + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the sandbox never became ready:\n%s", p.stderr.String())
		}
	}
	go func() { <-exited }()
	b, err := os.ReadFile(filepath.Join(p.dir, "sandbox.json"))
	if err != nil {
		p.t.Fatal(err)
	}
	var info SandboxInfo
	if err := json.Unmarshal(b, &info); err != nil {
		p.t.Fatal(err)
	}
	if p.startedAtLeastOnce && info != p.info {
		p.t.Fatalf("sandbox.json changed across a restart:\n was %+v\n now %+v", p.info, info)
	}
	p.info, p.startedAtLeastOnce = info, true
	if info.APIURL != "http://"+p.api || info.CloverURL != "http://"+p.sim {
		p.t.Fatalf("ports: %s %s, want %s %s", info.APIURL, info.CloverURL, p.api, p.sim)
	}
}

// restart kills the child with sig (SIGKILL: nothing flushed) and starts
// it again on the same ports and data dir.
func (p *sandboxProc) restart(sig syscall.Signal) {
	p.t.Helper()
	_ = p.cmd.Process.Signal(sig)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", p.api); err != nil {
			break
		} else {
			c.Close()
		}
		if time.Now().After(deadline) {
			p.t.Fatal("the sandbox did not stop")
		}
	}
	p.start()
}

func (p *sandboxProc) do(key, method, u string, body any, hdr ...string) (int, map[string]any) {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := p.http.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func (p *sandboxProc) must(key string, want int, method, path string, body any) map[string]any {
	p.t.Helper()
	st, out := p.do(key, method, p.info.APIURL+path, body)
	if st != want {
		p.t.Fatalf("%s %s = %d, want %d: %v", method, path, st, want, out)
	}
	return out
}

func (p *sandboxProc) token(pakms string) string {
	p.t.Helper()
	st, tok := p.do("", "POST", p.info.CloverURL+"/v1/tokens", map[string]any{"card": map[string]any{
		"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvv": "123"}}, "apikey", pakms)
	if st != 200 {
		p.t.Fatalf("token: %d %v", st, tok)
	}
	return tok["id"].(string)
}

// pay creates an invoice for customer cus and pays it with a new card
// token (saved when save is true).
func (p *sandboxProc) pay(key, pakms, cus string, save bool) (invoiceID, paymentID string) {
	p.t.Helper()
	inv := p.must(key, 201, "POST", "/v1/invoices", map[string]any{"customer_id": cus, "currency": "usd",
		"line_items": []map[string]any{{"description": "Visit", "quantity": 1, "unit_amount": 5000}}})
	body := map[string]any{"source": p.token(pakms)}
	if save {
		body["save_card"], body["consent_text"] = true, "Save my card for later payments."
	}
	pay := p.must(key, 201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", body)
	if pay["status"] != "succeeded" {
		p.t.Fatalf("payment %v", pay)
	}
	return inv["id"].(string), pay["id"].(string)
}

// TestSandboxRestartsWhereItStopped runs the real `paybridge serve` in
// sandbox mode as a child process and restarts it on the same data dir
// after each kind of activity, mostly by kill -9: a payment, its refund,
// an OAuth connect through the onboarding flow, a saved card and a
// subscription. Each restart keeps the ports, sandbox.json (API key,
// platform secret, merchant, demo invoice), and everything before it:
// the old payment refunds, the OAuth merchant still charges with its
// Clover token, the subscription bills on the test clock.
func TestSandboxRestartsWhereItStopped(t *testing.T) {
	if os.Getenv(restartChildEnv) != "" {
		if err := runServe(context.Background(), nil, io.Discard, os.Stderr); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Parallel()
	p := &sandboxProc{t: t, name: "TestSandboxRestartsWhereItStopped", dir: t.TempDir(), api: freePort(t), sim: freePort(t),
		http: &http.Client{Timeout: 30 * time.Second}}
	p.start()
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	key, pakms := p.info.APIKey, p.info.PAKMSKey
	cus := p.must(key, 201, "POST", "/v1/customers", map[string]any{"email": "r@example.com", "name": "Riley"})["id"].(string)

	// A payment, then kill -9: it is there, and refundable.
	_, pay := p.pay(key, pakms, cus, false)
	p.restart(syscall.SIGKILL)
	p.must(key, 200, "GET", "/v1/invoices/"+p.info.DemoInvoiceID, nil)
	refund := p.must(key, 201, "POST", "/v1/refunds", map[string]any{"payment_id": pay})

	// The refund survives.
	p.restart(syscall.SIGKILL)
	if got := p.must(key, 200, "GET", "/v1/payments/"+pay, nil); got["status"] != "refunded" {
		t.Fatalf("payment after restart: %v", got)
	}
	p.must(key, 200, "GET", "/v1/refunds/"+refund["id"].(string), nil)

	// An OAuth connect through the onboarding flow.
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer crm.Close()
	st, added := p.do("", "POST", p.info.CloverURL+"/_sim/merchants", map[string]any{"name": "Restart Roofing"})
	if st != 200 {
		t.Fatalf("add merchant: %d %v", st, added)
	}
	key2, cus2 := p.connect(added["merchant_id"].(string), crm.URL+"/return")
	p.restart(syscall.SIGKILL)
	_, pay2 := p.pay(key2, added["pakms_key"].(string), cus2, false)

	// A saved card, then a graceful restart.
	p.restart(syscall.SIGTERM)
	p.must(key2, 201, "POST", "/v1/refunds", map[string]any{"payment_id": pay2})
	p.pay(key, pakms, cus, true)
	p.restart(syscall.SIGKILL)
	if cards := p.must(key, 200, "GET", "/v1/customers/"+cus+"/cards", nil)["data"].([]any); len(cards) != 1 {
		t.Fatalf("cards after restart: %v", cards)
	}

	// A subscription: it survives and bills on the test clock afterwards.
	plan := p.must(key, 201, "POST", "/v1/plans", map[string]any{"name": "Monthly", "amount": 4900, "currency": "usd", "interval": "month"})
	sub := p.must(key, 201, "POST", "/v1/subscriptions", map[string]any{"customer_id": cus, "plan_id": plan["id"]})
	p.restart(syscall.SIGKILL)
	invoicesBefore := len(p.must(key, 200, "GET", "/v1/invoices?customer_id="+cus+"&limit=100", nil)["data"].([]any))
	p.must(key, 200, "POST", "/v1/test-clock/advance", map[string]any{"seconds": 31 * 24 * 3600})
	if got := p.must(key, 200, "GET", "/v1/subscriptions/"+sub["id"].(string), nil); got["status"] != "active" {
		t.Fatalf("subscription after restart and a month: %v", got)
	}
	invoices := p.must(key, 200, "GET", "/v1/invoices?customer_id="+cus+"&limit=100", nil)["data"].([]any)
	paid := 0
	for _, v := range invoices {
		if v.(map[string]any)["status"] == "paid" {
			paid++
		}
	}
	if len(invoices) <= invoicesBefore || paid < 3 {
		t.Fatalf("a month after the restart: %d invoices (was %d), %d paid; want the subscription's new one paid", len(invoices), invoicesBefore, paid)
	}
	// And the test clock itself survived a restart on both sides.
	p.restart(syscall.SIGKILL)
	st, clock := p.do("", "GET", p.info.CloverURL+"/_sim/clock", nil)
	if st != 200 || clock["offset_seconds"].(float64) != 31*24*3600 {
		t.Fatalf("cloversim clock after restart: %v", clock)
	}
	// A month later on the one clock, the OAuth merchant's hour-long token
	// was refreshed on the way: it still charges.
	p.pay(key2, added["pakms_key"].(string), cus2, false)
}

// connect runs the onboarding flow for Clover merchant mid: an
// integration with the platform secret, Clover's consent page, the
// callback, the hand-off. It returns the merchant's API key and a
// customer of it.
func (p *sandboxProc) connect(mid, returnURL string) (key, customerID string) {
	p.t.Helper()
	in := p.must(p.info.PlatformSecret, 201, "POST", "/v1/integrations", map[string]any{"type": "fieldpro", "external_key": "crm-restart", "return_url": returnURL})
	c := browser(p.t)
	st, authURL, _ := get(p.t, c, in["connect_url"].(string))
	if st != http.StatusFound || !strings.HasPrefix(authURL, p.info.CloverURL+"/oauth/v2/authorize?") {
		p.t.Fatalf("connect_url = %d → %q", st, authURL)
	}
	resp, err := c.PostForm(authURL, url.Values{"merchant_id": {mid}})
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	st, ret, body := get(p.t, c, resp.Header.Get("Location"))
	if st != http.StatusFound {
		p.t.Fatalf("callback = %d: %s", st, body)
	}
	u, _ := url.Parse(ret)
	ho := p.must(p.info.PlatformSecret, 200, "POST", fmt.Sprintf("/v1/integrations/%s/handoff", in["id"]), map[string]any{"code": u.Query().Get("code")})
	key = ho["api_key"].(string)
	cus := p.must(key, 201, "POST", "/v1/customers", map[string]any{"email": "o@example.com", "name": "Oakley"})
	return key, cus["id"].(string)
}
