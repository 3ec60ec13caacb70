package cloversim

import (
	"strings"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

// salesTax returns the default 10% tax rate of the bundle's merchant.
func (b *bundle) salesTax() clover.V3TaxRate {
	b.t.Helper()
	var l clover.Elements[clover.V3TaxRate]
	b.do("GET", "/v3/merchants/"+b.mid+"/tax_rates", nil).json(b.t, &l)
	for _, tr := range l.Elements {
		if tr.Name == "Sales Tax" {
			return tr
		}
	}
	b.t.Fatal("no Sales Tax rate")
	return clover.V3TaxRate{}
}

func (b *bundle) createOrder(items ...clover.OrderItem) clover.Order {
	b.t.Helper()
	r := b.do("POST", "/v1/orders", clover.OrderParams{Currency: "usd", Email: "buyer@example.com", Items: items})
	expect(b.t, r, 200)
	var o clover.Order
	r.json(b.t, &o)
	return o
}

func TestOrderCreateComputesTax(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tr := b.salesTax()
	o := b.createOrder(
		clover.OrderItem{Quantity: 2, Amount: 1358, Description: "Drain clean", TaxRates: []clover.TaxRate{{TaxRateUUID: tr.ID}}},
		clover.OrderItem{Quantity: 1, Amount: 5, Parent: "MYPARENT", TaxRates: []clover.TaxRate{{Name: "Sales Tax", Rate: 1_000_000}}},
		clover.OrderItem{Quantity: 3, Amount: 100},
	)
	// 2716 + 5 + 300; tax 271.6→272 and 0.5→1 (half up, per item); none on the untaxed item.
	if o.Amount != 3021 || o.TaxAmount != 273 || o.Status != "created" || o.Object != "order" {
		t.Fatalf("order %+v", o)
	}
	if len(o.Items) != 4 || o.Items[3].Type != "tax" || o.Items[3].Amount != 273 || o.Items[3].Description != "Sales Tax" {
		t.Errorf("items %+v", o.Items)
	}
	// The create answer has no parent, as in the docs' example; GET has them.
	if o.Items[0].Parent != "" || o.Items[1].Parent != "" || o.Items[0].Type != "sku" || o.Currency != "USD" {
		t.Errorf("created items %+v", o.Items)
	}
	var got clover.Order
	b.do("GET", "/v1/orders/"+o.ID, nil).json(t, &got)
	if len(got.Items[0].Parent) != 13 || got.Items[1].Parent != "MYPARENT" {
		t.Errorf("parents %+v", got.Items)
	}
}

// TestOrderCreateParentsSwitch: with Shapes.OrderCreateParents the create
// answer carries each item's parent.
func TestOrderCreateParentsSwitch(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Shapes.OrderCreateParents = true })
	o := b.createOrder(clover.OrderItem{Quantity: 1, Amount: 100}, clover.OrderItem{Quantity: 1, Amount: 5, Parent: "MYPARENT"})
	if len(o.Items[0].Parent) != 13 || o.Items[1].Parent != "MYPARENT" {
		t.Errorf("parents %+v", o.Items)
	}
}

func TestOrderCreateRejects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	item := clover.OrderItem{Quantity: 1, Amount: 100}
	for name, p := range map[string]clover.OrderParams{
		"no items":         {Currency: "usd", Email: "a@example.com"},
		"no email":         {Currency: "usd", Items: []clover.OrderItem{item}},
		"no currency":      {Email: "a@example.com", Items: []clover.OrderItem{item}},
		"unknown tax uuid": {Currency: "usd", Email: "a@example.com", Items: []clover.OrderItem{{Amount: 100, TaxRates: []clover.TaxRate{{TaxRateUUID: "ABCDEFGHJKMNP"}}}}},
		"unknown rate":     {Currency: "usd", Email: "a@example.com", Items: []clover.OrderItem{{Amount: 100, TaxRates: []clover.TaxRate{{Name: "Sales Tax", Rate: 825_000}}}}},
		"zero amount":      {Currency: "usd", Email: "a@example.com", Items: []clover.OrderItem{{Amount: 0}}},
		"tax line sent":    {Currency: "usd", Email: "a@example.com", Items: []clover.OrderItem{{Type: "tax", Amount: 10}}},
		"unknown customer": {Currency: "usd", Customer: "ABCDEFGHJKMNP", Items: []clover.OrderItem{item}},
	} {
		r := b.do("POST", "/v1/orders", p)
		if r.Status != 400 && !(name == "unknown customer" && r.Status == 404) {
			t.Errorf("%s: status %d %s", name, r.Status, r.Raw)
		}
	}
	// A rate created on the platform API becomes usable.
	r := b.do("POST", "/v3/merchants/"+b.mid+"/tax_rates", clover.V3TaxRate{Name: "City", Rate: 825_000})
	expect(t, r, 200)
	expect(t, b.do("POST", "/v1/orders", clover.OrderParams{Currency: "usd", Email: "a@example.com",
		Items: []clover.OrderItem{{Amount: 100, TaxRates: []clover.TaxRate{{Name: "City", Rate: 825_000}}}}}), 200)
}

func TestOrderPay(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tr := b.salesTax()
	o := b.createOrder(clover.OrderItem{Quantity: 2, Amount: 1358, TaxRates: []clover.TaxRate{{TaxRateUUID: tr.ID}}})
	// Partial payment refused, and nothing is charged.
	r := b.do("POST", "/v1/orders/"+o.ID+"/pay", map[string]any{"source": b.tokenize(visa), "amount": 1000})
	expect(t, r, 400)
	// A decline leaves the order payable.
	expect(t, b.do("POST", "/v1/orders/"+o.ID+"/pay", clover.PayOrderParams{Source: b.tokenize("4005571702222222")}), 402)
	r = b.do("POST", "/v1/orders/"+o.ID+"/pay", clover.PayOrderParams{Source: b.tokenize(visa), TipAmount: 500})
	expect(t, r, 200)
	var paid clover.Order
	r.json(t, &paid)
	if paid.Status != "paid" || paid.AmountPaid != 2988 || paid.TaxAmountPaid != 272 || paid.Charge == "" ||
		len(paid.RefNum) != 12 || paid.StatusTransitions["paid"] == 0 || paid.Source == nil || paid.Source.Last4 != "4242" {
		t.Fatalf("paid order %s", r.Raw)
	}
	var ch clover.Charge
	b.do("GET", "/v1/charges/"+paid.Charge, nil).json(t, &ch)
	if ch.Amount != 2988 || ch.TipAmount != 500 || ch.TaxAmount != 272 || ch.Order != o.ID {
		t.Errorf("order charge %+v", ch)
	}
	r = b.do("POST", "/v1/orders/"+o.ID+"/pay", clover.PayOrderParams{Source: b.tokenize(visa)})
	expect(t, r, 409)
	want := `{"message":"409 Conflict","error":{"type":"invalid_request_error","code":"order_already_paid","message":"Order with id ` + o.ID + ` has been already paid."}}`
	if got := strings.TrimSpace(string(r.Raw)); got != want {
		t.Errorf("pay twice %s", got)
	}
	var v3 clover.V3Order
	b.do("GET", "/v3/merchants/"+b.mid+"/orders/"+o.ID+"?expand=payments", nil).json(t, &v3)
	if v3.Total != 2988 || v3.PaymentState != "PAID" || v3.Payments == nil || len(v3.Payments.Elements) != 1 || v3.Payments.Elements[0].ID != ch.ID {
		t.Errorf("v3 order %+v", v3)
	}
}

func TestOrderReturns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tr := b.salesTax()
	o := b.createOrder(
		clover.OrderItem{Quantity: 3, Amount: 1000, Parent: "A", TaxRates: []clover.TaxRate{{TaxRateUUID: tr.ID}}},
		clover.OrderItem{Quantity: 1, Amount: 500, Parent: "B"},
	)
	r := b.do("POST", "/v1/orders/"+o.ID+"/returns", nil)
	expect(t, r, 404)
	if d := r.errDetail(t); d.Message != "Order has no payments. Nothing to refund" {
		t.Errorf("%+v", d)
	}
	expect(t, b.do("POST", "/v1/orders/"+o.ID+"/pay", clover.PayOrderParams{Source: b.tokenize(visa)}), 200)
	// Return 2 of A: 2000 + 200 tax.
	r = b.do("POST", "/v1/orders/"+o.ID+"/returns", clover.ReturnParams{Items: []clover.ReturnItem{{Parent: "A", Quantity: 2}}})
	expect(t, r, 200)
	// The recorded shape: the order's own id, no object, order or refund.
	want := `{"id":"` + o.ID + `","amount":3500,"amount_returned":2200,"currency":"USD","status":"returned","status_transitions":{}}`
	if got := strings.TrimSpace(string(r.Raw)); got != want {
		t.Errorf("return %s, want %s", got, want)
	}
	var ret clover.OrderReturn
	// Two more of A is more than was paid for.
	expect(t, b.do("POST", "/v1/orders/"+o.ID+"/returns", clover.ReturnParams{Items: []clover.ReturnItem{{Parent: "A", Quantity: 2}}}), 400)
	expect(t, b.do("POST", "/v1/orders/"+o.ID+"/returns", clover.ReturnParams{Items: []clover.ReturnItem{{Parent: "Z"}}}), 400)
	var got clover.Order
	b.do("GET", "/v1/orders/"+o.ID, nil).json(t, &got)
	if got.Status != "paid" || got.AmountReturned != 2200 {
		t.Errorf("after partial return %+v", got)
	}
	// The rest: 1 A (1100) + B (500).
	r = b.do("POST", "/v1/orders/"+o.ID+"/returns", nil)
	expect(t, r, 200)
	r.json(t, &ret)
	if ret.ID != o.ID || ret.AmountReturned != 3800 {
		t.Errorf("final return %s", r.Raw)
	}
	b.do("GET", "/v1/orders/"+o.ID, nil).json(t, &got)
	if got.Status != "returned" || got.AmountReturned != 3800 {
		t.Errorf("after full return %+v", got)
	}
	expect(t, b.do("POST", "/v1/orders/"+o.ID+"/returns", nil), 400)
	tot := totals(b.sim.Ledger(b.mid))
	if tot.Net != 0 || tot.Refunded != 3800 {
		t.Errorf("totals %+v", tot)
	}
}

func TestOrderReturnNeverAbovePaid(t *testing.T) {
	t.Parallel()
	b := setup(t)
	o := b.createOrder(clover.OrderItem{Quantity: 2, Amount: 1000, Parent: "A"})
	var paid clover.Order
	b.do("POST", "/v1/orders/"+o.ID+"/pay", clover.PayOrderParams{Source: b.tokenize(visa)}).json(t, &paid)
	// A refund made directly against the payment leaves less to return.
	expect(t, b.do("POST", "/v1/refunds", clover.RefundParams{Charge: paid.Charge, Amount: 1500}), 200)
	r := b.do("POST", "/v1/orders/"+o.ID+"/returns", nil)
	expect(t, r, 400)
	if d := r.errDetail(t); d.Code != "processing_error" {
		t.Errorf("%+v", d)
	}
	expect(t, b.do("POST", "/v1/orders/"+o.ID+"/returns", clover.ReturnParams{Items: []clover.ReturnItem{{Parent: "A", Quantity: 1}}}), 400)
}
