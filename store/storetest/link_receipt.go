package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
)

// testAttemptLang: the page's locale is kept with the attempt and the
// hosted session, for the receipt's language.
func testAttemptLang(t *testing.T, s LinkStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	l, _ := newLink(t, s, m, inv)
	ok(t, firstErr(s.BeginLinkAttempt(ctx, &paybridge.LinkAttempt{LinkID: l.ID, AttemptKey: "fr", Lang: "fr-CA"})))
	a, err := s.GetLinkAttempt(ctx, l.ID, "fr")
	ok(t, err)
	if a.Lang != "fr-CA" {
		t.Fatalf("attempt lang %q, want fr-CA", a.Lang)
	}
	cs := &paybridge.CheckoutSession{ID: "sess-lang-" + l.ID, MerchantID: m.ID, InvoiceID: inv.ID, LinkID: l.ID, Amount: 5, Lang: "en-CA", CreatedAt: t0}
	ok(t, s.CreateCheckoutSession(ctx, cs))
	got, err := s.GetCheckoutSession(ctx, cs.ID)
	ok(t, err)
	if got.Lang != "en-CA" {
		t.Fatalf("session lang %q, want en-CA", got.Lang)
	}
}

// testReceipts: a receipt is claimed once however many ask at once; a
// released claim may be taken again; the sweep lists settled pay-page
// payments without a claim and nothing else.
func testReceipts(t *testing.T, s LinkStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	l, _ := newLink(t, s, m, inv)

	settled := newPayment(t, s, m, inv, 100)
	ok(t, firstErr(s.BeginLinkAttempt(ctx, &paybridge.LinkAttempt{LinkID: l.ID, AttemptKey: "a1", Lang: "fr-CA"})))
	ok(t, s.CompleteLinkAttempt(ctx, l.ID, "a1", settled.ID, "", t0))
	inv2 := newInvoice(t, s, m, newCustomer(t, s, m))
	l2, _ := newLink(t, s, m, inv2)
	pending := newPayment(t, s, m, inv2, 50)
	ok(t, firstErr(s.BeginLinkAttempt(ctx, &paybridge.LinkAttempt{LinkID: l2.ID, AttemptKey: "a2"})))
	ok(t, s.CompleteLinkAttempt(ctx, l2.ID, "a2", pending.ID, "", t0))
	since := t0.Add(-time.Hour)

	due, err := s.UnreceiptedAttempts(ctx, since, 10)
	ok(t, err)
	if len(due) != 0 {
		t.Fatalf("unsettled payments listed: %+v", due[0])
	}
	succeed(t, s, settled)
	due, err = s.UnreceiptedAttempts(ctx, since, 10)
	ok(t, err)
	if len(due) != 1 || due[0].PaymentID != settled.ID || due[0].Lang != "fr-CA" {
		t.Fatalf("due = %v, want the settled payment's attempt", due)
	}
	if due, err = s.UnreceiptedAttempts(ctx, t0.Add(time.Hour), 10); err != nil || len(due) != 0 {
		t.Fatalf("since after the update: %v %v", due, err)
	}
	a, err := s.LinkAttemptByPayment(ctx, settled.ID)
	ok(t, err)
	if a.AttemptKey != "a1" {
		t.Fatalf("attempt by payment = %+v", a)
	}
	if gl, err := s.GetPaymentLink(ctx, a.LinkID); err != nil || gl.ID != l.ID || gl.InvoiceID != inv.ID {
		t.Fatalf("GetPaymentLink = %+v, %v", gl, err)
	}
	_, err = s.GetPaymentLink(ctx, "lnk_nope")
	wantErr(t, err, paybridge.ENOTFOUND, "")
	_, err = s.LinkAttemptByPayment(ctx, "pay_nope")
	wantErr(t, err, paybridge.ENOTFOUND, "")

	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range n {
		wg.Go(func() {
			won, err := s.ClaimReceipt(ctx, m.ID, settled.ID, t0)
			if err != nil {
				t.Error(err)
				return
			}
			if won {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d claims won, want 1", wins)
	}
	if due, _ = s.UnreceiptedAttempts(ctx, since, 10); len(due) != 0 {
		t.Fatalf("claimed receipt still due: %v", due)
	}
	ok(t, s.ReleaseReceipt(ctx, settled.ID))
	won, err := s.ClaimReceipt(ctx, m.ID, settled.ID, t0)
	ok(t, err)
	if !won {
		t.Fatal("a released claim could not be taken again")
	}
	ok(t, s.MarkReceiptSent(ctx, settled.ID, t0))
	ok(t, s.ReleaseReceipt(ctx, settled.ID)) // a sent receipt is never given back
	if won, err = s.ClaimReceipt(ctx, m.ID, settled.ID, t0); err != nil || won {
		t.Fatalf("claim after sent = %v, %v; want false", won, err)
	}
}
