package web

import (
	"context"
	"fmt"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// MaxLinkTTL bounds expires_in.
const MaxLinkTTL = 90 * 24 * time.Hour

// CreateLink makes a payment link for an open invoice of the caller's
// merchant and returns its URL (the only time the token is shown).
func (s *Server) CreateLink(ctx context.Context, c billing.Caller, invoiceID string, expiresIn time.Duration) (string, *paybridge.PaymentLink, error) {
	if expiresIn == 0 {
		expiresIn = s.LinkTTL
	}
	if expiresIn < time.Minute || expiresIn > MaxLinkTTL {
		return "", nil, paybridge.Errorf(paybridge.EINVALID, "expires_in", "expires_in must be between 60 and %d seconds", int(MaxLinkTTL.Seconds())).WithCode("invalid_expires_in")
	}
	inv, err := s.Store.GetInvoice(ctx, c.MerchantID, invoiceID)
	if err != nil {
		return "", nil, err
	}
	if inv.Status == paybridge.InvoiceVoid || inv.Status == paybridge.InvoiceDraft {
		return "", nil, paybridge.Errorf(paybridge.ECONFLICT, "", "invoice %s is %s: it cannot be paid", inv.ID, inv.Status).WithCode("invoice_not_open")
	}
	token, hash := paybridge.NewLinkToken()
	now := s.Now().UTC()
	l := &paybridge.PaymentLink{MerchantID: c.MerchantID, InvoiceID: inv.ID, TokenHash: hash, ExpiresAt: now.Add(expiresIn), CreatedAt: now}
	if err := s.Store.CreatePaymentLink(ctx, l); err != nil {
		return "", nil, err
	}
	return s.LinkURL(token), l, nil
}

// RevokeLinks revokes every link of an invoice; it returns how many.
func (s *Server) RevokeLinks(ctx context.Context, c billing.Caller, invoiceID string) (int, error) {
	if _, err := s.Store.GetInvoice(ctx, c.MerchantID, invoiceID); err != nil {
		return 0, err
	}
	return s.Store.RevokePaymentLinks(ctx, c.MerchantID, invoiceID, s.Now())
}

// SendLink makes a new link and emails it with the invoice summary to the
// invoice's customer (or to, when given); it returns the link's URL and
// expiry and the recipient.
func (s *Server) SendLink(ctx context.Context, c billing.Caller, invoiceID, to, locale string) (string, time.Time, string, error) {
	fail := func(err error) (string, time.Time, string, error) { return "", time.Time{}, "", err }
	if s.Mail == nil {
		return fail(errNoMail)
	}
	inv, err := s.Store.GetInvoice(ctx, c.MerchantID, invoiceID)
	if err != nil {
		return fail(err)
	}
	if inv.AmountDue() == 0 {
		return fail(paybridge.Errorf(paybridge.ECONFLICT, "", "invoice %s has nothing due", inv.ID).WithCode("invoice_not_payable"))
	}
	if to != "" { // a header injection or junk is the caller's mistake: 400, not a failed send
		if err := billing.ValidateEmail("to", to); err != nil {
			return fail(err)
		}
	} else {
		cu, err := s.Store.GetCustomer(ctx, c.MerchantID, inv.CustomerID)
		if err != nil {
			return fail(err)
		}
		to = cu.Email
	}
	if locale = matchLocale(locale); locale == "" {
		locale = "en-US"
	}
	mer, err := s.Store.GetMerchant(ctx, c.MerchantID)
	if err != nil {
		return fail(err)
	}
	u, l, err := s.CreateLink(ctx, c, inv.ID, 0)
	if err != nil {
		return fail(err)
	}
	// The link opens the page in the mail's language.
	u += "?lang=" + locale
	v := &view{Locale: locale, Link: u}
	v.fillInvoice(mer.Name, inv)
	v.fillProfile(s.profile(ctx, mer.ID))
	m, err := renderMail("mail_link", v)
	if err != nil {
		return fail(err)
	}
	m.To, m.Kind = to, "payment_link"
	m.Subject = fmt.Sprintf("%s %s — %s (%s)", v.T("invoice"), inv.Number, mer.Name, v.Due)
	if err := s.Mail.Send(ctx, m); err != nil {
		s.Logger.Error("send payment link", "invoice_id", inv.ID, "err", err)
		return fail(paybridge.Errorf(paybridge.EUNAVAILABLE, "", "the email could not be sent; try again").WithCode("email_failed"))
	}
	return u, l.ExpiresAt, to, nil
}
