package main

import (
	"context"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover/cloversim"
)

// TestSubscriptionRunFoundByWebhook: cloversim bills a run as Clover
// documents it (an invoice order paid with the card on file, no tag naming
// the subscription) and tells paybridge only through the platform
// webhooks. paybridge finds the run from the P: CREATE notice alone (no
// periodic pass), makes one paid invoice for it, and a periodic pass
// afterwards adds nothing: one Clover charge, one invoice.
func TestSubscriptionRunFoundByWebhook(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	inv := e.invoice(nil)
	cus := inv["customer_id"].(string)
	e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", map[string]any{
		"source": e.token(visaOK), "save_card": true, "consent_text": "Save my card for later payments."})
	plan := e.must(201, "POST", "/v1/plans", map[string]any{"name": "Monthly cleaning", "amount": 4900, "currency": "usd", "interval": "month"})
	sub := e.must(201, "POST", "/v1/subscriptions", map[string]any{"customer_id": cus, "plan_id": plan["id"]})
	runInvoices := func() []map[string]any {
		var out []map[string]any
		for _, it := range e.must(200, "GET", "/v1/invoices?customer_id="+cus+"&limit=100", nil)["data"].([]any) {
			if v := it.(map[string]any); metadata(v)["subscription_id"] == sub["id"] {
				out = append(out, v)
			}
		}
		return out
	}
	if got := runInvoices(); len(got) != 1 || got[0]["status"] != "paid" {
		t.Fatalf("first run: %v", got)
	}

	// The periodic sync runs at start, then once a minute: once the first
	// pass is done, only the webhook can bring the next run in time.
	eventually(t, 20*time.Second, "the start-up periodic sync", func() bool {
		var n int
		err := e.m.DB.Writer().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM river_job
			WHERE kind = 'periodic' AND args->>'name' = 'recurring-sync' AND state = 'completed'`).Scan(&n)
		return err == nil && n > 0
	})
	e.m.Sim.AdvanceClock(31 * 24 * time.Hour) // Clover bills the second run; paybridge's clock stays
	eventually(t, 20*time.Second, "the second run's invoice from the webhook", func() bool { return len(runInvoices()) == 2 })
	e.must(200, "POST", "/v1/test-clock/advance", map[string]any{"seconds": 1}) // a periodic pass
	got := runInvoices()
	if len(got) != 2 || got[0]["status"] != "paid" || got[1]["status"] != "paid" {
		t.Fatalf("run invoices after a periodic pass: %v", got)
	}
	runs := 0
	for _, le := range e.m.Sim.Ledger(e.m.Sim.Options().MerchantID) {
		if le.Kind == cloversim.KindCharge && le.Amount == 4900 {
			runs++
		}
	}
	if runs != 2 {
		t.Fatalf("Clover charged %d runs, want 2", runs)
	}
	for _, v := range got {
		md := metadata(v)
		if md["clover_order_id"] == "" || md["clover_order_id"] == nil || md["clover_charge_id"] == nil {
			t.Errorf("run invoice %v does not name Clover's invoice order and charge", v["id"])
		}
	}
}

// metadata is an API object's metadata (nil when it has none).
func metadata(v map[string]any) map[string]any {
	md, _ := v["metadata"].(map[string]any)
	return md
}
