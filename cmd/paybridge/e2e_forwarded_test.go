package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover/cloversim"
)

// TestEveryMoneyPathSendsForwardedFor drives every path on which paybridge
// charges or pays an order (the pay page, the API with a token, with
// client_ip, with a saved card, saving a card, autopay, a dunning retry,
// the reconciler, an authorization later captured) against cloversim,
// strict as Clover (CLOVER.md §13.1: charge create and order pay without
// x-forwarded-for are refused), and checks the address each one sent: the
// payer's for customer-initiated payments, the one recorded with the
// card's consent for merchant-initiated charges of a saved card, else the
// configured server address. Hosted checkout never charges through
// paybridge (Clover's page does), so it has no path here.
func TestEveryMoneyPathSendsForwardedFor(t *testing.T) {
	t.Parallel()
	const server, payer = "198.51.100.10", "203.0.113.50"
	e := startSandbox(t, func(c *Config) { c.ServerIP = server })
	mid := e.m.Sim.Options().MerchantID
	want := map[string]string{} // Clover charge id → the address it must carry
	paid := func(p map[string]any, ip string) {
		t.Helper()
		id, _ := p["clover_charge_id"].(string)
		if id == "" {
			t.Fatalf("payment without a Clover charge: %v", p)
		}
		want[id] = ip
	}
	invoicePayments := func(inv string) []any {
		return e.must(200, "GET", "/v1/payments?invoice_id="+inv, nil)["data"].([]any)
	}

	// The pay page: the payer's browser, whose address is the peer's.
	_, page, _ := getPage(t, e.m.Sandbox.DemoPaymentURL)
	if st, body := submit(t, e.m.Sandbox.DemoPaymentURL, formOf(t, page), url.Values{"token": {e.token(visaOK)}}); st != 200 ||
		!strings.Contains(body, "receipt") {
		t.Fatalf("pay page = %d:\n%s", st, body)
	}
	pays := invoicePayments(e.m.Sandbox.DemoInvoiceID)
	if len(pays) != 1 {
		t.Fatalf("demo invoice payments %v", pays)
	}
	paid(pays[0].(map[string]any), "127.0.0.1")

	// The API: with the customer's client_ip (saving the card, so its
	// consent records the address), and without (merchant-initiated).
	inv := e.invoice(nil)
	cus := inv["customer_id"].(string)
	paid(e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments",
		map[string]any{"source": e.token(visaOK), "save_card": true, "client_ip": payer}), payer)
	paid(e.must(201, "POST", "/v1/payments", map[string]any{"amount": 700, "currency": "usd", "source": e.token(visaOK)}), server)
	if st, out := e.call("POST", "/v1/payments", map[string]any{"amount": 700, "currency": "usd", "source": e.token(visaOK),
		"client_ip": "payer's laptop"}); st != 400 || out["param"] != "client_ip" {
		t.Fatalf("a client_ip that is no address = %d %v", st, out)
	}
	cards := e.must(200, "GET", "/v1/customers/"+cus+"/cards", nil)["data"].([]any)
	card := cards[0].(map[string]any)
	if c := card["consent"].(map[string]any); c["client_ip"] != payer {
		t.Fatalf("consent of a card saved with client_ip: %v", c)
	}
	// A saved card charged by the merchant: the consent's address.
	paid(e.must(201, "POST", "/v1/payments", map[string]any{"amount": 800, "currency": "usd", "card_id": card["id"]}), payer)
	// A card saved through the API without client_ip: no consent address,
	// so the server's (its one-cent verification included, below).
	other := e.customer()
	bare := e.must(201, "POST", "/v1/customers/"+other+"/cards", map[string]any{"source": e.token(mcOK)})
	paid(e.must(201, "POST", "/v1/payments", map[string]any{"amount": 900, "currency": "usd", "card_id": bare["id"]}), server)

	// An authorization (a charge create) captured later.
	auth := e.must(201, "POST", "/v1/payments", map[string]any{"amount": 1100, "currency": "usd", "source": e.token(visaOK),
		"capture": false, "client_ip": payer})
	paid(auth, payer)
	if got := e.must(200, "POST", "/v1/payments/"+auth["id"].(string)+"/capture", nil); got["status"] != "captured" {
		t.Fatalf("capture: %v", got)
	}

	// Autopay on the due date, and a dunning retry after a decline: the
	// consent's address.
	e.must(200, "POST", "/v1/billing-settings", map[string]any{"reminder_days": []int{}, "dunning_days": []int{1}})
	e.must(200, "POST", "/v1/customers/"+cus+"/autopay", map[string]any{"enabled": true, "card_id": card["id"]})
	auto := e.invoiceFor(cus, e.day(1))
	saved, err := e.m.DB.GetCard(t.Context(), e.m.Sandbox.MerchantID, card["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	e.m.Sim.SetCardDeclining(saved.CloverCardID, true)
	e.advance(24 * time.Hour)
	if got := e.must(200, "GET", "/v1/invoices/"+auto["id"].(string), nil); got["status"] != "open" {
		t.Fatalf("autopay invoice with a declining card: %v", got["status"])
	}
	e.m.Sim.SetCardDeclining(saved.CloverCardID, false)
	e.advance(24 * time.Hour)
	var retried bool
	for _, p := range invoicePayments(auto["id"].(string)) {
		p := p.(map[string]any)
		if p["status"] == "succeeded" {
			paid(p, payer)
			retried = true
		}
	}
	if !retried {
		t.Fatalf("no dunning retry took the autopay invoice: %v", invoicePayments(auto["id"].(string)))
	}

	// The reconciler: Clover fails every attempt, then it repeats the
	// call with the address recorded with the payment.
	rec, tok := e.invoice(nil), e.token(visaOK)
	e.m.Sim.SetFaults(cloversim.Faults{ErrorRate: 1})
	st, p := e.call("POST", "/v1/invoices/"+rec["id"].(string)+"/payments", map[string]any{"source": tok, "client_ip": payer})
	if (st != 201 && st != 202) || p["status"] != "unknown" && p["status"] != "pending" {
		t.Fatalf("payment under 5xx = %d %v", st, p)
	}
	e.m.Sim.SetFaults(cloversim.Faults{})
	p = e.reconciled(p["id"].(string))
	paid(p, payer)

	var checked int
	for _, l := range e.m.Sim.Ledger(mid) {
		if l.Kind != cloversim.KindCharge && l.Kind != cloversim.KindAuth {
			continue
		}
		ip, ok := want[l.ChargeID]
		if !ok && l.Amount == 1 { // a card verification: the saving caller's address
			ip, ok = server, true
		}
		if !ok {
			t.Errorf("a charge no path accounts for: %+v", l)
			continue
		}
		if l.ForwardedFor != ip {
			t.Errorf("charge %s (%d) sent x-forwarded-for %q, want %q", l.ChargeID, l.Amount, l.ForwardedFor, ip)
		}
		checked++
	}
	if checked != len(want)+1 {
		t.Fatalf("checked %d charges, want %d and the verification", checked, len(want))
	}
}

// reconciled runs the reconciler until payment id is settled and returns it.
func (e *sbx) reconciled(id string) map[string]any {
	e.t.Helper()
	for range 20 {
		if _, err := e.m.Service.Reconcile(e.t.Context()); err != nil {
			e.t.Fatal(err)
		}
		got := e.must(200, "GET", "/v1/payments/"+id, nil)
		if got["status"] != "unknown" && got["status"] != "pending" {
			return got
		}
		e.m.Sim.AdvanceClock(10 * time.Minute) // the sandbox's one clock: paybridge reads cloversim's
	}
	e.t.Fatalf("payment %s not settled by the reconciler", id)
	return nil
}
