package cloversim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// hcoTTL is how long a hosted checkout session can be paid (CLOVER.md §7).
const hcoTTL = 15 * time.Minute

// hcoSession is a hosted checkout session.
type hcoSession struct {
	ID         string
	MerchantID string
	Params     clover.CheckoutParams
	Total      int64
	Created    time.Time
	Expires    time.Time
	ChargeID   string // set once paid
}

// registerCheckout serves hosted checkout: the create API (through the
// pipeline, X-Clover-Merchant-Id required) and Clover's hosted pay page.
func (s *Sim) registerCheckout() {
	s.mux.HandleFunc("POST /invoicingcheckoutservice/v1/checkouts", s.api(s.createCheckout))
	s.mux.HandleFunc("GET /checkout/{id}", s.checkoutPage)
	s.mux.HandleFunc("POST /checkout/{id}", s.checkoutPay)
}

// hcoRedirectOK accepts https URLs, and http only for loopback hosts (local
// development); empty means "not given".
func hcoRedirectOK(u string) bool {
	if u == "" {
		return true
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	if p.Scheme == "https" {
		return true
	}
	h := p.Hostname()
	ip := net.ParseIP(h)
	return p.Scheme == "http" && (h == "localhost" || (ip != nil && ip.IsLoopback()))
}

func (s *Sim) createCheckout(r *http.Request, c *call) (int, any, *apiError) {
	var p clover.CheckoutParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	if len(p.ShoppingCart.LineItems) == 0 {
		return 0, nil, recBad("shoppingCart.lineItems is required.")
	}
	var total int64
	for i := range p.ShoppingCart.LineItems {
		li := &p.ShoppingCart.LineItems[i]
		if li.UnitQty == 0 {
			li.UnitQty = 1
		}
		switch {
		case li.Name == "" && li.ItemRefUUID == "":
			return 0, nil, recBad("lineItems[%d] needs a name or an itemRefUuid.", i)
		case li.Price < 0 || li.Price > recMaxAmount:
			return 0, nil, recBad("lineItems[%d].price is invalid.", i)
		case li.UnitQty < 0 || li.UnitQty > 10_000:
			return 0, nil, recBad("lineItems[%d].unitQty is invalid.", i)
		}
		total += li.Price * li.UnitQty
	}
	if total <= 0 || total > recMaxAmount {
		return 0, nil, recBad("The checkout total must be between 0.01 and 999,999.99.")
	}
	if ru := p.RedirectURLs; ru != nil {
		for _, u := range []string{ru.Success, ru.Failure, ru.Cancel} {
			if !hcoRedirectOK(u) {
				return 0, nil, recBad("Redirect URLs must be https (http only for localhost).")
			}
		}
	}
	base := s.opts.BaseURL
	if base == "" {
		base = "http://" + r.Host
	}
	s.mu.Lock()
	now := s.nowLocked()
	hs := &hcoSession{ID: extUUID(), MerchantID: c.M.ID, Params: p, Total: total, Created: now, Expires: now.Add(hcoTTL)}
	s.ext.checkouts[hs.ID] = hs
	s.mu.Unlock()
	created, expires := any(cloverTime(now)), any(cloverTime(hs.Expires))
	if s.opts.Shapes.CheckoutTimesMillis {
		created, expires = now.UnixMilli(), hs.Expires.UnixMilli()
	}
	return http.StatusOK, hcoSessionBody{Href: base + "/checkout/" + hs.ID + "?mode=checkout", CheckoutSessionID: hs.ID,
		CreatedTime: created, ExpirationTime: expires}, nil
}

// hcoSessionBody is clover.CheckoutSession on the wire, its times an
// ISO-8601 string or milliseconds (Options.Shapes.CheckoutTimesMillis).
type hcoSessionBody struct {
	Href              string `json:"href"`
	CheckoutSessionID string `json:"checkoutSessionId"`
	CreatedTime       any    `json:"createdTime"`
	ExpirationTime    any    `json:"expirationTime"`
}

// checkoutPay takes the hosted page's card form, charges it through
// chargeLocked, sends the signed webhook, and redirects to the session's
// success or failure URL (or shows the outcome when none was given).
func (s *Sim) checkoutPay(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderCheckout(w, http.StatusBadRequest, hcoView{Error: "The form could not be read."})
		return
	}
	s.mu.Lock()
	hs, v, status := s.checkoutLocked(r.PathValue("id"))
	if hs == nil || hs.ChargeID != "" || v.Expired {
		s.mu.Unlock()
		s.renderCheckout(w, status, v)
		return
	}
	m := s.merchants[hs.MerchantID]
	ru := hs.Params.RedirectURLs
	if r.PostForm.Get("action") == "cancel" {
		s.mu.Unlock()
		if ru != nil && ru.Cancel != "" {
			http.Redirect(w, r, ru.Cancel, http.StatusSeeOther)
			return
		}
		v.Error = "Payment cancelled."
		s.renderCheckout(w, http.StatusOK, v)
		return
	}
	month, year := hcoExpiry(r.PostForm.Get("exp"))
	card, number, e := validateCard(&clover.CardDetails{
		Number: hcoDigits(r.PostForm.Get("number")), ExpMonth: month, ExpYear: year, CVV: r.PostForm.Get("cvv"),
		Name: r.PostForm.Get("name"), AddressZip: r.PostForm.Get("zip"),
	}, s.nowLocked())
	if e != nil {
		s.mu.Unlock()
		v.Error = e.Detail.Message
		s.renderCheckout(w, http.StatusBadRequest, v)
		return
	}
	tok := &cardToken{ID: newTokenID(), MerchantID: m.ID, Card: card, Number: number, Created: s.nowLocked()}
	s.tokens[tok.ID] = tok
	ch, ae := s.chargeLocked(m, clover.ChargeParams{
		Amount: hs.Total, Currency: m.Currency, Source: tok.ID, Ecomind: "ecom",
		Description: "Hosted checkout " + hs.ID, ReceiptEmail: hcoEmail(hs),
	}, "hco-"+hs.ID)
	var chargeID string
	switch {
	case ae == nil:
		hs.ChargeID, chargeID = ch.ID, ch.ID
	case ae.Detail.Charge != "":
		chargeID = ae.Detail.Charge
	}
	if chargeID != "" {
		s.sendCheckoutWebhookLocked(hs, chargeID, ae == nil)
	}
	s.mu.Unlock()
	switch {
	case ae == nil && ru != nil && ru.Success != "":
		http.Redirect(w, r, ru.Success, http.StatusSeeOther)
	case ae == nil:
		v.Paid = true
		s.renderCheckout(w, http.StatusOK, v)
	case chargeID != "" && ru != nil && ru.Failure != "":
		http.Redirect(w, r, ru.Failure, http.StatusSeeOther)
	default:
		v.Error = ae.Detail.Message
		s.renderCheckout(w, http.StatusPaymentRequired, v)
	}
}

func hcoEmail(hs *hcoSession) string {
	if hs.Params.Customer != nil {
		return hs.Params.Customer.Email
	}
	return ""
}

// hcoDigits drops the spaces and dashes people type in card numbers.
func hcoDigits(v string) string {
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] != ' ' && v[i] != '-' {
			b = append(b, v[i])
		}
	}
	return string(b)
}

// hcoExpiry splits "MM/YY" or "MM/YYYY".
func hcoExpiry(v string) (month, year string) {
	for i := 0; i < len(v); i++ {
		if v[i] == '/' {
			return v[:i], v[i+1:]
		}
	}
	return v, ""
}

// sendCheckoutWebhookLocked queues the signed hosted-checkout webhook:
// Clover-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, t + "." + body)>.
func (s *Sim) sendCheckoutWebhookLocked(hs *hcoSession, chargeID string, approved bool) {
	h := s.ext.hooks
	h.mu.Lock()
	target, casing := h.checkoutURL, h.checkoutCasing
	h.mu.Unlock()
	if target == "" {
		return
	}
	now := s.nowLocked()
	wh := clover.CheckoutWebhook{
		CreatedTime: now.UnixMilli(), Status: "APPROVED", Message: "Approved for " + strconv.FormatInt(hs.Total, 10),
		Type: "PAYMENT", ID: chargeID, MerchantID: hs.MerchantID, Data: hs.ID,
	}
	if !approved {
		wh.Status, wh.Message = "DECLINED", "Decline for "+strconv.FormatInt(hs.Total, 10)
	}
	body := hcoWebhookBody(wh, casing)
	h.enqueueJob(whJob{Kind: "checkout", URL: target, Body: body,
		Headers: map[string]string{"Clover-Signature": HCOSignature(s.opts.HCOSigningSecret, now.Unix(), body)}})
}

// HCOSignature is the Clover-Signature header value for a hosted-checkout
// webhook body sent at Unix second t, signed with the merchant's secret.
func HCOSignature(secret string, t int64, body []byte) string {
	ts := strconv.FormatInt(t, 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// hcoWebhookBody renders the webhook in the configured key casing:
// "pascal" (CreatedTime, the clover.CheckoutWebhook tags) or "camel".
func hcoWebhookBody(wh clover.CheckoutWebhook, casing string) []byte {
	if casing != "camel" {
		b, _ := json.Marshal(wh)
		return b
	}
	b, _ := json.Marshal(struct {
		CreatedTime int64  `json:"createdTime"`
		Message     string `json:"message"`
		Status      string `json:"status"`
		Type        string `json:"type"`
		ID          string `json:"id"`
		MerchantID  string `json:"merchantId"`
		Data        string `json:"data"`
	}{wh.CreatedTime, wh.Message, wh.Status, wh.Type, wh.ID, wh.MerchantID, wh.Data})
	return b
}
