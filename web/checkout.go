package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/seal"
)

// WebhookTolerance is how far a hosted-checkout webhook's signed time may
// be from now.
const WebhookTolerance = 5 * time.Minute

// hcoAAD binds a merchant's sealed hosted-checkout secret to its row.
func hcoAAD(merchantID string) string { return "merchant:" + merchantID + ":hco_secret" }

// SealHCOSecret seals a merchant's hosted-checkout signing secret for
// WebSettings.SealedHCOSecret.
func SealHCOSecret(s *seal.Sealer, merchantID, secret string) ([]byte, error) {
	return s.Seal([]byte(secret), hcoAAD(merchantID))
}

// postCheckout creates a Clover Hosted Checkout session for what is due
// and redirects the customer there.
func (s *Server) postCheckout(w http.ResponseWriter, r *http.Request) {
	locale := pickLocale(r)
	lc := s.resolve(w, r, locale)
	if lc == nil {
		return
	}
	if !readForm(w, r) {
		return
	}
	if ok, _ := s.csrfOK(r.PostForm.Get("csrf"), lc.link.ID, r.PostForm.Get("attempt")); !ok {
		s.render(w, r, http.StatusForbidden, &view{Kind: "notice", Locale: locale, Title: "forbidden", Text: "forbidden"})
		return
	}
	if !s.linkLimit.allow(lc.link.ID) {
		s.showState(w, r, lc, locale, msg(locale, "err_busy"))
		return
	}
	due := lc.inv.AmountDue()
	if due <= 0 || (lc.inv.Status != paybridge.InvoiceOpen && lc.inv.Status != paybridge.InvoicePartiallyPaid) {
		s.showState(w, r, lc, locale, "")
		return
	}
	ctx := r.Context()
	sealed, err := s.Store.MerchantCredentials(ctx, lc.mer.ID)
	var creds paybridge.Credentials
	if err == nil {
		creds, err = billing.OpenCredentials(s.Sealer, lc.mer.ID, sealed)
	}
	if err != nil {
		s.Logger.Error("hosted checkout: credentials", "merchant_id", lc.mer.ID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	back := s.LinkURL(lc.token) + "?lang=" + locale
	p := clover.CheckoutParams{
		ShoppingCart: clover.CheckoutCart{LineItems: []clover.CheckoutLineItem{{Name: "Invoice " + lc.inv.Number, Price: due, UnitQty: 1}}},
		RedirectURLs: &clover.RedirectURLs{Success: back, Failure: back, Cancel: back},
	}
	if cu, err := s.Store.GetCustomer(ctx, lc.mer.ID, lc.inv.CustomerID); err == nil {
		first, last, _ := strings.Cut(cu.Name, " ")
		p.Customer = &clover.CheckoutCustomer{FirstName: first, LastName: last, Email: cu.Email}
	}
	sess, err := s.Clover.CreateCheckout(ctx, clover.Auth{MerchantID: lc.mer.CloverMerchantID, AccessToken: creds.AccessToken}, p, nil)
	if err != nil {
		s.Logger.Warn("hosted checkout: create session", "merchant_id", lc.mer.ID, "err", err)
		s.showState(w, r, lc, locale, msg(locale, refusalKey("checkout_unavailable")))
		return
	}
	if err := s.Store.CreateCheckoutSession(ctx, &paybridge.CheckoutSession{ID: sess.CheckoutSessionID, MerchantID: lc.mer.ID,
		InvoiceID: lc.inv.ID, LinkID: lc.link.ID, Amount: due, Lang: locale, CreatedAt: s.Now()}); err != nil {
		s.Logger.Error("hosted checkout: record session", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, sess.Href, http.StatusSeeOther)
}

// checkoutBody accepts both key casings Clover's hosted-checkout webhook
// may use (PascalCase as documented, camelCase as seen).
type checkoutBody struct {
	Status, Type, ID, MerchantID, Data string
}

func (b *checkoutBody) UnmarshalJSON(p []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(p, &m); err != nil {
		return err
	}
	get := func(keys ...string) string {
		for _, k := range keys {
			var s string
			if raw, ok := m[k]; ok && json.Unmarshal(raw, &s) == nil {
				return s
			}
		}
		return ""
	}
	b.Status, b.Type, b.ID = get("Status", "status"), get("Type", "type"), get("Id", "id", "ID")
	b.MerchantID, b.Data = get("MerchantId", "merchantId"), get("Data", "data")
	return nil
}

// checkoutWebhook records a hosted-checkout payment: the signature
// (HMAC-SHA256 over "t.body" with the merchant's secret, compared in
// constant time, t within WebhookTolerance) is checked before anything
// else is trusted; a Clover payment id is recorded once however often it
// is delivered.
func (s *Server) checkoutWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	var b checkoutBody
	if err := json.Unmarshal(body, &b); err != nil || b.MerchantID == "" {
		http.Error(w, "malformed webhook", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	mer, err := s.Store.GetMerchantByCloverID(ctx, b.MerchantID)
	if err != nil {
		http.Error(w, "unknown merchant", http.StatusUnauthorized)
		return
	}
	ws, err := s.Store.WebSettings(ctx, mer.ID)
	if err != nil || len(ws.SealedHCOSecret) == 0 {
		http.Error(w, "hosted checkout is not configured", http.StatusUnauthorized)
		return
	}
	secret, err := s.Sealer.Open(ws.SealedHCOSecret, hcoAAD(mer.ID))
	if err != nil || !s.signatureOK(r.Header.Get("Clover-Signature"), secret, body) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if !strings.EqualFold(b.Status, "APPROVED") {
		w.WriteHeader(http.StatusOK) // a decline moves no money
		return
	}
	if err := s.recordHosted(r, mer, &b); err != nil {
		s.Logger.Error("hosted checkout webhook", "merchant_id", mer.ID, "err", err)
		http.Error(w, "could not record", http.StatusInternalServerError) // Clover retries
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) signatureOK(header string, secret, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return false
	}
	if d := s.Now().Sub(time.Unix(sec, 0)); d > WebhookTolerance || d < -WebhookTolerance {
		return false
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), want)
}

// recordHosted stores the hosted payment on its session's invoice unless
// that Clover payment is already recorded. The webhook is only a hint: its
// signing secret lives in the merchant's dashboard and may leak, so nothing
// is recorded until verifyHosted has read the charge from Clover.
func (s *Server) recordHosted(r *http.Request, mer *paybridge.Merchant, b *checkoutBody) error {
	ctx := r.Context()
	sess, err := s.Store.GetCheckoutSession(ctx, b.Data)
	if err != nil || sess.MerchantID != mer.ID {
		s.Logger.Warn("hosted checkout webhook for an unknown session", "merchant_id", mer.ID)
		return nil // nothing to record it on; retrying will not help
	}
	inv, err := s.Store.GetInvoice(ctx, mer.ID, sess.InvoiceID)
	if err != nil {
		return err
	}
	ch, err := s.verifyHosted(ctx, mer, sess, inv, b.ID)
	if err != nil || ch == nil {
		return err
	}
	receipt := func(paymentID string) {
		s.sendReceipt(receiptJob{merchantID: mer.ID, paymentID: paymentID, lang: sess.Lang})
	}
	if p, err := s.Store.PaymentByCloverCharge(ctx, mer.ID, ch.ID); err == nil {
		if p.Method != paybridge.MethodHosted || p.InvoiceID != sess.InvoiceID {
			s.refuseHosted(ctx, mer, sess, ch.ID, "charge_recorded_elsewhere")
			return nil
		}
		if p.Status == paybridge.PaymentPending {
			// Recorded by a delivery that stopped before settling it.
			from := p.Status
			p.Status, p.AmountCaptured, p.UpdatedAt = paybridge.PaymentSucceeded, p.Amount, s.Now().UTC()
			if _, err := s.Store.ApplyPayment(ctx, p, from, p.UpdatedAt); err != nil && paybridge.ErrorCode(err) != "stale_state" {
				return err
			}
		}
		receipt(p.ID) // a redelivery: the claim keeps it to one mail
		return nil
	} else if !isKind(err, paybridge.ENOTFOUND) {
		return err
	}
	now := s.Now().UTC()
	p := &paybridge.Payment{
		ID: paybridge.NewID(paybridge.PrefixPayment), MerchantID: mer.ID, InvoiceID: sess.InvoiceID, CustomerID: inv.CustomerID,
		Status: paybridge.PaymentPending, Method: paybridge.MethodHosted, Route: paybridge.RouteCharge,
		Amount: ch.Amount, Currency: inv.Currency, Capture: true, CloverChargeID: ch.ID,
		IdempotencyKey: "hco-" + ch.ID, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.Store.CreatePayment(ctx, p); err != nil {
		if isKind(err, paybridge.ECONFLICT) {
			if _, gerr := s.Store.PaymentByCloverCharge(ctx, mer.ID, ch.ID); gerr == nil {
				return nil // a concurrent delivery recorded it (and mails its receipt)
			}
			s.Logger.Error("hosted checkout payment does not fit the invoice: reconcile by hand", "invoice_id", sess.InvoiceID, "code", paybridge.ErrorCode(err))
			return nil
		}
		return err
	}
	p.Status, p.AmountCaptured = paybridge.PaymentSucceeded, p.Amount
	if _, err = s.Store.ApplyPayment(ctx, p, paybridge.PaymentPending, now); err != nil {
		return err
	}
	receipt(p.ID)
	return nil
}

// hostedClockSkew is how much earlier than its session a hosted charge's
// Clover time may be (clocks of two systems).
const hostedClockSkew = time.Minute

// verifyHosted reads the charge a hosted-checkout webhook names from Clover,
// with the merchant's own token (so another merchant's charge is not found),
// and returns it only when Clover holds it paid and captured, for the
// session's amount in the invoice's currency, created while the session was
// open. Anything else is refused: audited as hosted_checkout.unverified,
// answered 200 (a retry would not change Clover's answer) and nil returned.
// An error means Clover could not be asked; the webhook is answered 500 so
// Clover delivers it again.
//
// Clover's checkout create response names no order (CLOVER.md §7), so the
// charge's order cannot be matched to the session; the time window, the
// amount and the one-payment-per-charge rule bind it instead.
func (s *Server) verifyHosted(ctx context.Context, mer *paybridge.Merchant, sess *paybridge.CheckoutSession, inv *paybridge.Invoice, chargeID string) (*clover.Charge, error) {
	if !clover.ValidID(chargeID) {
		s.refuseHosted(ctx, mer, sess, "", "malformed_charge_id")
		return nil, nil
	}
	sealed, err := s.Store.MerchantCredentials(ctx, mer.ID)
	if err != nil {
		return nil, err
	}
	creds, err := billing.OpenCredentials(s.Sealer, mer.ID, sealed)
	if err != nil {
		return nil, err
	}
	ch, err := s.Clover.GetCharge(ctx, clover.Auth{MerchantID: mer.CloverMerchantID, AccessToken: creds.AccessToken}, chargeID)
	var ce *clover.Error
	if errors.As(err, &ce) && ce.Status == http.StatusNotFound {
		s.refuseHosted(ctx, mer, sess, chargeID, "charge_not_found")
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	created := time.UnixMilli(ch.Created)
	reason := ""
	switch {
	case ch.ID != chargeID:
		reason = "charge_id_mismatch"
	case !ch.Paid || !ch.Captured || ch.Status != "succeeded" || ch.Refunded:
		reason = "charge_not_paid"
	case ch.Amount != sess.Amount:
		reason = "amount_mismatch"
	case !strings.EqualFold(ch.Currency, inv.Currency):
		reason = "currency_mismatch"
	case created.Before(sess.CreatedAt.Add(-hostedClockSkew)):
		reason = "charge_older_than_session"
	}
	if reason != "" {
		s.refuseHosted(ctx, mer, sess, chargeID, reason)
		return nil, nil
	}
	return ch, nil
}

// refuseHosted audits a hosted-checkout webhook that Clover's records do not
// bear out, and logs it (the charge id is Clover's, not card data).
func (s *Server) refuseHosted(ctx context.Context, mer *paybridge.Merchant, sess *paybridge.CheckoutSession, chargeID, reason string) {
	s.Logger.Warn("hosted checkout webhook refused: Clover does not confirm it", "merchant_id", mer.ID,
		"invoice_id", sess.InvoiceID, "clover_charge_id", chargeID, "reason", reason)
	detail := "checkout session " + sess.ID
	if chargeID != "" {
		detail += ", clover charge " + chargeID
	}
	if err := s.Store.AppendAudit(ctx, &paybridge.AuditEntry{ID: paybridge.NewID(paybridge.PrefixAudit), MerchantID: mer.ID,
		Actor: "clover:hosted_checkout_webhook", Action: "hosted_checkout.unverified", ObjectID: sess.InvoiceID,
		Outcome: "refused " + reason, Detail: detail, CreatedAt: s.Now().UTC()}); err != nil {
		s.Logger.Error("audit hosted checkout refusal", "merchant_id", mer.ID, "err", err)
	}
}
