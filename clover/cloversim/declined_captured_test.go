package cloversim

import (
	"testing"

	"github.com/paybridge/paybridge/clover"
)

// TestDeclinedButCaptured: under the fault a charge and an order pay that
// went through answer a 402 decline naming the charge, which Clover holds
// as succeeded and captured, once in the ledger (the key replays the 402,
// no second movement); GET /v1/charges/{id} tells the truth; a real
// decline stays a decline and moves nothing.
func TestDeclinedButCaptured(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Faults.DeclinedButCapturedRate = 1 })
	charge := clover.ChargeParams{Amount: 1200, Currency: "usd", Source: b.tokenize(visa)}
	r := b.do("POST", "/v1/charges", charge, "idempotency-key", "k1")
	expect(t, r, 402)
	d := r.errDetail(t)
	if d.Type != "card_error" || d.Code != "card_declined" || d.Charge == "" {
		t.Fatalf("decline %+v", d)
	}
	expect(t, b.do("POST", "/v1/charges", charge, "idempotency-key", "k1"), 402) // replayed
	var ch clover.Charge
	g := b.do("GET", "/v1/charges/"+d.Charge, nil)
	expect(t, g, 200)
	g.json(t, &ch)
	if ch.Status != "succeeded" || !ch.Paid || !ch.Captured || ch.AmountCaptured != 1200 {
		t.Fatalf("the 402's charge %+v, want succeeded and captured", ch)
	}
	l := b.sim.Ledger(b.mid)
	if len(l) != 1 || l[0].ChargeID != d.Charge || l[0].Kind != KindCharge || l[0].ForwardedFor != testPayerIP {
		t.Fatalf("ledger %+v, want the one charge with its x-forwarded-for", l)
	}

	o := b.createOrder(clover.OrderItem{Quantity: 1, Amount: 800, Description: "Repair"})
	r = b.do("POST", "/v1/orders/"+o.ID+"/pay", clover.PayOrderParams{Source: b.tokenize(visa)})
	expect(t, r, 402)
	d = r.errDetail(t)
	var paid clover.Order
	g = b.do("GET", "/v1/orders/"+o.ID, nil)
	expect(t, g, 200)
	g.json(t, &paid)
	if paid.Status != "paid" || paid.Charge != d.Charge {
		t.Fatalf("order after a declined-but-captured pay: %+v (402 named %s)", paid, d.Charge)
	}

	r = b.charge("4005571702222222", 500)
	expect(t, r, 402)
	g = b.do("GET", "/v1/charges/"+r.errDetail(t).Charge, nil)
	g.json(t, &ch)
	if ch.Status != "failed" || ch.Captured {
		t.Fatalf("a real decline under the fault: %+v", ch)
	}
	if n := len(b.sim.Ledger(b.mid)); n != 2 {
		t.Fatalf("ledger entries = %d, want 2 (the charge and the order pay)", n)
	}
}
