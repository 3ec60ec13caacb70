package cloversim

import (
	"strings"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

func TestRefundLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ch := b.mustCharge(clover.ChargeParams{Amount: 1000, TipAmount: 100, Currency: "usd", Source: b.tokenize(visa)})
	var ids []string
	for _, amt := range []int64{300, 400} {
		r := b.do("POST", "/v1/refunds", clover.RefundParams{Charge: ch.ID, Amount: amt, Reason: "requested_by_customer"})
		expect(t, r, 200)
		var rf clover.Refund
		r.json(t, &rf)
		if rf.Amount != amt || rf.Charge != ch.ID || rf.Status != "succeeded" || rf.Object != "refund" || len(rf.ID) != 13 {
			t.Errorf("refund %+v", rf)
		}
		ids = append(ids, rf.ID)
	}
	// 1100 paid (amount + tip), 700 refunded: 401 is one too many.
	r := b.do("POST", "/v1/refunds", clover.RefundParams{Charge: ch.ID, Amount: 401})
	expect(t, r, 400)
	const want = `{"message":"400 Bad Request","error":{"code":"processing_error","message":"This refund would make the order's total refunded amount greater than the original order's amount."}}`
	if got := strings.TrimSpace(string(r.Raw)); got != want {
		t.Errorf("over-refund body %s", got)
	}
	expect(t, b.do("POST", "/v1/refunds", clover.RefundParams{Charge: ch.ID, Amount: 400}), 200)
	r = b.do("POST", "/v1/refunds", clover.RefundParams{Charge: ch.ID})
	expect(t, r, 400)
	if d := r.errDetail(t); d.Code != "charge_already_refunded" {
		t.Errorf("after full refund: %+v", d)
	}
	var got clover.Charge
	b.do("GET", "/v1/charges/"+ch.ID, nil).json(t, &got)
	if got.AmountRefunded != 1100 || !got.Refunded {
		t.Errorf("charge after refunds %+v", got)
	}
	var l clover.List[clover.Refund]
	b.do("GET", "/v1/refunds?charge="+ch.ID, nil).json(t, &l)
	if len(l.Data) != 3 || l.URL != "/v1/refunds" || l.Data[2].ID != ids[0] {
		t.Errorf("list %+v", l)
	}
	expect(t, b.do("GET", "/v1/refunds/"+ids[1], nil), 200)
	tot := totals(b.sim.Ledger(b.mid))
	if tot.Charged != 1000 || tot.Tips != 100 || tot.Refunded != 1100 || tot.Net != 0 || tot.Count[KindRefund] != 3 {
		t.Errorf("totals %+v", tot)
	}
}

func TestRefundErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.do("POST", "/v1/refunds", clover.RefundParams{Charge: "ABCDEFGHJKMNP"})
	expect(t, r, 404)
	if d := r.errDetail(t); d.Message != "Charge with id ABCDEFGHJKMNP not found." {
		t.Errorf("%+v", d)
	}
	d := b.charge("4005571702222222", 500).errDetail(t)
	expect(t, b.do("POST", "/v1/refunds", clover.RefundParams{Charge: d.Charge}), 400)
	ch := b.mustCharge(clover.ChargeParams{Amount: 1000, Currency: "usd", Source: b.tokenize(visa)})
	expect(t, b.do("POST", "/v1/refunds", clover.RefundParams{Charge: ch.ID, Reason: "because"}), 400)
	expect(t, b.do("POST", "/v1/refunds", clover.RefundParams{Charge: ch.ID, Amount: -1}), 400)
	expect(t, b.do("POST", "/v1/refunds", clover.RefundParams{}), 400)
}
