package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
)

// LinkStore is what the pay-page suite needs: the main store (to make
// merchants, invoices and payments) and the LinkStore under test.
type LinkStore interface {
	paybridge.Store
	paybridge.LinkStore
}

// RunLinks runs the LinkStore conformance suite; open is as for Run.
func RunLinks(t *testing.T, open func(t *testing.T) LinkStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s LinkStore)
	}{
		{"PaymentLinks", testPaymentLinks},
		{"LinkAttempts", testLinkAttempts},
		{"LinkAttemptsConcurrent", testLinkAttemptsConcurrent},
		{"CheckoutSessions", testCheckoutSessions},
		{"HostedChargeUnique", testHostedChargeUnique},
		{"WebSettings", testWebSettings},
		{"MerchantProfiles", testMerchantProfiles},
		{"AttemptLang", testAttemptLang},
		{"Receipts", testReceipts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

func newLink(t *testing.T, s LinkStore, m *paybridge.Merchant, inv *paybridge.Invoice) (*paybridge.PaymentLink, string) {
	t.Helper()
	tok, hash := paybridge.NewLinkToken()
	l := &paybridge.PaymentLink{MerchantID: m.ID, InvoiceID: inv.ID, TokenHash: hash, ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}
	ok(t, s.CreatePaymentLink(context.Background(), l))
	return l, tok
}

func testPaymentLinks(t *testing.T, s LinkStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	l, tok := newLink(t, s, m, inv)
	if !paybridge.HasPrefix(l.ID, paybridge.PrefixLink) || len(tok) != 22 {
		t.Fatalf("id %q token %q: want lnk_ id and a 22-character token", l.ID, tok)
	}
	got, err := s.PaymentLinkByToken(ctx, paybridge.HashLinkToken(tok))
	ok(t, err)
	if got.ID != l.ID || got.InvoiceID != inv.ID || got.MerchantID != m.ID || !got.ExpiresAt.Equal(l.ExpiresAt) || got.RevokedAt != nil {
		t.Fatalf("got %+v, want %+v", got, l)
	}
	if !got.Usable(t0) || got.Usable(t0.Add(time.Hour)) {
		t.Fatal("a link is usable before its expiry and not at it")
	}
	_, err = s.PaymentLinkByToken(ctx, paybridge.HashLinkToken(tok+"x"))
	wantErr(t, err, paybridge.ENOTFOUND, "")

	other := newMerchant(t, s)
	err = s.CreatePaymentLink(ctx, &paybridge.PaymentLink{MerchantID: other.ID, InvoiceID: inv.ID, TokenHash: "h", ExpiresAt: t0})
	wantErr(t, err, paybridge.ENOTFOUND, "")

	newLink(t, s, m, inv)
	n, err := s.RevokePaymentLinks(ctx, other.ID, inv.ID, t0)
	ok(t, err)
	if n != 0 {
		t.Fatalf("another merchant revoked %d links", n)
	}
	n, err = s.RevokePaymentLinks(ctx, m.ID, inv.ID, t0)
	ok(t, err)
	if n != 2 {
		t.Fatalf("revoked %d links, want 2", n)
	}
	got, err = s.PaymentLinkByToken(ctx, paybridge.HashLinkToken(tok))
	ok(t, err)
	if got.RevokedAt == nil || got.Usable(t0) {
		t.Fatalf("revoked link %+v still usable", got)
	}
}

func testLinkAttempts(t *testing.T, s LinkStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	l, _ := newLink(t, s, m, inv)
	prev, err := s.BeginLinkAttempt(ctx, &paybridge.LinkAttempt{LinkID: l.ID, AttemptKey: "k1"})
	ok(t, err)
	if prev != nil {
		t.Fatalf("first begin returned %+v", prev)
	}
	prev, err = s.BeginLinkAttempt(ctx, &paybridge.LinkAttempt{LinkID: l.ID, AttemptKey: "k1"})
	ok(t, err)
	if prev == nil || prev.PaymentID != "" {
		t.Fatalf("second begin = %+v, want the in-flight attempt", prev)
	}
	p := newPayment(t, s, m, inv, 100)
	ok(t, s.CompleteLinkAttempt(ctx, l.ID, "k1", p.ID, "", t0))
	err = s.CompleteLinkAttempt(ctx, l.ID, "k1", "pay_other", "", t0)
	wantErr(t, err, paybridge.ECONFLICT, "stale_state")
	a, err := s.GetLinkAttempt(ctx, l.ID, "k1")
	ok(t, err)
	if a.PaymentID != p.ID {
		t.Fatalf("attempt payment %q, want the first %q", a.PaymentID, p.ID)
	}
	prev, err = s.BeginLinkAttempt(ctx, &paybridge.LinkAttempt{LinkID: l.ID, AttemptKey: "k1"})
	ok(t, err)
	if prev == nil || prev.PaymentID != p.ID {
		t.Fatalf("begin after completion = %+v", prev)
	}
	ok(t, firstErr(s.BeginLinkAttempt(ctx, &paybridge.LinkAttempt{LinkID: l.ID, AttemptKey: "k2"})))
	ok(t, s.CompleteLinkAttempt(ctx, l.ID, "k2", "", "amount_too_small", t0))
	a, err = s.GetLinkAttempt(ctx, l.ID, "k2")
	ok(t, err)
	if a.ErrorCode != "amount_too_small" || a.PaymentID != "" {
		t.Fatalf("refused attempt = %+v", a)
	}
	_, err = s.GetLinkAttempt(ctx, l.ID, "nope")
	wantErr(t, err, paybridge.ENOTFOUND, "")
	wantErr(t, s.CompleteLinkAttempt(ctx, l.ID, "nope", "x", "", t0), paybridge.ENOTFOUND, "")
}

func firstErr[T any](_ T, err error) error { return err }

// testLinkAttemptsConcurrent: of many concurrent submits of one form,
// exactly one begins the attempt.
func testLinkAttemptsConcurrent(t *testing.T, s LinkStore) {
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	l, _ := newLink(t, s, m, inv)
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for range n {
		wg.Go(func() {
			prev, err := s.BeginLinkAttempt(context.Background(), &paybridge.LinkAttempt{LinkID: l.ID, AttemptKey: "same"})
			if err != nil {
				t.Error(err)
				return
			}
			if prev == nil {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firsts != 1 {
		t.Fatalf("%d submits began the attempt, want exactly 1", firsts)
	}
}

func testCheckoutSessions(t *testing.T, s LinkStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	l, _ := newLink(t, s, m, inv)
	cs := &paybridge.CheckoutSession{ID: "sess-" + l.ID, MerchantID: m.ID, InvoiceID: inv.ID, LinkID: l.ID, Amount: inv.Total, CreatedAt: t0}
	ok(t, s.CreateCheckoutSession(ctx, cs))
	got, err := s.GetCheckoutSession(ctx, cs.ID)
	ok(t, err)
	if *got != *cs {
		t.Fatalf("got %+v, want %+v", got, cs)
	}
	_, err = s.GetCheckoutSession(ctx, "nope")
	wantErr(t, err, paybridge.ENOTFOUND, "")
	wantErr(t, s.CreateCheckoutSession(ctx, cs), paybridge.ECONFLICT, "")
}

// testHostedChargeUnique: one Clover payment can be recorded as a hosted
// payment only once, whatever the webhook deliveries do.
func testHostedChargeUnique(t *testing.T, s LinkStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	p := pendingPayment(m, inv, 1000)
	p.Method, p.Source, p.CloverChargeID = paybridge.MethodHosted, "", "HCOCHARGE1"
	ok(t, s.CreatePayment(ctx, p))
	p.Status = paybridge.PaymentSucceeded
	p.AmountCaptured = p.Amount
	_, err := s.ApplyPayment(ctx, p, paybridge.PaymentPending, t0)
	ok(t, err)
	got, err := s.PaymentByCloverCharge(ctx, m.ID, "HCOCHARGE1")
	ok(t, err)
	if got.ID != p.ID {
		t.Fatalf("PaymentByCloverCharge = %s, want %s", got.ID, p.ID)
	}
	_, err = s.PaymentByCloverCharge(ctx, newMerchant(t, s).ID, "HCOCHARGE1")
	wantErr(t, err, paybridge.ENOTFOUND, "")
	dup := pendingPayment(m, inv, 500)
	dup.Method, dup.Source, dup.CloverChargeID = paybridge.MethodHosted, "", "HCOCHARGE1"
	wantErr(t, s.CreatePayment(ctx, dup), paybridge.ECONFLICT, "")
}

func testWebSettings(t *testing.T, s LinkStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	ws, err := s.WebSettings(ctx, m.ID)
	ok(t, err)
	if ws.CheckoutMode != paybridge.CheckoutIframe || ws.SealedHCOSecret != nil {
		t.Fatalf("defaults = %+v", ws)
	}
	ok(t, s.SetWebSettings(ctx, &paybridge.WebSettings{MerchantID: m.ID, CheckoutMode: paybridge.CheckoutHosted, SealedHCOSecret: []byte("sealed")}))
	ws, err = s.WebSettings(ctx, m.ID)
	ok(t, err)
	if ws.CheckoutMode != paybridge.CheckoutHosted || string(ws.SealedHCOSecret) != "sealed" {
		t.Fatalf("after set = %+v", ws)
	}
	ok(t, s.SetWebSettings(ctx, &paybridge.WebSettings{MerchantID: m.ID, CheckoutMode: paybridge.CheckoutIframe}))
	ws, err = s.WebSettings(ctx, m.ID)
	ok(t, err)
	if ws.CheckoutMode != paybridge.CheckoutIframe || ws.SealedHCOSecret != nil {
		t.Fatalf("after replace = %+v", ws)
	}
	wantErr(t, s.SetWebSettings(ctx, &paybridge.WebSettings{MerchantID: m.ID, CheckoutMode: "popup"}), paybridge.EINVALID, "invalid_checkout_mode")
	wantErr(t, s.SetWebSettings(ctx, &paybridge.WebSettings{MerchantID: "mer_nope", CheckoutMode: "iframe"}), paybridge.ENOTFOUND, "")
}

func testMerchantProfiles(t *testing.T, s LinkStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	_, err := s.MerchantProfile(ctx, m.ID)
	wantErr(t, err, paybridge.ENOTFOUND, "")
	p := &paybridge.MerchantProfile{MerchantID: m.ID, Name: "Shop", Address1: "1 Main St", Address2: "Unit 2", City: "Québec",
		Region: "QC", PostalCode: "G1R 4P5", Country: "CA", Phone: "418-555-0100"}
	ok(t, s.SetMerchantProfile(ctx, p))
	got, err := s.MerchantProfile(ctx, m.ID)
	ok(t, err)
	if got.UpdatedAt.IsZero() {
		t.Fatal("no updated_at")
	}
	got.UpdatedAt = p.UpdatedAt
	if *got != *p {
		t.Fatalf("read back %+v, want %+v", got, p)
	}
	p2 := *p
	p2.Phone, p2.Address2 = "418-555-0199", ""
	ok(t, s.SetMerchantProfile(ctx, &p2))
	if got, _ = s.MerchantProfile(ctx, m.ID); got.Phone != "418-555-0199" || got.Address2 != "" {
		t.Fatalf("after replace %+v", got)
	}
	wantErr(t, s.SetMerchantProfile(ctx, &paybridge.MerchantProfile{MerchantID: "mer_nope"}), paybridge.ENOTFOUND, "")
}
