package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/paybridge/paybridge"
)

func testPayments(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	p := newPayment(t, s, m, inv, 1000)
	if !paybridge.HasPrefix(p.ID, paybridge.PrefixPayment) || p.Version != 1 {
		t.Fatalf("CreatePayment: id %q version %d", p.ID, p.Version)
	}
	got, err := s.GetPayment(ctx, m.ID, p.ID)
	ok(t, err)
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("GetPayment (-want +got):\n%s", diff)
	}
	direct := newPayment(t, s, m, nil, 300)
	got, err = s.GetPayment(ctx, m.ID, direct.ID)
	ok(t, err)
	if got.InvoiceID != "" || got.Card != nil {
		t.Errorf("direct payment: invoice %q card %v", got.InvoiceID, got.Card)
	}
	_, err = s.GetPayment(ctx, m.ID, "pay_missing")
	wantErr(t, err, paybridge.ENOTFOUND, "")
	wantErr(t, s.CreatePayment(ctx, pendingPayment(m, &paybridge.Invoice{ID: "inv_missing"}, 1)), paybridge.ENOTFOUND, "")

	list, _, err := s.ListPayments(ctx, m.ID, paybridge.PaymentFilter{InvoiceID: inv.ID})
	ok(t, err)
	if len(list) != 1 || list[0].ID != p.ID {
		t.Errorf("ListPayments(invoice) = %v", list)
	}
	list, _, err = s.ListPayments(ctx, m.ID, paybridge.PaymentFilter{Status: paybridge.PaymentPending})
	ok(t, err)
	if len(list) != 2 {
		t.Errorf("ListPayments(pending) = %d, want 2", len(list))
	}
}

// testOnePaymentInFlight walks the in-flight rule through each status.
func testOnePaymentInFlight(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	first := newPayment(t, s, m, inv, 500)
	wantErr(t, s.CreatePayment(ctx, pendingPayment(m, inv, 500)), paybridge.ECONFLICT, "payment_in_progress")

	first.Status = paybridge.PaymentUnknown
	_, err := s.ApplyPayment(ctx, first, paybridge.PaymentPending, t0)
	ok(t, err)
	wantErr(t, s.CreatePayment(ctx, pendingPayment(m, inv, 500)), paybridge.ECONFLICT, "payment_in_progress")

	first.Status, first.FailureCode = paybridge.PaymentFailed, "card_declined"
	_, err = s.ApplyPayment(ctx, first, paybridge.PaymentUnknown, t0)
	ok(t, err)
	second := newPayment(t, s, m, inv, 500) // the failed one no longer blocks
	succeed(t, s, second)
	newPayment(t, s, m, inv, 500) // nor does a succeeded one
	// Payments without an invoice are never serialised.
	newPayment(t, s, m, nil, 1)
	newPayment(t, s, m, nil, 1)
}

func testOnePaymentInFlightConcurrent(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	const n = 50
	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		created, conflicts int
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			err := s.CreatePayment(ctx, pendingPayment(m, inv, 2550))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case paybridge.ErrorCode(err) == "payment_in_progress":
				conflicts++
			default:
				t.Errorf("CreatePayment: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if created != 1 || conflicts != n-1 {
		t.Errorf("created %d, conflicts %d; want 1 and %d", created, conflicts, n-1)
	}
	list, _, err := s.ListPayments(ctx, m.ID, paybridge.PaymentFilter{InvoiceID: inv.ID})
	ok(t, err)
	if len(list) != 1 {
		t.Errorf("stored %d payments, want 1", len(list))
	}
}

func testApplyPayment(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m)) // total 2550

	// A partial payment with a tip: partially_paid, tip counted apart.
	p1 := newPayment(t, s, m, inv, 1000)
	p1.TipAmount = 150
	got := succeed(t, s, p1)
	if got.Status != paybridge.InvoicePartiallyPaid || got.AmountPaid != 1000 || got.TipPaid != 150 ||
		got.AmountDue() != 1550 || got.PaidAt != nil || got.Version != 2 {
		t.Fatalf("after partial: status %s paid %d tip %d due %d paidAt %v version %d",
			got.Status, got.AmountPaid, got.TipPaid, got.AmountDue(), got.PaidAt, got.Version)
	}
	if p1.AmountCaptured != 1000 || p1.Version != 2 || p1.Card == nil || p1.Card.Last4 != "4242" {
		t.Errorf("payment after apply: captured %d version %d card %v", p1.AmountCaptured, p1.Version, p1.Card)
	}
	stored, err := s.GetPayment(ctx, m.ID, p1.ID)
	ok(t, err)
	if diff := cmp.Diff(p1, stored); diff != "" {
		t.Errorf("ApplyPayment left p unlike the stored row (-p +stored):\n%s", diff)
	}

	// Authorize the rest, then capture it: money counts when captured.
	p2 := newPayment(t, s, m, inv, 1550)
	p2.Status = paybridge.PaymentAuthorized
	got, err = s.ApplyPayment(ctx, p2, paybridge.PaymentPending, t0)
	ok(t, err)
	if got.AmountPaid != 1000 || got.Status != paybridge.InvoicePartiallyPaid {
		t.Fatalf("authorization counted as paid: %d %s", got.AmountPaid, got.Status)
	}
	p2.Status, p2.AmountCaptured = paybridge.PaymentCaptured, 1550
	capturedAt := t0.Add(time.Hour)
	got, err = s.ApplyPayment(ctx, p2, paybridge.PaymentAuthorized, capturedAt)
	ok(t, err)
	if got.Status != paybridge.InvoicePaid || got.AmountPaid != 2550 || got.AmountDue() != 0 ||
		got.PaidAt == nil || !got.PaidAt.Equal(capturedAt) {
		t.Fatalf("after capture: status %s paid %d paidAt %v", got.Status, got.AmountPaid, got.PaidAt)
	}
	reread, err := s.GetInvoice(ctx, m.ID, inv.ID)
	ok(t, err)
	if diff := cmp.Diff(got, reread); diff != "" {
		t.Errorf("returned invoice differs from stored (-returned +stored):\n%s", diff)
	}

	// A voided authorization releases nothing it never took.
	inv2 := newInvoice(t, s, m, newCustomer(t, s, m))
	p3 := newPayment(t, s, m, inv2, 2550)
	p3.Status = paybridge.PaymentAuthorized
	_, err = s.ApplyPayment(ctx, p3, paybridge.PaymentPending, t0)
	ok(t, err)
	p3.Status = paybridge.PaymentVoided
	got, err = s.ApplyPayment(ctx, p3, paybridge.PaymentAuthorized, t0)
	ok(t, err)
	if got.Status != paybridge.InvoiceOpen || got.AmountPaid != 0 {
		t.Errorf("after void: %s paid %d", got.Status, got.AmountPaid)
	}

	// An unknown payment rescheduled in place keeps its status.
	p4 := newPayment(t, s, m, inv2, 100)
	p4.Status = paybridge.PaymentUnknown
	_, err = s.ApplyPayment(ctx, p4, paybridge.PaymentPending, t0)
	ok(t, err)
	p4.Attempts, p4.NextAttemptAt = 3, t0.Add(time.Minute)
	_, err = s.ApplyPayment(ctx, p4, paybridge.PaymentUnknown, t0)
	ok(t, err)
	stored, err = s.GetPayment(ctx, m.ID, p4.ID)
	ok(t, err)
	if stored.Attempts != 3 || !stored.NextAttemptAt.Equal(t0.Add(time.Minute)) || stored.Status != paybridge.PaymentUnknown {
		t.Errorf("rescheduled: attempts %d next %v status %s", stored.Attempts, stored.NextAttemptAt, stored.Status)
	}

	// A payment without an invoice returns no invoice.
	direct := newPayment(t, s, m, nil, 700)
	if got := succeed(t, s, direct); got != nil {
		t.Errorf("direct payment returned invoice %v", got)
	}
}

func testApplyPaymentErrors(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	p := newPayment(t, s, m, inv, 1000)
	stale := *p
	succeed(t, s, p)

	stale.Status = paybridge.PaymentFailed
	_, err := s.ApplyPayment(ctx, &stale, paybridge.PaymentPending, t0)
	wantErr(t, err, paybridge.ECONFLICT, "stale_state")

	bad := *p
	bad.Status = paybridge.PaymentPending
	_, err = s.ApplyPayment(ctx, &bad, paybridge.PaymentSucceeded, t0)
	wantErr(t, err, paybridge.EINVALID, "invalid_transition")

	ghost := *p
	ghost.ID = "pay_missing"
	ghost.Status = paybridge.PaymentRefunded
	_, err = s.ApplyPayment(ctx, &ghost, paybridge.PaymentSucceeded, t0)
	wantErr(t, err, paybridge.ENOTFOUND, "")

	got, err := s.GetInvoice(ctx, m.ID, inv.ID)
	ok(t, err)
	if got.AmountPaid != 1000 {
		t.Errorf("failed transitions changed the invoice: paid %d", got.AmountPaid)
	}
}

// testApplyPaymentConcurrent races the API, pay page and webhook paths on
// one payment: exactly one transition wins and money is counted once.
func testApplyPaymentConcurrent(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	p := newPayment(t, s, m, inv, 2550)
	const n = 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range n {
		wg.Go(func() {
			mine := *p
			mine.Status = paybridge.PaymentSucceeded
			_, err := s.ApplyPayment(ctx, &mine, paybridge.PaymentPending, t0)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if paybridge.ErrorCode(err) != "stale_state" {
				t.Errorf("ApplyPayment: %v", err)
			}
		})
	}
	wg.Wait()
	got, err := s.GetInvoice(ctx, m.ID, inv.ID)
	ok(t, err)
	if wins != 1 || got.AmountPaid != 2550 || got.Status != paybridge.InvoicePaid {
		t.Errorf("wins %d, invoice paid %d status %s; want 1, 2550, paid", wins, got.AmountPaid, got.Status)
	}
}

func testDuePayments(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	now := time.Now()
	mk := func(status paybridge.PaymentStatus, next time.Time) *paybridge.Payment {
		p := pendingPayment(m, nil, 100)
		if status == paybridge.PaymentPending {
			p.InvoiceID, p.CustomerID = inv.ID, inv.CustomerID
		}
		ok(t, s.CreatePayment(ctx, p))
		if status != paybridge.PaymentPending {
			p.Status, p.NextAttemptAt = status, next
			_, err := s.ApplyPayment(ctx, p, paybridge.PaymentPending, now)
			ok(t, err)
		}
		return p
	}
	unknownDue := mk(paybridge.PaymentUnknown, now.Add(-time.Second))
	unknownLater := mk(paybridge.PaymentUnknown, now.Add(time.Hour))
	pending := mk(paybridge.PaymentPending, time.Time{})
	mk(paybridge.PaymentSucceeded, time.Time{})

	dueIDs := func(now, staleBefore time.Time) map[string]bool {
		t.Helper()
		ps, err := s.DuePayments(ctx, now, staleBefore, 100)
		ok(t, err)
		out := map[string]bool{}
		for _, p := range ps {
			if p.MerchantID == m.ID {
				out[p.ID] = true
			}
		}
		return out
	}
	got := dueIDs(now, now.Add(-time.Hour))
	if diff := cmp.Diff(map[string]bool{unknownDue.ID: true}, got); diff != "" {
		t.Errorf("due with fresh pending (-want +got):\n%s", diff)
	}
	got = dueIDs(now.Add(2*time.Hour), now.Add(time.Minute))
	want := map[string]bool{unknownDue.ID: true, unknownLater.ID: true, pending.ID: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("due later with stale pending (-want +got):\n%s", diff)
	}
}
