package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestRecurringYear saves a card while paying an invoice, subscribes the
// customer monthly, lets the card start declining in month 5 and runs a
// year on the test clock: paid invoices each month, then failures with
// events and mails, Clover's deactivation after 5 failures mirrored; a new
// card reactivates billing.
func TestRecurringYear(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	inv := e.invoice(nil)
	cus := inv["customer_id"].(string)
	p := e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", map[string]any{
		"source": e.token(visaOK), "save_card": true, "consent_text": "Save my card for later payments."})
	if p["status"] != "succeeded" {
		t.Fatalf("payment %v", p)
	}
	cards := e.must(200, "GET", "/v1/customers/"+cus+"/cards", nil)["data"].([]any)
	if len(cards) != 1 {
		t.Fatalf("cards = %v, want one", cards)
	}
	card := cards[0].(map[string]any)
	if card["last4"] != "4242" || card["brand"] == "" || card["exp_year"] != "2030" {
		t.Fatalf("card %v", card)
	}
	consent := card["consent"].(map[string]any)
	if consent["text"] != "Save my card for later payments." || consent["actor"] == "" || consent["recorded_at"] == "" {
		t.Fatalf("consent %v", consent)
	}
	for _, k := range []string{"number", "first6", "cvv", "clover_card_id"} {
		if _, ok := card[k]; ok {
			t.Fatalf("card shows %s: %v", k, card)
		}
	}

	plan := e.must(201, "POST", "/v1/plans", map[string]any{"name": "Monthly cleaning", "amount": 4900, "currency": "usd", "interval": "month"})
	sub := e.must(201, "POST", "/v1/subscriptions", map[string]any{"customer_id": cus, "plan_id": plan["id"]})
	if sub["status"] != "active" {
		t.Fatalf("subscription %v", sub)
	}
	saved, err := e.m.DB.GetCard(context.Background(), e.m.Sandbox.MerchantID, card["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	month := map[string]any{"seconds": 31 * 24 * 3600}
	for i := 1; i <= 12; i++ {
		if i == 5 {
			e.m.Sim.SetCardDeclining(saved.CloverCardID, true)
		}
		e.must(200, "POST", "/v1/test-clock/advance", month)
	}
	got := e.must(200, "GET", "/v1/subscriptions/"+sub["id"].(string), nil)
	if got["status"] != "deactivated" {
		t.Fatalf("after a year: %v, want deactivated", got)
	}
	counts := e.eventCounts()
	if counts["subscription.payment_failed"] != 5 || counts["subscription.deactivated"] != 1 {
		t.Fatalf("events %v: want 5 payment_failed and 1 deactivated", counts)
	}
	if counts["invoice.paid"] < 5 { // the first invoice, the first run and months 1–4 (charged on the card)
		t.Fatalf("events %v: want paid invoices before the card declined", counts)
	}
	mails := 0
	for _, m := range e.m.Outbox.Messages() {
		if m.Kind == "payment_failed" {
			mails++
			if !strings.Contains(m.Text, "/pay/") || strings.Contains(m.Text, "4242424242424242") {
				t.Fatalf("mail %q", m.Text)
			}
		}
	}
	if mails < 5 {
		t.Fatalf("%d payment_failed mails, want one per failed run at least", mails)
	}

	// A new card: Clover reactivates the subscription and billing resumes.
	e.must(200, "DELETE", fmt.Sprintf("/v1/customers/%s/cards/%s", cus, card["id"]), nil)
	e.must(201, "POST", "/v1/customers/"+cus+"/cards", map[string]any{"source": e.token(visaOK)})
	if got := e.must(200, "GET", "/v1/subscriptions/"+sub["id"].(string), nil); got["status"] != "active" {
		t.Fatalf("after a new card: %v", got)
	}
	before := e.eventCounts()["invoice.paid"]
	e.must(200, "POST", "/v1/test-clock/advance", month)
	if after := e.eventCounts()["invoice.paid"]; after <= before {
		t.Fatalf("invoice.paid %d → %d: billing did not resume", before, after)
	}
}

// eventCounts counts the merchant's events by type.
func (e *sbx) eventCounts() map[string]int {
	e.t.Helper()
	out := map[string]int{}
	cursor := ""
	for {
		path := "/v1/events?limit=100"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		page := e.must(200, "GET", path, nil)
		for _, ev := range page["data"].([]any) {
			out[ev.(map[string]any)["type"].(string)]++
		}
		next, _ := page["next_cursor"].(string)
		if next == "" || page["has_more"] != true {
			return out
		}
		cursor = next
	}
}
