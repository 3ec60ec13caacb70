package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
// that Clover payment is already recorded.
func (s *Server) recordHosted(r *http.Request, mer *paybridge.Merchant, b *checkoutBody) error {
	ctx := r.Context()
	sess, err := s.Store.GetCheckoutSession(ctx, b.Data)
	if err != nil || sess.MerchantID != mer.ID {
		s.Logger.Warn("hosted checkout webhook for an unknown session", "merchant_id", mer.ID)
		return nil // nothing to record it on; retrying will not help
	}
	receipt := func(paymentID string) {
		s.sendReceipt(receiptJob{merchantID: mer.ID, paymentID: paymentID, lang: sess.Lang})
	}
	if p, err := s.Store.PaymentByCloverCharge(ctx, mer.ID, b.ID); err == nil {
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
		ID: paybridge.NewID(paybridge.PrefixPayment), MerchantID: mer.ID, InvoiceID: sess.InvoiceID,
		Status: paybridge.PaymentPending, Method: paybridge.MethodHosted, Route: paybridge.RouteCharge,
		Amount: sess.Amount, Currency: mer.Currency, Capture: true, CloverChargeID: b.ID,
		IdempotencyKey: "hco-" + b.ID, CreatedAt: now, UpdatedAt: now,
	}
	if inv, err := s.Store.GetInvoice(ctx, mer.ID, sess.InvoiceID); err == nil {
		p.CustomerID, p.Currency = inv.CustomerID, inv.Currency
	}
	if err := s.Store.CreatePayment(ctx, p); err != nil {
		if isKind(err, paybridge.ECONFLICT) {
			if _, gerr := s.Store.PaymentByCloverCharge(ctx, mer.ID, b.ID); gerr == nil {
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
