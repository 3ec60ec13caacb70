package cloversim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

func TestChargeSale(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.tokenize(visa)
	ch := b.mustCharge(clover.ChargeParams{Amount: 1500, TipAmount: 300, Currency: "usd", Source: tok, ExternalReferenceID: "INV-1"})
	if len(ch.ID) != 13 || strings.ToUpper(ch.ID) != ch.ID {
		t.Errorf("id %q", ch.ID)
	}
	if !ch.Paid || !ch.Captured || ch.Status != "succeeded" || ch.AmountCaptured != 1500 || ch.TipAmount != 300 {
		t.Errorf("charge %+v", ch)
	}
	if len(ch.RefNum) != 12 || !allDigits(ch.RefNum) || !strings.HasPrefix(ch.AuthCode, "OK") || len(ch.AuthCode) != 6 {
		t.Errorf("ref_num %q auth_code %q", ch.RefNum, ch.AuthCode)
	}
	wantSrc := clover.Card{ID: tok, Brand: "VISA", First6: "424242", Last4: "4242", ExpMonth: "12", ExpYear: "2030"}
	if *ch.Source != wantSrc {
		t.Errorf("source %+v", *ch.Source)
	}
	if ch.Created != b.clock.Now().UnixMilli() {
		t.Errorf("created %d, want ms", ch.Created)
	}
	if *ch.Outcome != (clover.Outcome{NetworkStatus: "approved_by_network", Type: "authorized"}) {
		t.Errorf("outcome %+v", ch.Outcome)
	}
	g := b.do("GET", "/v1/charges/"+ch.ID, nil)
	expect(t, g, 200)
	var got clover.Charge
	g.json(t, &got)
	if got.ID != ch.ID || got.Amount != 1500 {
		t.Errorf("GET %+v", got)
	}
	l := b.sim.Ledger(b.mid)
	if len(l) != 1 || l[0].Kind != KindCharge || l[0].Amount != 1500 || l[0].TipAmount != 300 {
		t.Errorf("ledger %+v", l)
	}
}

func TestChargeDecline(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, num := range []string{"4005571702222222", "375987654000004", "5424180273333333", "4264281511117771", "4005578003333335"} {
		t.Run(num[:6], func(t *testing.T) {
			t.Parallel()
			r := b.charge(num, 1000)
			expect(t, r, 402)
			d := r.errDetail(t)
			declineCode, msg, _ := declines(num)
			want := fmt.Sprintf(`{"message":"402 Payment Required","error":{"type":"card_error","code":"card_declined","message":%q,"charge":%q,"decline_code":%q}}`,
				msg, d.Charge, declineCode)
			if got := strings.TrimSpace(string(r.Raw)); got != want {
				t.Errorf("body\n%s\nwant\n%s", got, want)
			}
			g := b.do("GET", "/v1/charges/"+d.Charge, nil)
			expect(t, g, 200)
			var ch clover.Charge
			g.json(t, &ch)
			if ch.Status != "failed" || ch.Paid || ch.Captured || ch.FailureCode != "card_declined" {
				t.Errorf("stored decline %+v", ch)
			}
		})
	}
	t.Cleanup(func() {
		if l := b.sim.Ledger(b.mid); len(l) != 0 {
			t.Errorf("declines moved money: %+v", l)
		}
		if n := b.sim.ChargeCount(b.mid); n != 5 {
			t.Errorf("ChargeCount %d, want 5 failed charges", n)
		}
	})
}

func TestAuthAndPartialCapture(t *testing.T) {
	t.Parallel()
	b := setup(t)
	no := false
	ch := b.mustCharge(clover.ChargeParams{Amount: 1000, Currency: "usd", Source: b.tokenize(visa), Capture: &no})
	if ch.Captured || !ch.Paid || ch.Status != "succeeded" || ch.AmountCaptured != 0 {
		t.Fatalf("auth %+v", ch)
	}
	r := b.do("POST", "/v1/charges/"+ch.ID+"/capture", clover.CaptureParams{Amount: 1001})
	expect(t, r, 400)
	r = b.do("POST", "/v1/charges/"+ch.ID+"/capture", clover.CaptureParams{Amount: 600})
	expect(t, r, 200)
	var cap clover.Charge
	r.json(t, &cap)
	if !cap.Captured || cap.AmountCaptured != 600 {
		t.Errorf("captured %+v", cap)
	}
	r = b.do("POST", "/v1/charges/"+ch.ID+"/capture", nil)
	expect(t, r, 400)
	if d := r.errDetail(t); d.Code != "charge_already_captured" {
		t.Errorf("second capture %+v", d)
	}
	// Refunds are bounded by what was captured.
	expect(t, b.do("POST", "/v1/refunds", clover.RefundParams{Charge: ch.ID, Amount: 601}), 400)
	expect(t, b.do("POST", "/v1/refunds", clover.RefundParams{Charge: ch.ID}), 200)
	kinds := ""
	for _, e := range b.sim.Ledger(b.mid) {
		kinds += fmt.Sprintf("%s:%d ", e.Kind, e.Amount)
	}
	if kinds != "auth:1000 capture:600 refund:600 " {
		t.Errorf("ledger %s", kinds)
	}
}

func TestCaptureSale(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ch := b.mustCharge(clover.ChargeParams{Amount: 1000, Currency: "usd", Source: b.tokenize(visa)})
	r := b.do("POST", "/v1/charges/"+ch.ID+"/capture", nil)
	expect(t, r, 400)
	const want = `{"message":"400 Bad Request","error":{"code":"processing_error","message":"Invalid request: cannot capture a non AUTH payment"}}`
	if got := strings.TrimSpace(string(r.Raw)); got != want {
		t.Errorf("got %s", got)
	}
	expect(t, b.do("POST", "/v1/charges/NOPE0000NOPE0/capture", nil), 404)
}

func TestVoidAuthByRefund(t *testing.T) {
	t.Parallel()
	b := setup(t)
	no := false
	ch := b.mustCharge(clover.ChargeParams{Amount: 1000, Currency: "usd", Source: b.tokenize(visa), Capture: &no})
	expect(t, b.do("POST", "/v1/refunds", clover.RefundParams{Charge: ch.ID, Amount: 500}), 400)
	expect(t, b.do("POST", "/v1/refunds", clover.RefundParams{Charge: ch.ID}), 200)
	expect(t, b.do("POST", "/v1/charges/"+ch.ID+"/capture", nil), 400)
	l := b.sim.Ledger(b.mid)
	if len(l) != 2 || l[1].Kind != KindVoid || l[1].Amount != 1000 {
		t.Errorf("ledger %+v", l)
	}
	var p clover.V3Payment
	b.do("GET", "/v3/merchants/"+b.mid+"/payments/"+ch.ID, nil).json(t, &p)
	if p.Result != "VOIDED" {
		t.Errorf("v3 result %q", p.Result)
	}
}

func TestChargeValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.tokenize(visa)
	tests := []struct {
		name string
		p    clover.ChargeParams
		code string
	}{
		{"zero", clover.ChargeParams{Amount: 0, Currency: "usd", Source: tok}, "invalid_charge_amount"},
		{"negative", clover.ChargeParams{Amount: -5, Currency: "usd", Source: tok}, "invalid_charge_amount"},
		{"too large", clover.ChargeParams{Amount: 100_000_000, Currency: "usd", Source: tok}, "amount_too_large"},
		{"no currency", clover.ChargeParams{Amount: 100, Source: tok}, "invalid_request"},
		{"upper currency", clover.ChargeParams{Amount: 100, Currency: "USD", Source: tok}, "invalid_request"},
		{"unknown currency", clover.ChargeParams{Amount: 100, Currency: "xts", Source: tok}, "invalid_request"},
		{"no source", clover.ChargeParams{Amount: 100, Currency: "usd"}, "invalid_request"},
		{"bad source", clover.ChargeParams{Amount: 100, Currency: "usd", Source: "clv_nope"}, "invalid_request"},
		{"tender without label", clover.ChargeParams{Amount: 100, Currency: "usd", Source: "alternate_tender"}, "invalid_request"},
		{"negative tip", clover.ChargeParams{Amount: 100, Currency: "usd", Source: tok, TipAmount: -1}, "invalid_tip_amount"},
		{"long ext ref", clover.ChargeParams{Amount: 100, Currency: "usd", Source: tok, ExternalReferenceID: "1234567890123"}, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.do("POST", "/v1/charges", tt.p)
			expect(t, r, 400)
			if d := r.errDetail(t); d.Code != tt.code {
				t.Errorf("code %q want %q", d.Code, tt.code)
			}
		})
	}
	if n := b.sim.ChargeCount(b.mid); n != 0 {
		t.Errorf("%d charges stored by invalid requests", n)
	}
	// A string amount is a type error, not a zero.
	expect(t, b.do("POST", "/v1/charges", []byte(`{"amount":"100","currency":"usd","source":"`+tok+`"}`)), 400)
	expect(t, b.do("POST", "/v1/charges", []byte(`{"amount":1.5,"currency":"usd","source":"`+tok+`"}`)), 400)
}

func TestChargeAlternateTender(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ch := b.mustCharge(clover.ChargeParams{Amount: 2500, Currency: "usd", Source: clover.SourceAlternateTender,
		Tender: &clover.Tender{LabelKey: clover.TenderCash}})
	if ch.Tender == nil || ch.Tender.LabelKey != clover.TenderCash || ch.Source != nil || !ch.Captured {
		t.Errorf("tender charge %+v", ch)
	}
}

func TestListCharges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []string
	for i := range 5 {
		b.clock.Add(time.Second)
		ids = append(ids, b.mustCharge(clover.ChargeParams{Amount: int64(100 + i), Currency: "usd", Source: b.tokenize(visa)}).ID)
	}
	var l clover.List[clover.Charge]
	r := b.do("GET", "/v1/charges?limit=2", nil)
	expect(t, r, 200)
	r.json(t, &l)
	if l.Object != "list" || l.URL != "/v1/charges" || len(l.Data) != 2 || !l.HasMore || l.Data[0].ID != ids[4] || l.Data[1].ID != ids[3] {
		t.Fatalf("page 1 %+v", l)
	}
	b.do("GET", "/v1/charges?limit=2&starting_after="+ids[3], nil).json(t, &l)
	if len(l.Data) != 2 || l.Data[0].ID != ids[2] || l.Data[1].ID != ids[1] || !l.HasMore {
		t.Fatalf("page 2 %+v", l)
	}
	b.do("GET", "/v1/charges?ending_before="+ids[2], nil).json(t, &l)
	if len(l.Data) != 2 || l.Data[0].ID != ids[4] {
		t.Fatalf("ending_before %+v", l)
	}
	var c2 clover.Charge
	b.do("GET", "/v1/charges/"+ids[2], nil).json(t, &c2)
	b.do("GET", fmt.Sprintf("/v1/charges?created.gte=%d", c2.Created), nil).json(t, &l)
	if len(l.Data) != 3 {
		t.Fatalf("created.gte: %d", len(l.Data))
	}
	expect(t, b.do("GET", "/v1/charges?limit=0", nil), 400)
	expect(t, b.do("GET", "/v1/charges?limit=101", nil), 400)
	expect(t, b.do("GET", "/v1/charges?starting_after=NOPE", nil), 400)
	// Empty list is [] not null.
	_, tokB, _ := b.sim.AddMerchant("")
	r, _ = b.reqAs(t.Context(), tokB, "GET", "/v1/charges", nil)
	if !strings.Contains(string(r.Raw), `"data":[]`) {
		t.Errorf("empty list %s", r.Raw)
	}
}

func TestUnknownIDs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for path, msg := range map[string]string{
		"/v1/charges/ABCDEFGHJKMNP":   "Charge with id ABCDEFGHJKMNP not found.",
		"/v1/refunds/ABCDEFGHJKMNP":   "Refund with id ABCDEFGHJKMNP not found.",
		"/v1/orders/ABCDEFGHJKMNP":    "Order with id ABCDEFGHJKMNP not found.",
		"/v1/customers/ABCDEFGHJKMNP": "Customer with id ABCDEFGHJKMNP not found.",
	} {
		r := b.do("GET", path, nil)
		expect(t, r, 404)
		if d := r.errDetail(t); d.Message != msg {
			t.Errorf("%s: %q", path, d.Message)
		}
	}
}
