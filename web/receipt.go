package web

import (
	"context"
	"fmt"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/email"
)

// receiptJob names one receipt to mail: the payment and the language the
// customer paid in.
type receiptJob struct {
	merchantID, paymentID, lang string
}

// sendReceipt mails a payment's receipt in the background; Close waits for
// it. Whoever claims the payment's receipt first mails it (the pay page,
// the hosted-checkout webhook, the sweep), so it goes out once.
func (s *Server) sendReceipt(job receiptJob) {
	if s.Mail == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return // the sweep of the next start mails it
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := s.deliverReceipt(ctx, job); err != nil {
			s.Logger.Error("send receipt", "payment_id", job.paymentID, "err", err)
		}
	}()
}

// deliverReceipt claims and mails one receipt; sent is false when another
// caller had claimed it or the customer has no email address. A failed
// mail gives the claim back for the sweep to retry.
func (s *Server) deliverReceipt(ctx context.Context, job receiptJob) (sent bool, err error) {
	p, err := s.Store.GetPayment(ctx, job.merchantID, job.paymentID)
	if err != nil {
		return false, err
	}
	if !p.Status.Settled() || p.InvoiceID == "" {
		return false, nil
	}
	won, err := s.Store.ClaimReceipt(ctx, job.merchantID, job.paymentID, s.Now())
	if err != nil || !won {
		return false, err
	}
	m, err := s.receiptMessage(ctx, p, job.lang)
	if err == nil && m.To == "" {
		return false, nil // nobody to mail; the claim stays so the sweep does not retry
	}
	if err == nil {
		err = s.Mail.Send(ctx, m)
	}
	if err != nil {
		if rerr := s.Store.ReleaseReceipt(context.WithoutCancel(ctx), job.paymentID); rerr != nil {
			s.Logger.Error("release receipt claim", "payment_id", job.paymentID, "err", rerr)
		}
		return false, err
	}
	if err := s.Store.MarkReceiptSent(context.WithoutCancel(ctx), job.paymentID, s.Now()); err != nil {
		s.Logger.Warn("mark receipt sent", "payment_id", job.paymentID, "err", err)
	}
	return true, nil
}

// receiptMessage renders a payment's receipt in locale (To is empty when
// the customer has no address).
func (s *Server) receiptMessage(ctx context.Context, p *paybridge.Payment, locale string) (email.Message, error) {
	if matchLocale(locale) != locale {
		locale = "en-US"
	}
	inv, err := s.Store.GetInvoice(ctx, p.MerchantID, p.InvoiceID)
	if err != nil {
		return email.Message{}, err
	}
	mer, err := s.Store.GetMerchant(ctx, p.MerchantID)
	if err != nil {
		return email.Message{}, err
	}
	cu, err := s.Store.GetCustomer(ctx, p.MerchantID, inv.CustomerID)
	if err != nil || cu.Email == "" {
		return email.Message{}, err
	}
	ps, err := s.invoicePayments(ctx, p.MerchantID, p.InvoiceID)
	if err != nil {
		return email.Message{}, err
	}
	v := &view{Locale: locale, Kind: "receipt"}
	v.fillInvoice(mer.Name, inv)
	v.fillProfile(s.profile(ctx, mer.ID))
	v.fillPayments(ps)
	m, err := renderMail("mail_receipt", v)
	m.To, m.Kind = cu.Email, "receipt"
	m.Subject = fmt.Sprintf("%s %s — %s", v.T("receipt"), inv.Number, mer.Name)
	return m, err
}

// SweepReceipts mails the receipts still owed for pay-page payments that
// settled in the last ReceiptHorizon without one: those the reconciler
// settled after the customer's request ended, and those whose mail
// failed. It returns how many it sent.
func (s *Server) SweepReceipts(ctx context.Context) (int, error) {
	if s.Mail == nil {
		return 0, nil
	}
	due, err := s.Store.UnreceiptedAttempts(ctx, s.Now().Add(-s.ReceiptHorizon), 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range due {
		l, err := s.Store.GetPaymentLink(ctx, a.LinkID)
		if err != nil {
			return n, err
		}
		sent, err := s.deliverReceipt(ctx, receiptJob{merchantID: l.MerchantID, paymentID: a.PaymentID, lang: a.Lang})
		if err != nil {
			s.Logger.Error("receipt sweep", "payment_id", a.PaymentID, "err", err)
			continue
		}
		if sent {
			n++
		}
	}
	return n, nil
}

// StartReceiptSweeper runs SweepReceipts every ReceiptSweepEvery until
// Close.
func (s *Server) StartReceiptSweeper() {
	if s.Mail == nil || s.ReceiptSweepEvery <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || s.stopSweep != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopSweep = cancel
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		t := time.NewTicker(s.ReceiptSweepEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if _, err := s.SweepReceipts(ctx); err != nil && ctx.Err() == nil {
				s.Logger.Error("receipt sweep", "err", err)
			}
		}
	}()
}
