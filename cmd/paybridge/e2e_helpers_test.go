package main

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/httpapi/apitest"
)

// sbx is a running paybridge in sandbox mode, as a newcomer gets it.
type sbx struct {
	t       testing.TB
	m       *Main
	key     string // the demo merchant's API key
	http    *http.Client
	mu      sync.Mutex
	clients map[string]*apitest.Client
}

// startSandbox runs the real Main on random ports with a temp data dir.
func startSandbox(t testing.TB, tweak ...func(*Config)) *sbx {
	t.Helper()
	return startSandboxWith(t, nil, tweak...)
}

// startSandboxWith is startSandbox with a chance to set Main's fields
// before Run.
func startSandboxWith(t testing.TB, setup func(*Main), tweak ...func(*Config)) *sbx {
	t.Helper()
	cfg, err := loadConfig(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.ReconcileInterval = time.Hour // tests reconcile explicitly
	for _, f := range tweak {
		f(&cfg)
	}
	m := &Main{Config: cfg}
	if setup != nil {
		setup(m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return &sbx{t: t, m: m, key: m.Sandbox.APIKey, http: &http.Client{Timeout: 30 * time.Second}, clients: map[string]*apitest.Client{}}
}

// call sends a JSON request with the sandbox key and decodes the JSON answer.
func (e *sbx) call(method, path string, body any, headers ...string) (int, map[string]any) {
	e.t.Helper()
	return e.callAs(e.key, method, path, body, headers...)
}

func (e *sbx) callAs(key, method, path string, body any, headers ...string) (int, map[string]any) {
	e.t.Helper()
	status, raw, _ := e.raw(key, method, path, body, headers...)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: answer is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	return status, out
}

// raw sends body through a spec-validating client: every response, and
// every request except deliberately malformed ones (a []byte body), is
// checked against the OpenAPI spec.
func (e *sbx) raw(key, method, path string, body any, headers ...string) (int, []byte, http.Header) {
	e.t.Helper()
	h := map[string]string{}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	if body != nil {
		h["Content-Type"] = "application/json"
	}
	c := e.client(key)
	var resp *http.Response
	var b []byte
	if _, malformed := body.([]byte); malformed {
		resp, b = c.DoRaw(method, path, body, h)
	} else {
		resp, b = c.Do(method, path, body, h)
	}
	return resp.StatusCode, b, resp.Header
}

// client returns the spec-validating client for an API key.
func (e *sbx) client(key string) *apitest.Client {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.clients[key]; ok {
		return c
	}
	c := apitest.NewClient(e.t, e.m.URL)
	c.Token, c.HTTPClient = key, e.http
	e.clients[key] = c
	return c
}

// must asserts the status of a call and returns its body.
func (e *sbx) must(want int, method, path string, body any, headers ...string) map[string]any {
	e.t.Helper()
	got, out := e.call(method, path, body, headers...)
	if got != want {
		e.t.Fatalf("%s %s = %d, want %d: %v", method, path, got, want, out)
	}
	return out
}

// token tokenizes a card at cloversim as Clover's iframe would.
func (e *sbx) token(number string) string {
	e.t.Helper()
	tok, err := e.m.Clover.CreateToken(context.Background(), e.m.Sandbox.PAKMSKey, clover.TokenParams{Card: &clover.CardDetails{
		Number: number, ExpMonth: "12", ExpYear: "2030", CVV: cvvFor(number),
	}})
	if err != nil {
		e.t.Fatalf("tokenize: %v", err)
	}
	return tok.ID
}

func cvvFor(number string) string {
	if len(number) == 15 { // AMEX
		return "1234"
	}
	return "123"
}

// customer creates a customer and returns its id.
func (e *sbx) customer() string {
	e.t.Helper()
	return e.must(201, "POST", "/v1/customers", map[string]any{"email": "pat@example.com", "name": "Pat Doe"})["id"].(string)
}

// invoice creates an invoice with extra fields merged in, waits for its
// Clover order (local first: a job makes it) and returns it; its total is
// 2×5000 + 10% tax + 2500 = 13500.
func (e *sbx) invoice(extra map[string]any) map[string]any {
	e.t.Helper()
	return e.synced(e.newInvoice(extra)["id"].(string))
}

// synced waits until an invoice's Clover order is made and returns the
// invoice.
func (e *sbx) synced(id string) map[string]any {
	e.t.Helper()
	var inv map[string]any
	eventually(e.t, 20*time.Second, "invoice "+id+"'s Clover order", func() bool {
		inv = e.must(200, "GET", "/v1/invoices/"+id, nil)
		st, _ := inv["clover_sync"].(map[string]any)
		if st["status"] == "failed" {
			e.t.Fatalf("invoice %s: Clover sync failed: %v", id, st)
		}
		return st["status"] == "synced"
	})
	return inv
}

// newInvoice is invoice without waiting for the Clover order: the answer
// of POST /v1/invoices.
func (e *sbx) newInvoice(extra map[string]any) map[string]any {
	e.t.Helper()
	body := map[string]any{
		"customer_id": e.customer(), "currency": "usd",
		"line_items": []map[string]any{
			{"description": "Drain cleaning", "quantity": 2, "unit_amount": 5000, "tax_rate_bps": 1000},
			{"description": "Trip charge", "quantity": 1, "unit_amount": 2500},
		},
	}
	for k, v := range extra {
		body[k] = v
	}
	return e.must(201, "POST", "/v1/invoices", body)
}

// num reads a JSON number field as int64.
func num(m map[string]any, k string) int64 {
	f, _ := m[k].(float64)
	return int64(f)
}

const (
	visaOK      = "4242424242424242"
	visaDecline = "4005571702222222"
)
