package web

import (
	"context"
	"net/http"
	"time"

	"github.com/paybridge/paybridge"
)

// staleAttempt is how long an attempt may stay without an outcome before
// the page stops saying "processing" (its process died mid-submit; the
// payment itself, if any, is reconciled by billing).
const staleAttempt = 2 * time.Minute

// linkCtx is a resolved, usable link with its merchant and invoice.
type linkCtx struct {
	token string
	link  *paybridge.PaymentLink
	mer   *paybridge.Merchant
	prof  *paybridge.MerchantProfile // nil until copied from Clover
	inv   *paybridge.Invoice
}

// resolve finds the link of the request's token; nil (and the 404 page
// already written) when it is unknown, expired or revoked.
func (s *Server) resolve(w http.ResponseWriter, r *http.Request, locale string) *linkCtx {
	token := r.PathValue("token")
	var l *paybridge.PaymentLink
	var err error
	if len(token) == 22 {
		l, err = s.Store.PaymentLinkByToken(r.Context(), paybridge.HashLinkToken(token))
	}
	if l == nil || err != nil || !l.Usable(s.Now()) {
		if err != nil && !isKind(err, paybridge.ENOTFOUND) {
			s.Logger.Error("pay page: find link", "err", err)
		}
		s.render(w, r, http.StatusNotFound, &view{Kind: "notice", Locale: locale, Title: "notfound_title", Text: "notfound_text"})
		return nil
	}
	lc := &linkCtx{token: token, link: l}
	if lc.mer, err = s.Store.GetMerchant(r.Context(), l.MerchantID); err == nil {
		lc.inv, err = s.Store.GetInvoice(r.Context(), l.MerchantID, l.InvoiceID)
	}
	if err != nil {
		s.Logger.Error("pay page: load invoice", "link_id", l.ID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return nil
	}
	lc.prof = s.profile(r.Context(), l.MerchantID) // the page works without it
	return lc
}

// getPay shows the link's current state: the form (or the hosted-checkout
// button) while something is due, "processing" while a payment is in
// flight, the receipt once paid.
func (s *Server) getPay(w http.ResponseWriter, r *http.Request) {
	locale := pickLocale(r)
	lc := s.resolve(w, r, locale)
	if lc == nil {
		return
	}
	s.showState(w, r, lc, locale, "")
}

// showState renders what a link's invoice calls for now; errMsg (already
// localized) is shown above a form.
func (s *Server) showState(w http.ResponseWriter, r *http.Request, lc *linkCtx, locale, errMsg string) {
	ctx := r.Context()
	v := &view{Locale: locale, Token: lc.token, Error: errMsg}
	v.fillInvoice(lc.mer.Name, lc.inv)
	v.fillProfile(lc.prof)
	switch lc.inv.Status {
	case paybridge.InvoiceVoid, paybridge.InvoiceDraft:
		s.render(w, r, http.StatusGone, &view{Kind: "notice", Locale: locale, Title: "void_title", Text: "void_text"})
		return
	case paybridge.InvoicePaid, paybridge.InvoicePartiallyRefunded, paybridge.InvoiceRefunded:
		s.receipt(ctx, w, r, lc, v, false)
		return
	}
	ps, err := s.payments(ctx, lc)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	for _, p := range ps {
		if p.Status.InFlight() {
			v.Kind, v.Refresh = "processing", true
			s.render(w, r, http.StatusOK, v)
			return
		}
	}
	s.form(ctx, w, r, lc, v)
}

// form renders a fresh form: a new attempt key and its CSRF token.
func (s *Server) form(ctx context.Context, w http.ResponseWriter, r *http.Request, lc *linkCtx, v *view) {
	ws, err := s.Store.WebSettings(ctx, lc.mer.ID)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v.Attempt = newAttemptKey()
	v.CSRF = s.csrfToken(lc.link.ID, v.Attempt, s.Now())
	v.Kind = "form"
	if ws.CheckoutMode == paybridge.CheckoutHosted {
		v.Kind = "hosted"
	}
	v.PAKMS, v.CloverMID = lc.mer.PAKMSKey, lc.mer.CloverMerchantID
	v.AllowTip = lc.inv.AllowTip && v.Kind == "form"
	v.AllowPartial = partialAllowed(lc.inv) && v.Kind == "form"
	v.MinPartial = v.money(minPartial(lc.inv))
	// The choice comes back from the submitted form (a refusal answered
	// in place) or the URL (a reload, the redirect after a refusal).
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = r.PostForm
	}
	c := choice{Tip: "0"}
	if v.Kind == "form" {
		c = readChoice(q)
	}
	v.choose(c)
	s.render(w, r, http.StatusOK, v)
}

// receipt renders the invoice's settled payments. justPaid adds the
// "receipt mailed to" line.
func (s *Server) receipt(ctx context.Context, w http.ResponseWriter, r *http.Request, lc *linkCtx, v *view, justPaid bool) {
	ps, err := s.payments(ctx, lc)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v.Kind = "receipt"
	v.fillPayments(ps)
	if due := lc.inv.AmountDue(); due > 0 && (lc.inv.Status == paybridge.InvoiceOpen || lc.inv.Status == paybridge.InvoicePartiallyPaid) {
		v.Remaining = v.money(due)
	}
	if justPaid && s.Mail != nil {
		if cu, err := s.Store.GetCustomer(ctx, lc.mer.ID, lc.inv.CustomerID); err == nil && cu.Email != "" {
			v.ReceiptTo = cu.Email
		}
	}
	s.render(w, r, http.StatusOK, v)
}

// payments lists the invoice's payments, oldest first.
func (s *Server) payments(ctx context.Context, lc *linkCtx) ([]*paybridge.Payment, error) {
	return s.invoicePayments(ctx, lc.mer.ID, lc.inv.ID)
}

// invoicePayments lists an invoice's payments, oldest first (at most
// 1,000).
func (s *Server) invoicePayments(ctx context.Context, merchantID, invoiceID string) ([]*paybridge.Payment, error) {
	var all []*paybridge.Payment
	cursor := ""
	for {
		ps, next, err := s.Store.ListPayments(ctx, merchantID, paybridge.PaymentFilter{InvoiceID: invoiceID, Cursor: cursor, Limit: 100})
		if err != nil {
			s.Logger.Error("pay page: list payments", "invoice_id", invoiceID, "err", err)
			return nil, err
		}
		all = append(all, ps...)
		if next == "" || len(all) >= 1000 {
			return all, nil
		}
		cursor = next
	}
}

// getAttempt shows the outcome of one submitted form (the PRG target, so
// a reload never submits again).
func (s *Server) getAttempt(w http.ResponseWriter, r *http.Request) {
	locale := pickLocale(r)
	lc := s.resolve(w, r, locale)
	if lc == nil {
		return
	}
	ctx := r.Context()
	a, err := s.Store.GetLinkAttempt(ctx, lc.link.ID, r.PathValue("key"))
	if err != nil {
		s.showState(w, r, lc, locale, "")
		return
	}
	v := &view{Locale: locale, Token: lc.token}
	v.fillInvoice(lc.mer.Name, lc.inv)
	v.fillProfile(lc.prof)
	switch {
	case a.ErrorCode != "":
		s.showState(w, r, lc, locale, v.refusal(a.ErrorCode))
	case a.PaymentID == "" && s.Now().Sub(a.CreatedAt) < staleAttempt:
		v.Kind, v.Refresh = "processing", true
		s.render(w, r, http.StatusOK, v)
	case a.PaymentID == "":
		s.showState(w, r, lc, locale, "")
	default:
		p, err := s.Store.GetPayment(ctx, lc.mer.ID, a.PaymentID)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		switch {
		case p.Status.InFlight():
			v.Kind, v.Refresh = "processing", true
			s.render(w, r, http.StatusOK, v)
		case p.Status == paybridge.PaymentFailed:
			s.showState(w, r, lc, locale, v.refusal(p.FailureCode))
		default:
			s.receipt(ctx, w, r, lc, v, true)
		}
	}
}
