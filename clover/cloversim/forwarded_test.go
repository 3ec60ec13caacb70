package cloversim

import (
	"testing"

	"github.com/paybridge/paybridge/clover"
)

// TestForwardedForRequired: charge create and order pay without a valid
// x-forwarded-for are refused with a 400 naming the header, spend nothing
// (the token stays usable, the key unspent) and move no money; capture and
// other writes do not need it; ForwardedForOptional relaxes the check.
func TestForwardedForRequired(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.tokenize(visa)
	charge := clover.ChargeParams{Amount: 1000, Currency: "usd", Source: tok}
	for _, tc := range []struct{ value, code string }{{"", "parameter_missing"}, {"not-an-ip", "parameter_invalid_string"}} {
		r := b.do("POST", "/v1/charges", charge, "X-Forwarded-For", tc.value, "idempotency-key", "k-charge")
		expect(t, r, 400)
		if d := r.errDetail(t); d.Code != tc.code || d.Param != "x-forwarded-for" || d.Type != "invalid_request_error" {
			t.Fatalf("x-forwarded-for %q: error %+v", tc.value, d)
		}
	}
	o := b.createOrder(clover.OrderItem{Quantity: 1, Amount: 1000, Description: "Repair"})
	r := b.do("POST", "/v1/orders/"+o.ID+"/pay", clover.PayOrderParams{Source: b.tokenize(visa)}, "X-Forwarded-For", "")
	expect(t, r, 400)
	if l := b.sim.Ledger(b.mid); len(l) != 0 {
		t.Fatalf("refused requests moved money: %+v", l)
	}
	// The same token and key work once the header is there; a list of
	// proxies' addresses is fine when the first is the customer's.
	r = b.do("POST", "/v1/charges", charge, "X-Forwarded-For", "2001:db8::1, 10.0.0.1", "idempotency-key", "k-charge")
	expect(t, r, 200)
	auth := false
	r = b.do("POST", "/v1/charges", clover.ChargeParams{Amount: 500, Currency: "usd", Source: b.tokenize(visa), Capture: &auth})
	expect(t, r, 200)
	var ch clover.Charge
	r.json(t, &ch)
	expect(t, b.do("POST", "/v1/charges/"+ch.ID+"/capture", nil, "X-Forwarded-For", ""), 200)

	relaxed := setup(t, func(o *Options) { o.ForwardedForOptional = true })
	r = relaxed.do("POST", "/v1/charges", clover.ChargeParams{Amount: 1000, Currency: "usd", Source: relaxed.tokenize(visa)}, "X-Forwarded-For", "")
	expect(t, r, 200)
}
