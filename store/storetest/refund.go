package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/paybridge/paybridge"
)

func newRefund(t *testing.T, s paybridge.Store, p *paybridge.Payment, amount int64) *paybridge.Refund {
	t.Helper()
	r := &paybridge.Refund{MerchantID: p.MerchantID, PaymentID: p.ID, Amount: amount, Currency: "usd",
		Reason: "requested_by_customer", IdempotencyKey: paybridge.NewID("idem_")}
	ok(t, s.CreateRefund(context.Background(), r))
	return r
}

func testRefunds(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	p := paidPayment(t, s, m, inv, 2550)

	r1 := newRefund(t, s, p, 1000)
	if r1.InvoiceID != inv.ID || r1.Status != paybridge.RefundPending || !paybridge.HasPrefix(r1.ID, paybridge.PrefixRefund) {
		t.Fatalf("CreateRefund: invoice %q status %s id %q", r1.InvoiceID, r1.Status, r1.ID)
	}
	got, err := s.GetRefund(ctx, m.ID, r1.ID)
	ok(t, err)
	if diff := cmp.Diff(r1, got); diff != "" {
		t.Errorf("GetRefund (-want +got):\n%s", diff)
	}
	// 1000 reserved: only 1550 is left.
	wantErr(t, s.CreateRefund(ctx, &paybridge.Refund{MerchantID: m.ID, PaymentID: p.ID, Amount: 1551}),
		paybridge.EINVALID, "amount_too_large")
	wantErr(t, s.CreateRefund(ctx, &paybridge.Refund{MerchantID: m.ID, PaymentID: p.ID, Amount: 0}),
		paybridge.EINVALID, "")
	wantErr(t, s.CreateRefund(ctx, &paybridge.Refund{MerchantID: m.ID, PaymentID: "pay_missing", Amount: 1}),
		paybridge.ENOTFOUND, "")
	pending := newPayment(t, s, m, nil, 500)
	wantErr(t, s.CreateRefund(ctx, &paybridge.Refund{MerchantID: m.ID, PaymentID: pending.ID, Amount: 1}),
		paybridge.EINVALID, "amount_too_large")

	r1.Status, r1.CloverRefundID = paybridge.RefundSucceeded, "RF1"
	gotInv, err := s.ApplyRefund(ctx, r1, paybridge.RefundPending, t0)
	ok(t, err)
	if gotInv.Status != paybridge.InvoicePartiallyRefunded || gotInv.AmountRefunded != 1000 || gotInv.AmountPaid != 2550 {
		t.Fatalf("invoice after partial refund: %s refunded %d paid %d", gotInv.Status, gotInv.AmountRefunded, gotInv.AmountPaid)
	}
	gotPay, err := s.GetPayment(ctx, m.ID, p.ID)
	ok(t, err)
	if gotPay.Status != paybridge.PaymentPartiallyRefunded || gotPay.AmountRefunded != 1000 {
		t.Fatalf("payment after partial refund: %s refunded %d", gotPay.Status, gotPay.AmountRefunded)
	}
	if r1.CloverRefundID != "RF1" || r1.Status != paybridge.RefundSucceeded || !r1.UpdatedAt.Equal(t0) {
		t.Errorf("refund after apply: %+v", r1)
	}
	if got, err := s.GetRefund(ctx, m.ID, r1.ID); err != nil {
		t.Fatal(err)
	} else if diff := cmp.Diff(got, r1); diff != "" {
		t.Errorf("refund after apply is not the stored row (-stored +r):\n%s", diff)
	}
	// Applying it again is stale.
	again := *r1
	_, err = s.ApplyRefund(ctx, &again, paybridge.RefundPending, t0)
	wantErr(t, err, paybridge.ECONFLICT, "stale_state")
	again.Status = paybridge.RefundFailed
	_, err = s.ApplyRefund(ctx, &again, paybridge.RefundSucceeded, t0)
	wantErr(t, err, paybridge.EINVALID, "invalid_transition")

	r2 := newRefund(t, s, p, 1550)
	r2.Status = paybridge.RefundSucceeded
	gotInv, err = s.ApplyRefund(ctx, r2, paybridge.RefundPending, t0)
	ok(t, err)
	gotPay, err = s.GetPayment(ctx, m.ID, p.ID)
	ok(t, err)
	if gotInv.Status != paybridge.InvoiceRefunded || gotInv.AmountRefunded != 2550 ||
		gotPay.Status != paybridge.PaymentRefunded || gotPay.AmountRefunded != 2550 {
		t.Fatalf("after full refund: invoice %s %d, payment %s %d", gotInv.Status, gotInv.AmountRefunded,
			gotPay.Status, gotPay.AmountRefunded)
	}
	wantErr(t, s.CreateRefund(ctx, &paybridge.Refund{MerchantID: m.ID, PaymentID: p.ID, Amount: 1}),
		paybridge.EINVALID, "amount_too_large")

	list, _, err := s.ListRefunds(ctx, m.ID, paybridge.RefundFilter{InvoiceID: inv.ID})
	ok(t, err)
	if len(list) != 2 || list[0].ID != r1.ID || list[1].ID != r2.ID {
		t.Errorf("ListRefunds(invoice) = %d refunds", len(list))
	}

	// A payment without an invoice refunds without one.
	direct := paidPayment(t, s, m, nil, 400)
	r3 := newRefund(t, s, direct, 400)
	r3.Status = paybridge.RefundSucceeded
	gotInv, err = s.ApplyRefund(ctx, r3, paybridge.RefundPending, t0)
	ok(t, err)
	if gotInv != nil {
		t.Errorf("refund of a direct payment returned invoice %v", gotInv)
	}
}

// testRefundsConcurrent races refunds: together they never reserve more
// than was captured, whether or not the payment belongs to an invoice.
func testRefundsConcurrent(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	for _, tc := range []struct {
		name string
		inv  *paybridge.Invoice
	}{{"invoice payment", inv}, {"direct payment", nil}} {
		p := paidPayment(t, s, m, tc.inv, 2550)
		const n = 30
		var (
			wg             sync.WaitGroup
			mu             sync.Mutex
			created, large int
		)
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				err := s.CreateRefund(ctx, &paybridge.Refund{MerchantID: m.ID, PaymentID: p.ID, Amount: 100, Currency: "usd"})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					created++
				case paybridge.ErrorCode(err) == "amount_too_large":
					large++
				default:
					t.Errorf("CreateRefund: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if created != 25 || large != n-25 {
			t.Errorf("%s: created %d refunds of 100 on 2550 (%d too large); want 25", tc.name, created, large)
		}
	}
}

// testInvoiceMoneyConcurrent settles refunds of two payments of one
// invoice at once, many times: both amounts always land, and the invoice's
// status always reflects both (each transaction reads the invoice locked,
// after the other's write, never a stale copy).
func testInvoiceMoneyConcurrent(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	c := newCustomer(t, s, m)
	for range 10 {
		inv := newInvoice(t, s, m, c) // 2550
		p1 := paidPayment(t, s, m, inv, 1275)
		p2 := paidPayment(t, s, m, inv, 1275)
		refunds := []*paybridge.Refund{newRefund(t, s, p1, 1275), newRefund(t, s, p2, 1275)}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, r := range refunds {
			wg.Go(func() {
				<-start
				r.Status, r.CloverRefundID = paybridge.RefundSucceeded, "RF_"+r.ID
				if _, err := s.ApplyRefund(ctx, r, paybridge.RefundPending, t0); err != nil {
					t.Errorf("ApplyRefund: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		got, err := s.GetInvoice(ctx, m.ID, inv.ID)
		ok(t, err)
		if got.AmountRefunded != 2550 || got.Status != paybridge.InvoiceRefunded {
			t.Fatalf("invoice after two concurrent refunds of 1275: refunded %d, status %s; want 2550, refunded",
				got.AmountRefunded, got.Status)
		}
	}
}

func testApplyRefundFailed(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	p := paidPayment(t, s, m, inv, 2550)
	r := newRefund(t, s, p, 2550)
	wantErr(t, s.CreateRefund(ctx, &paybridge.Refund{MerchantID: m.ID, PaymentID: p.ID, Amount: 1}),
		paybridge.EINVALID, "amount_too_large")

	r.Status = paybridge.RefundUnknown
	r.Attempts, r.NextAttemptAt = 1, t0.Add(time.Minute)
	_, err := s.ApplyRefund(ctx, r, paybridge.RefundPending, t0)
	ok(t, err)
	r.Status, r.FailureCode, r.FailureMessage = paybridge.RefundFailed, "insufficient_funds", "no"
	gotInv, err := s.ApplyRefund(ctx, r, paybridge.RefundUnknown, t0)
	ok(t, err)
	if gotInv.AmountRefunded != 0 || gotInv.Status != paybridge.InvoicePaid {
		t.Errorf("invoice after failed refund: %s refunded %d", gotInv.Status, gotInv.AmountRefunded)
	}
	gotPay, err := s.GetPayment(ctx, m.ID, p.ID)
	ok(t, err)
	if gotPay.Status != paybridge.PaymentSucceeded || gotPay.AmountRefunded != 0 {
		t.Errorf("payment after failed refund: %s refunded %d", gotPay.Status, gotPay.AmountRefunded)
	}
	// The reservation is released: the whole amount can be refunded again.
	newRefund(t, s, p, 2550)
}

func testDueRefunds(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	p := paidPayment(t, s, m, nil, 1000)
	now := time.Now()
	due := newRefund(t, s, p, 100)
	due.Status, due.NextAttemptAt = paybridge.RefundUnknown, now.Add(-time.Minute)
	_, err := s.ApplyRefund(ctx, due, paybridge.RefundPending, now)
	ok(t, err)
	later := newRefund(t, s, p, 100)
	later.Status, later.NextAttemptAt = paybridge.RefundUnknown, now.Add(time.Hour)
	_, err = s.ApplyRefund(ctx, later, paybridge.RefundPending, now)
	ok(t, err)
	pending := newRefund(t, s, p, 100)

	for _, tc := range []struct {
		name            string
		now, staleBefor time.Time
		want            map[string]bool
	}{
		{"only due unknown", now, now.Add(-time.Hour), map[string]bool{due.ID: true}},
		{"all", now.Add(2 * time.Hour), now.Add(time.Minute), map[string]bool{due.ID: true, later.ID: true, pending.ID: true}},
	} {
		rs, err := s.DueRefunds(ctx, tc.now, tc.staleBefor, 100)
		ok(t, err)
		got := map[string]bool{}
		for _, r := range rs {
			if r.MerchantID == m.ID {
				got[r.ID] = true
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
