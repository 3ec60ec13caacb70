package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// cardDodges are spellings of 4242 4242 4242 4242 an attack review got
// stored (issue 21); each is written so it survives JSON encoding as is.
var cardDodges = []string{
	"4242+4242+4242+4242",
	"4242%204242%204242%204242",
	"4242.4242.4242.4242",
	"4242  4242  4242  4242",
	"4242\t4242\t4242\t4242",
	"4242_4242_4242_4242",
	"4242/4242/4242/4242",
	"４２４２４２４２４２４２４２４２",
	"x4242424242424242",
	"4242424242424242123",
	"4 2 4 2 4 2 4 2 4 2 4 2 4 2 4 2",
}

// Every string field paybridge stores refuses every dodge with 400
// raw_card_data naming the field, without echoing a digit of it, and
// nothing is stored; the e-mail look-alike the old scan refused is accepted.
func TestCardDodgesRefusedEverywhere(t *testing.T) {
	t.Parallel()
	o := startOnboarding(t)
	e := o.sbx
	cus := e.customer()
	inv := e.invoice(nil)
	e.synced(e.m.Sandbox.DemoInvoiceID) // its order is made in the background
	before := snapshot(e)
	fields := []struct {
		name, path, param string
		body              func(card string) map[string]any
		key               string // the key to send with ("" = the merchant's)
	}{
		{"customer name", "/v1/customers", "name", func(c string) map[string]any { return map[string]any{"email": "a@example.com", "name": c} }, ""},
		{"customer email", "/v1/customers", "email", func(c string) map[string]any {
			return map[string]any{"email": strings.NewReplacer("%20", "", " ", "", "\t", "", "/", "", "+", "").Replace(c) + "@example.com"}
		}, ""},
		{"customer metadata", "/v1/customers", "metadata.note", func(c string) map[string]any {
			return map[string]any{"email": "a@example.com", "metadata": map[string]any{"note": c}}
		}, ""},
		{"line item", "/v1/invoices", "line_items[0].description", func(c string) map[string]any {
			return map[string]any{"customer_id": cus, "currency": "usd", "line_items": []any{map[string]any{"description": c, "quantity": 1, "unit_amount": 100}}}
		}, ""},
		{"invoice metadata", "/v1/invoices", "metadata.ref", func(c string) map[string]any {
			return map[string]any{"customer_id": cus, "currency": "usd", "metadata": map[string]any{"ref": c},
				"line_items": []any{map[string]any{"description": "x", "quantity": 1, "unit_amount": 100}}}
		}, ""},
		{"plan name", "/v1/plans", "name", func(c string) map[string]any {
			return map[string]any{"name": "Plan " + c, "amount": 1000, "currency": "usd", "interval": "month", "interval_count": 1}
		}, ""},
		{"webhook url", "/v1/webhook-endpoints", "url", func(c string) map[string]any {
			return map[string]any{"url": "http://127.0.0.1:9/h?c=" + c}
		}, ""},
		{"webhook description", "/v1/webhook-endpoints", "description", func(c string) map[string]any {
			return map[string]any{"url": "http://127.0.0.1:9/h", "description": c}
		}, ""},
		{"integration return_url", "/v1/integrations", "return_url", func(c string) map[string]any {
			return map[string]any{"type": "fieldpro", "external_key": "k1", "return_url": "https://crm.example/back?c=" + c}
		}, o.secret},
	}
	for _, f := range fields {
		for _, card := range cardDodges {
			key := f.key
			if key == "" {
				key = e.key
			}
			body, err := json.Marshal(f.body(card))
			if err != nil {
				t.Fatal(err)
			}
			st, b, _ := e.raw(key, "POST", f.path, body)
			p := map[string]any{}
			_ = json.Unmarshal(b, &p)
			if st != 400 || p["code"] != "raw_card_data" || p["param"] != f.param {
				t.Errorf("%s %q: %d %s, want 400 raw_card_data param %s", f.name, card, st, b, f.param)
			}
			if strings.Contains(string(b), "4242") || strings.Contains(string(b), "２４") {
				t.Errorf("%s: the refusal echoes the digits: %s", f.name, b)
			}
		}
	}
	for _, card := range cardDodges {
		st, b, _ := e.raw(e.key, "POST", "/v1/invoices/"+inv["id"].(string)+"/void", []byte(`{}`), "Idempotency-Key", "k-"+strings.ReplaceAll(card, "\t", " "))
		if strings.ContainsAny(card, "４\t") { // not printable ASCII: refused as such
			continue
		}
		if p := decodeProblem(t, b); st != 400 || p["code"] != "raw_card_data" {
			t.Errorf("Idempotency-Key %q: %d %s, want 400 raw_card_data", card, st, b)
		}
	}
	if after := snapshot(e); after != before {
		t.Fatalf("refused input changed data:\nbefore %s\nafter  %s", before, after)
	}
	e.must(201, "POST", "/v1/customers", map[string]any{"email": "walker17966760920432@example.com"})
}
