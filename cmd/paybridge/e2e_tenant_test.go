package main

import (
	"context"
	"strings"
	"testing"
)

// TestTenantIsolationEveryRoute is generated from the router's registered
// patterns: every /v1 route that names an object in its path is called by
// merchant B with merchant A's object of that kind, and must answer a 404
// problem+json (an unknown id, as far as B can tell) and change nothing of
// A's. A route whose path parameters this test
// cannot fill (a new kind of object) fails it, so no route is added
// without this coverage.
func TestTenantIsolationEveryRoute(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	_, keyB, err := e.m.AddSandboxMerchant(context.Background(), "Other Co.")
	if err != nil {
		t.Fatal(err)
	}
	// A's objects, one of each kind a path can name.
	inv := e.invoice(nil)
	cus := inv["customer_id"].(string)
	pay := e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", map[string]any{
		"source": e.token(visaOK), "save_card": true, "consent_text": "Save my card for later payments."})
	ref := e.must(201, "POST", "/v1/refunds", map[string]any{"payment_id": pay["id"], "amount": 100})
	card := e.must(200, "GET", "/v1/customers/"+cus+"/cards", nil)["data"].([]any)[0].(map[string]any)
	we := e.must(201, "POST", "/v1/webhook-endpoints", map[string]any{"url": "http://127.0.0.1:9/hooks"})
	plan := e.must(201, "POST", "/v1/plans", map[string]any{"name": "Monthly", "amount": 4900, "currency": "usd", "interval": "month"})
	sub := e.must(201, "POST", "/v1/subscriptions", map[string]any{"customer_id": cus, "plan_id": plan["id"]})
	evt := e.must(200, "GET", "/v1/events?limit=1", nil)["data"].([]any)[0].(map[string]any)
	ids := map[string]string{ // the collection a {param} follows → A's id
		"customers": cus, "invoices": inv["id"].(string), "payments": pay["id"].(string), "refunds": ref["id"].(string),
		"cards": card["id"].(string), "webhook-endpoints": we["id"].(string), "plans": plan["id"].(string),
		"subscriptions": sub["id"].(string), "events": evt["id"].(string),
	}
	platform := map[string]bool{ // authenticated with the platform secret, not a merchant's key
		"POST /v1/integrations/{id}/handoff": true, "POST /v1/api-keys/{jti}/revoke": true,
	}
	// Bodies valid enough to reach the lookup, for routes that check the
	// body first (a 400 there would reveal nothing, but 404 is the rule).
	bodies := map[string]string{"POST /v1/customers/{id}/cards": `{"source":"clv_notreal"}`}
	e.synced(e.m.Sandbox.DemoInvoiceID) // its order is made in the background (local-first invoices)
	before := snapshot(e)
	checked := 0
	for _, p := range e.m.Router.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		if !strings.HasPrefix(path, "/v1/") || !strings.Contains(path, "{") || platform[p] {
			continue
		}
		segs := strings.Split(path, "/")
		filled := true
		for i, s := range segs {
			if !strings.HasPrefix(s, "{") {
				continue
			}
			id, ok := ids[segs[i-1]]
			if !ok {
				t.Errorf("%s: no object of kind %q to try another merchant's id with: cover it here", p, segs[i-1])
				filled = false
				break
			}
			segs[i] = id
		}
		if !filled {
			continue
		}
		url := strings.Join(segs, "/")
		var body any
		if method == "POST" {
			body = []byte(`{}`)
			if b, ok := bodies[p]; ok {
				body = []byte(b)
			}
		}
		st, b, h := e.raw(keyB, method, url, body)
		if st != 404 || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s as another merchant = %d %s %s, want a 404 problem", p, st, h.Get("Content-Type"), b)
		}
		checked++
	}
	if checked < 25 {
		t.Fatalf("only %d routes checked: the generator sees too little", checked)
	}
	if after := snapshot(e); after != before {
		t.Fatalf("another merchant's calls changed A's data:\nbefore %s\nafter  %s", before, after)
	}
}
