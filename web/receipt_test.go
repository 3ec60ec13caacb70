package web

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/email"
	"github.com/paybridge/paybridge/store"
)

// gateMail is a mail sender that holds each send until released.
type gateMail struct {
	started chan email.Message
	release chan struct{}
	mu      sync.Mutex
	sent    []email.Message
	fail    bool
}

func (g *gateMail) Send(ctx context.Context, m email.Message) error {
	g.started <- m
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail {
		return errors.New("smtp: 451 try later")
	}
	g.sent = append(g.sent, m)
	return nil
}

// receiptFixture is a store with a merchant, a customer and a settled
// payment of an invoice, and a Server mailing through a gateMail.
func receiptFixture(t *testing.T) (*Server, *gateMail, *paybridge.Payment) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "pb.db"), store.Options{Logger: slog.New(slog.DiscardHandler), Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mer := &paybridge.Merchant{ID: paybridge.NewID(paybridge.PrefixMerchant), CloverMerchantID: "CMRECEIPT01", Name: "Plomberie Tremblay",
		Currency: "cad", Status: paybridge.MerchantActive, PAKMSKey: "pk_x"}
	must(t, db.CreateMerchant(ctx, mer, []byte("sealed")))
	cu := &paybridge.Customer{MerchantID: mer.ID, Email: "client@example.com", Name: "Client"}
	must(t, db.CreateCustomer(ctx, cu))
	inv := &paybridge.Invoice{MerchantID: mer.ID, CustomerID: cu.ID, Currency: "cad", Status: paybridge.InvoiceOpen,
		LineItems: []paybridge.LineItem{{Description: "Réparation", Quantity: 1, UnitAmount: 123456}}}
	inv.ComputeTotals()
	must(t, db.CreateInvoice(ctx, inv))
	p := &paybridge.Payment{MerchantID: mer.ID, InvoiceID: inv.ID, CustomerID: cu.ID, Status: paybridge.PaymentPending,
		Method: paybridge.MethodToken, Route: paybridge.RouteCharge, Amount: inv.Total, Currency: "cad", Capture: true,
		Source: "clv_x", IdempotencyKey: paybridge.NewID("idem_")}
	must(t, db.CreatePayment(ctx, p))
	p.Status, p.AmountCaptured, p.Source, p.CloverChargeID = paybridge.PaymentSucceeded, p.Amount, "", "CH1"
	p.Card = &paybridge.CardSummary{Brand: "VISA", Last4: "4242"}
	_, err = db.ApplyPayment(ctx, p, paybridge.PaymentPending, time.Now())
	must(t, err)
	g := &gateMail{started: make(chan email.Message, 8), release: make(chan struct{})}
	s := New(db, nil)
	s.Mail = g
	return s, g, p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCloseWaitsForReceipts: Close returns only once a receipt send in
// flight has finished (or its ctx ends), and receipts asked for after
// Close are not started.
func TestCloseWaitsForReceipts(t *testing.T) {
	t.Parallel()
	s, g, p := receiptFixture(t)
	s.sendReceipt(receiptJob{merchantID: p.MerchantID, paymentID: p.ID, lang: "fr-CA"})
	m := <-g.started
	if !strings.Contains(m.Subject, "Reçu") || !strings.Contains(m.Text, "1\u202f234,56\u00a0$") || !strings.Contains(m.Text, "4242") {
		t.Fatalf("receipt not in fr-CA: %+v", m)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Close(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a send in flight = %v, want the deadline", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Close(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Close returned (%v) while the send was in flight", err)
	default:
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(g.sent) != 1 {
		t.Fatalf("%d sent, want 1", len(g.sent))
	}
	s.sendReceipt(receiptJob{merchantID: p.MerchantID, paymentID: p.ID}) // after Close: ignored
	select {
	case m := <-g.started:
		t.Fatalf("a send after Close: %+v", m)
	default:
	}
}

// TestReceiptOnceAndRetryAfterFailure: many concurrent asks mail one
// receipt; a failed mail is given back and the next ask mails it.
func TestReceiptOnceAndRetryAfterFailure(t *testing.T) {
	t.Parallel()
	s, g, p := receiptFixture(t)
	g.fail = true
	close(g.release)
	ctx := context.Background()
	job := receiptJob{merchantID: p.MerchantID, paymentID: p.ID, lang: "en-CA"}
	if sent, err := s.deliverReceipt(ctx, job); sent || err == nil {
		t.Fatalf("failing mail: sent=%v err=%v", sent, err)
	}
	<-g.started
	g.mu.Lock()
	g.fail = false
	g.mu.Unlock()
	var wg sync.WaitGroup
	var mu sync.Mutex
	sentN := 0
	for range 6 {
		wg.Go(func() {
			sent, err := s.deliverReceipt(ctx, job)
			if err != nil {
				t.Error(err)
			}
			if sent {
				mu.Lock()
				sentN++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if sentN != 1 || len(g.sent) != 1 {
		t.Fatalf("%d reported sent, %d mailed; want 1", sentN, len(g.sent))
	}
	if m := g.sent[0]; !strings.Contains(m.Subject, "Receipt") || !strings.Contains(m.Text, "$1,234.56") {
		t.Fatalf("en-CA receipt %+v", m)
	}
}
