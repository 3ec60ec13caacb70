package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/apikey"
)

// TestBadInputChangesNothing sends every class of bad body to every
// money-moving and creating endpoint: each gets a precise 400 problem, and
// the merchant's data is exactly as it was.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	inv := e.invoice(map[string]any{"allow_partial": true, "allow_tip": true})
	id := inv["id"].(string)
	pay := e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK), "amount": 1000})
	e.synced(e.m.Sandbox.DemoInvoiceID) // its order is made in the background
	before := snapshot(e)
	chargesBefore := e.m.Sim.ChargeCount(e.m.Sim.Options().MerchantID)

	huge := []byte(`{"email":"a@example.com","name":"` + strings.Repeat("x", 100<<10) + `"}`)
	for _, tc := range []struct {
		name, path string
		body       []byte
		code       string
		param      string
	}{
		{"float amount", "/v1/invoices/" + id + "/payments", []byte(`{"tender":"cash","amount":10.5}`), "invalid_type", "amount"},
		{"string amount", "/v1/invoices/" + id + "/payments", []byte(`{"tender":"cash","amount":"1000"}`), "invalid_type", "amount"},
		{"negative amount", "/v1/invoices/" + id + "/payments", []byte(`{"tender":"cash","amount":-5}`), "", "amount"},
		{"over the cap", "/v1/payments", []byte(`{"amount":100000000,"currency":"usd","source":"clv_x"}`), "", "amount"},
		{"float tip", "/v1/invoices/" + id + "/payments", []byte(`{"tender":"cash","tip_amount":1.25}`), "invalid_type", "tip_amount"},
		{"unknown currency", "/v1/payments", []byte(`{"amount":100,"currency":"xts","source":"clv_x"}`), "", "currency"},
		{"upper-case currency", "/v1/payments", []byte(`{"amount":100,"currency":"USD","source":"clv_x"}`), "", "currency"},
		{"unknown field", "/v1/customers", []byte(`{"email":"a@example.com","colour":"red"}`), "unknown_field", "colour"},
		{"nested unknown field", "/v1/invoices", []byte(`{"customer_id":"` + inv["customer_id"].(string) + `","currency":"usd","line_items":[{"description":"x","quantity":1,"unit_amount":1,"sku":"y"}]}`), "unknown_field", "line_items[0].sku"},
		{"malformed JSON", "/v1/customers", []byte(`{"email":`), "malformed_json", ""},
		{"not an object", "/v1/customers", []byte(`[1,2]`), "", ""},
		{"trailing data", "/v1/customers", []byte(`{"email":"a@example.com"} {}`), "", ""},
		{"empty body", "/v1/refunds", []byte(``), "", ""},
		{"huge body", "/v1/customers", huge, "body_too_large", ""},
		{"raw card in source", "/v1/invoices/" + id + "/payments", []byte(`{"source":"4242424242424242"}`), "raw_card_data", "source"},
		{"raw card with spaces", "/v1/customers", []byte(`{"email":"a@example.com","name":"4242 4242 4242 4242"}`), "raw_card_data", "name"},
		{"raw card in metadata", "/v1/customers", []byte(`{"email":"a@example.com","metadata":{"note":"card 4000-0566-5566-5556 exp 12/30"}}`), "raw_card_data", "metadata.note"},
		{"raw card as a number", "/v1/refunds", []byte(`{"payment_id":"` + pay["id"].(string) + `","amount":4242424242424242}`), "raw_card_data", "amount"},
		{"bad email", "/v1/customers", []byte(`{"email":"not-an-email"}`), "", "email"},
		{"bad tender", "/v1/invoices/" + id + "/payments", []byte(`{"tender":"gold"}`), "", "tender"},
		{"two sources", "/v1/invoices/" + id + "/payments", []byte(`{"tender":"cash","source":"clv_abc"}`), "", "source"},
		{"quantity zero", "/v1/invoices", []byte(`{"customer_id":"` + inv["customer_id"].(string) + `","currency":"usd","line_items":[{"description":"x","quantity":0,"unit_amount":1}]}`), "", "line_items[0].quantity"},
		{"bad reason", "/v1/refunds", []byte(`{"payment_id":"` + pay["id"].(string) + `","reason":"because"}`), "", "reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, b, h := e.raw(e.key, "POST", tc.path, tc.body)
			if st != 400 {
				t.Fatalf("status %d, want 400: %s", st, b)
			}
			if ct := h.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			p := decodeProblem(t, b)
			if tc.code != "" && p["code"] != tc.code {
				t.Errorf("code %v, want %s: %s", p["code"], tc.code, b)
			}
			if tc.param != "" && p["param"] != tc.param {
				t.Errorf("param %v, want %s: %s", p["param"], tc.param, b)
			}
			for _, k := range []string{"type", "title", "status", "detail", "code", "request_id"} {
				if p[k] == nil || p[k] == "" {
					t.Errorf("problem has no %s: %s", k, b)
				}
			}
			if bytes.Contains(b, []byte("4242")) || bytes.Contains(b, []byte("5556")) {
				t.Errorf("the answer echoes card digits: %s", b)
			}
		})
	}
	if after := snapshot(e); after != before {
		t.Fatalf("bad input changed data:\nbefore %s\nafter  %s", before, after)
	}
	if got := e.m.Sim.ChargeCount(e.m.Sim.Options().MerchantID); got != chargesBefore {
		t.Fatalf("bad input reached Clover: %d charges, was %d", got, chargesBefore)
	}
}

func TestAuthenticationRequired(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	// Signed by the server's own keyring but never recorded: refused, so
	// every key that works is one that can be revoked.
	unrecorded, err := e.m.Keyring.Issue(apikey.Claims{MerchantID: e.m.Sandbox.MerchantID}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", "garbage", e.key[:len(e.key)-4] + "AAAA", unrecorded} {
		st, b, h := e.raw(key, "GET", "/v1/invoices", nil)
		if st != 401 || h.Get("WWW-Authenticate") == "" {
			t.Errorf("key %q: %d %s", key, st, b)
		}
	}
}

// TestIdempotencyKeys: DESIGN.md §5's semantics through the real server.
func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	id := e.invoice(nil)["id"].(string)
	body := map[string]any{"source": e.token(visaOK)}
	st, first, h := e.raw(e.key, "POST", "/v1/invoices/"+id+"/payments", body, "Idempotency-Key", "pay-1")
	if st != 201 || h.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %s", st, first)
	}
	st, again, h := e.raw(e.key, "POST", "/v1/invoices/"+id+"/payments", body, "Idempotency-Key", "pay-1")
	if st != 201 || h.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again, first) {
		t.Fatalf("replay: %d %q %s", st, h.Get("Idempotent-Replayed"), again)
	}
	st, b, _ := e.raw(e.key, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"tender": "cash"}, "Idempotency-Key", "pay-1")
	if st != 422 || decodeProblem(t, b)["code"] != "idempotency_key_reused" {
		t.Fatalf("other body: %d %s", st, b)
	}
	if n := e.m.Sim.ChargeCount(e.m.Sim.Options().MerchantID); n != 1 {
		t.Fatalf("Clover charges = %d, want 1", n)
	}
	// Keys are per merchant: another merchant may use the same key.
	_, keyB, err := e.m.AddSandboxMerchant(t.Context(), "B")
	if err != nil {
		t.Fatal(err)
	}
	if st, out := e.callAs(keyB, "POST", "/v1/customers", map[string]any{"email": "b@example.com"}, "Idempotency-Key", "pay-1"); st != 201 {
		t.Fatalf("same key, other merchant: %d %v", st, out)
	}
}

// snapshot renders the merchant's objects, to compare before and after.
func snapshot(e *sbx) string {
	var sb strings.Builder
	for _, path := range []string{"/v1/customers?limit=100", "/v1/invoices?limit=100", "/v1/payments?limit=100", "/v1/refunds?limit=100"} {
		_, b, _ := e.raw(e.key, "GET", path, nil)
		fmt.Fprintf(&sb, "%s=%s\n", path, b)
	}
	return sb.String()
}

func decodeProblem(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("problem is not JSON: %s", b)
	}
	return p
}

// TestIdempotencyRecordsAreSealed: a replayable response is kept encrypted,
// so a secret shown once (here a webhook endpoint's) is not in the database.
func TestIdempotencyRecordsAreSealed(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	we := e.must(201, "POST", "/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/hooks", "events": []string{"*"}},
		"Idempotency-Key", "endpoint-1")
	secret, _ := we["secret"].(string)
	if secret == "" {
		t.Fatalf("no secret in %v", we)
	}
	again := e.must(201, "POST", "/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/hooks", "events": []string{"*"}},
		"Idempotency-Key", "endpoint-1")
	if again["secret"] != secret {
		t.Fatal("the replay lost the secret")
	}
	var n int
	if err := e.m.DB.Writer().QueryRow(`SELECT count(*) FROM idempotency_keys WHERE instr(body, $1) > 0`, secret).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d idempotency records hold the endpoint secret in plaintext", n)
	}
}
