package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/paybridge/paybridge"
)

func newReturn(m *paybridge.Merchant, inv *paybridge.Invoice, line int, qty, amount int64) *paybridge.Return {
	return &paybridge.Return{MerchantID: m.ID, InvoiceID: inv.ID, Amount: amount, Currency: "usd",
		IdempotencyKey: paybridge.NewID("idem_"),
		Items:          []paybridge.ReturnItem{{LineItemID: inv.LineItems[line].ID, Quantity: qty, Amount: amount}}}
}

func testReturns(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m)) // line 0: 2 × 1000; line 1: 1 × 500 + 50 tax
	paidPayment(t, s, m, inv, 2550)

	r := newReturn(m, inv, 0, 1, 1000)
	ok(t, s.CreateReturn(ctx, r))
	if !paybridge.HasPrefix(r.ID, paybridge.PrefixReturn) || r.Status != paybridge.RefundPending {
		t.Fatalf("CreateReturn: id %q status %s", r.ID, r.Status)
	}
	got, err := s.GetReturn(ctx, m.ID, r.ID)
	ok(t, err)
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("GetReturn (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name       string
		ret        *paybridge.Return
		kind, code string
	}{
		{"more than left on the line", newReturn(m, inv, 0, 2, 1), paybridge.EINVALID, "quantity_too_large"},
		{"more than the line has", newReturn(m, inv, 1, 2, 1), paybridge.EINVALID, "quantity_too_large"},
		{"zero quantity", newReturn(m, inv, 1, 0, 1), paybridge.EINVALID, ""},
		{"amount above what is left", newReturn(m, inv, 1, 1, 1551), paybridge.EINVALID, "amount_too_large"},
		{"unknown line", &paybridge.Return{MerchantID: m.ID, InvoiceID: inv.ID,
			Items: []paybridge.ReturnItem{{LineItemID: "li_missing", Quantity: 1}}}, paybridge.ENOTFOUND, ""},
		{"unknown invoice", &paybridge.Return{MerchantID: m.ID, InvoiceID: "inv_missing",
			Items: []paybridge.ReturnItem{{LineItemID: inv.LineItems[0].ID, Quantity: 1}}}, paybridge.ENOTFOUND, ""},
		{"no items", &paybridge.Return{MerchantID: m.ID, InvoiceID: inv.ID}, paybridge.EINVALID, ""},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, s.CreateReturn(ctx, tc.ret), tc.kind, tc.code) })
	}

	r.Status, r.CloverReturnID = paybridge.RefundSucceeded, "RET1"
	gotInv, err := s.ApplyReturn(ctx, r, paybridge.RefundPending, t0)
	ok(t, err)
	if gotInv.AmountReturned != 1000 || gotInv.AmountRefunded != 1000 || gotInv.LineItems[0].QuantityReturned != 1 ||
		gotInv.Status != paybridge.InvoicePartiallyRefunded {
		t.Fatalf("invoice after return: returned %d refunded %d qty returned %d status %s", gotInv.AmountReturned,
			gotInv.AmountRefunded, gotInv.LineItems[0].QuantityReturned, gotInv.Status)
	}
	if r.CloverReturnID != "RET1" || r.Status != paybridge.RefundSucceeded || !r.UpdatedAt.Equal(t0) {
		t.Errorf("return after apply: %+v", r)
	}
	if got, err := s.GetReturn(ctx, m.ID, r.ID); err != nil {
		t.Fatal(err)
	} else if diff := cmp.Diff(got, r); diff != "" {
		t.Errorf("return after apply is not the stored row (-stored +r):\n%s", diff)
	}
	stale := *r
	_, err = s.ApplyReturn(ctx, &stale, paybridge.RefundPending, t0)
	wantErr(t, err, paybridge.ECONFLICT, "stale_state")

	// One unit of line 0 is left to return, and 1550 of money.
	wantErr(t, s.CreateReturn(ctx, newReturn(m, inv, 0, 2, 2000)), paybridge.EINVALID, "quantity_too_large")
	r2 := newReturn(m, inv, 0, 1, 1000)
	ok(t, s.CreateReturn(ctx, r2))

	list, err := s.ListReturns(ctx, m.ID, inv.ID)
	ok(t, err)
	if len(list) != 2 || list[0].ID != r.ID || list[1].ID != r2.ID {
		t.Errorf("ListReturns = %d returns", len(list))
	}
	_, err = s.GetReturn(ctx, m.ID, "ret_missing")
	wantErr(t, err, paybridge.ENOTFOUND, "")
}

func testReturnsFailedAndDue(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	paidPayment(t, s, m, inv, 2550)
	now := time.Now()

	r := newReturn(m, inv, 0, 2, 2000)
	ok(t, s.CreateReturn(ctx, r))
	pending := newReturn(m, inv, 1, 1, 550)
	ok(t, s.CreateReturn(ctx, pending))
	wantErr(t, s.CreateReturn(ctx, newReturn(m, inv, 0, 1, 1)), paybridge.EINVALID, "quantity_too_large")

	r.Status, r.NextAttemptAt = paybridge.RefundUnknown, now.Add(-time.Second)
	_, err := s.ApplyReturn(ctx, r, paybridge.RefundPending, now)
	ok(t, err)
	due, err := s.DueReturns(ctx, now, now.Add(-time.Hour), 10)
	ok(t, err)
	if len(due) != 1 || due[0].ID != r.ID {
		t.Errorf("DueReturns = %v, want only %s", due, r.ID)
	}
	due, err = s.DueReturns(ctx, now, now.Add(time.Minute), 10)
	ok(t, err)
	if len(due) != 2 {
		t.Errorf("DueReturns with stale pending = %d, want 2", len(due))
	}

	r.Status = paybridge.RefundFailed
	gotInv, err := s.ApplyReturn(ctx, r, paybridge.RefundUnknown, now)
	ok(t, err)
	if gotInv.AmountRefunded != 0 || gotInv.LineItems[0].QuantityReturned != 0 {
		t.Errorf("failed return moved money: refunded %d returned qty %d", gotInv.AmountRefunded, gotInv.LineItems[0].QuantityReturned)
	}
	// Its quantities and amount are free again.
	ok(t, s.CreateReturn(ctx, newReturn(m, inv, 0, 2, 2000)))
}
