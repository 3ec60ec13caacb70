package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// maxForm bounds a submitted form.
const maxForm = 8 << 10

// postPay takes a submitted form: CSRF and rate limits first, then the
// (link, attempt key) claim that makes a second submit of the same form
// replay the first outcome, then billing's PayInvoice (which persists
// before calling Clover and serialises attempts on the invoice). It always
// answers with a redirect to the attempt's page (post/redirect/get).
func (s *Server) postPay(w http.ResponseWriter, r *http.Request) {
	locale := pickLocale(r)
	lc := s.resolve(w, r, locale)
	if lc == nil {
		return
	}
	if !readForm(w, r) {
		return
	}
	f := r.PostForm
	attempt := f.Get("attempt")
	ok, expired := s.csrfOK(f.Get("csrf"), lc.link.ID, attempt)
	if !ok {
		if expired {
			s.showState(w, r, lc, locale, msg(locale, "err_expired_form"))
			return
		}
		s.render(w, r, http.StatusForbidden, &view{Kind: "notice", Locale: locale, Title: "forbidden", Text: "forbidden"})
		return
	}
	ctx := r.Context()
	prev, err := s.Store.BeginLinkAttempt(ctx, &paybridge.LinkAttempt{LinkID: lc.link.ID, AttemptKey: attempt, Lang: locale})
	if err != nil {
		s.Logger.Error("pay page: begin attempt", "link_id", lc.link.ID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if prev != nil { // a double click, a second tab, a resubmit: replay
		s.redirectAttempt(w, r, lc, attempt, locale)
		return
	}
	if !s.linkLimit.allow(lc.link.ID) {
		s.complete(ctx, lc, attempt, "", "rate_limited")
		s.redirectAttempt(w, r, lc, attempt, locale)
		return
	}
	in, code := s.payInput(f, lc.inv)
	if code != "" {
		s.complete(ctx, lc, attempt, "", code)
		s.redirectAttempt(w, r, lc, attempt, locale)
		return
	}
	saveCard(&in, f, locale, lc) // updatecard_pay.go
	caller := billing.Caller{MerchantID: lc.mer.ID, Actor: "payer:" + lc.link.ID, ClientIP: clientIP(r)}
	// The payment must not die with the customer's connection: billing
	// persisted it before calling Clover, and recording its outcome here
	// is what the replay relies on.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	p, err := s.Service.PayInvoice(pctx, caller, lc.inv.ID, in)
	switch {
	case p != nil:
		s.complete(pctx, lc, attempt, p.ID, "")
		if !p.Status.Settled() && !p.Status.InFlight() {
			break
		}
		if p.Status.InFlight() {
			// The reconciler may have settled it before complete recorded
			// the attempt, when its sweep could not yet see it: look again.
			if cur, gerr := s.Store.GetPayment(pctx, lc.mer.ID, p.ID); gerr == nil && cur.Status.Settled() {
				p = cur
			}
		}
		if p.Status.Settled() {
			s.sendReceipt(receiptJob{merchantID: lc.mer.ID, paymentID: p.ID, lang: locale})
		}
	case err != nil:
		code := paybridge.ErrorCode(err)
		if code == "" {
			code = "processing_error"
		}
		if isKind(err, paybridge.EINTERNAL) {
			s.Logger.Error("pay page: pay invoice", "link_id", lc.link.ID, "err", err)
		}
		s.complete(pctx, lc, attempt, "", code)
	}
	s.redirectAttempt(w, r, lc, attempt, locale)
}

// payInput reads the amount and tip choices; code names a refusal. The
// form carries the total the customer saw (pay.js keeps it in step with
// the button); a submit whose choices cost anything else is refused, so
// nobody is charged an amount the page did not show them last.
func (s *Server) payInput(f url.Values, inv *paybridge.Invoice) (billing.PayInput, string) {
	in := billing.PayInput{Source: strings.TrimSpace(f.Get("token"))}
	if !strings.HasPrefix(in.Source, "clv_") || len(in.Source) > 100 {
		return in, "token_missing"
	}
	amount, tip, code := readChoice(f).charge(inv)
	if code != "" {
		return in, code
	}
	if shown, err := strconv.ParseInt(f.Get("total"), 10, 64); err != nil || shown != amount+tip {
		return in, "total_changed"
	}
	// The amount is always explicit: were the amount due to change before
	// billing reads it, billing refuses rather than charge the new one.
	in.Amount, in.TipAmount = &amount, tip
	return in, ""
}

// complete records an attempt's outcome; a failure is logged (the attempt
// page then falls back to the invoice's state).
func (s *Server) complete(ctx context.Context, lc *linkCtx, attempt, paymentID, code string) {
	if err := s.Store.CompleteLinkAttempt(ctx, lc.link.ID, attempt, paymentID, code, s.Now()); err != nil {
		s.Logger.Error("pay page: complete attempt", "link_id", lc.link.ID, "payment_id", paymentID, "err", err)
	}
}

// redirectAttempt sends the browser to the attempt's page, with the
// submitted choice in its query so a refusal shows the form as it was.
func (s *Server) redirectAttempt(w http.ResponseWriter, r *http.Request, lc *linkCtx, attempt, locale string) {
	q := url.Values{"lang": {locale}}
	readChoice(r.PostForm).query(q)
	http.Redirect(w, r, "/pay/"+lc.token+"/attempt/"+url.PathEscape(attempt)+"?"+q.Encode(), http.StatusSeeOther)
}
