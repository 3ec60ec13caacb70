package cloversim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

var hcoCart = clover.CheckoutParams{
	Customer:     &clover.CheckoutCustomer{Email: "pat@example.com"},
	ShoppingCart: clover.CheckoutCart{LineItems: []clover.CheckoutLineItem{{Name: "Drain cleaning", Price: 1250, UnitQty: 2}, {Name: "Trip fee", Price: 500}}},
	RedirectURLs: &clover.RedirectURLs{Success: "https://crm.example/ok", Failure: "https://crm.example/fail", Cancel: "http://127.0.0.1:9/cancel"},
}

// verifySignature checks Clover-Signature with our own HMAC code, not the
// Sim's.
func verifySignature(t *testing.T, header, secret string, body []byte) {
	t.Helper()
	var ts, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(mac.Sum(nil))
	if ts == "" || !hmac.Equal([]byte(v1), []byte(want)) {
		t.Fatalf("bad signature %q for body %s", header, body)
	}
}

func (e *extEnv) checkout(p clover.CheckoutParams) clover.CheckoutSession {
	e.t.Helper()
	var cs clover.CheckoutSession
	e.must(e.api("POST", "/invoicingcheckoutservice/v1/checkouts", p), 200, &cs)
	return cs
}

func (e *extEnv) pay(id, number string) extResp {
	e.t.Helper()
	f := url.Values{"number": {number}, "exp": {"12/30"}, "cvv": {"123"}, "zip": {"94105"}, "action": {"pay"}}
	return e.do("POST", "/checkout/"+id, f.Encode(), "Content-Type", "application/x-www-form-urlencoded")
}

func TestCheckoutCreateValidation(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	if r := e.do("POST", "/invoicingcheckoutservice/v1/checkouts", hcoCart, "Authorization", "Bearer "+e.token); r.Status != 401 {
		t.Errorf("no X-Clover-Merchant-Id: status %d", r.Status)
	}
	bad := func(f func(p *clover.CheckoutParams)) clover.CheckoutParams {
		p := hcoCart
		ru := *p.RedirectURLs
		p.RedirectURLs = &ru
		p.ShoppingCart.LineItems = append([]clover.CheckoutLineItem(nil), p.ShoppingCart.LineItems...)
		f(&p)
		return p
	}
	for name, p := range map[string]clover.CheckoutParams{
		"no items":       bad(func(p *clover.CheckoutParams) { p.ShoppingCart.LineItems = nil }),
		"http redirect":  bad(func(p *clover.CheckoutParams) { p.RedirectURLs.Success = "http://crm.example/ok" }),
		"nameless item":  bad(func(p *clover.CheckoutParams) { p.ShoppingCart.LineItems[0].Name = "" }),
		"negative price": bad(func(p *clover.CheckoutParams) { p.ShoppingCart.LineItems[0].Price = -1 }),
	} {
		if r := e.api("POST", "/invoicingcheckoutservice/v1/checkouts", p); r.Status != 400 {
			t.Errorf("%s: status %d %s", name, r.Status, r.Body)
		}
	}
	cs := e.checkout(hcoCart)
	if cs.Href != e.srv.URL+"/checkout/"+cs.CheckoutSessionID+"?mode=checkout" {
		t.Errorf("href = %s", cs.Href)
	}
	if int64(cs.ExpirationTime-cs.CreatedTime) != (15 * time.Minute).Milliseconds() {
		t.Errorf("expires %d ms after creation", cs.ExpirationTime-cs.CreatedTime)
	}
	r := e.do("GET", "/checkout/"+cs.CheckoutSessionID+"?mode=checkout", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), "$30.00") || !strings.Contains(string(r.Body), "Drain cleaning") {
		t.Errorf("page: status %d %s", r.Status, r.Body)
	}
	if r := e.do("GET", "/checkout/nope", nil); r.Status != 404 {
		t.Errorf("unknown session: status %d", r.Status)
	}
}

func TestCheckoutPaySendsSignedWebhookAndRedirects(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, func(o *Options) { o.HCOSigningSecret = "whsec-test" })
	e.must(e.do("PUT", "/_sim/webhooks", map[string]string{"checkout_url": e.hooks.srv.URL}), 200, nil)
	cs := e.checkout(hcoCart)
	if r := e.pay(cs.CheckoutSessionID, "4242424242424243"); r.Status != 400 || !strings.Contains(string(r.Body), "incorrect") {
		t.Errorf("bad card number: status %d", r.Status)
	}
	r := e.pay(cs.CheckoutSessionID, "4242 4242 4242 4242")
	if r.Status != 303 || r.Header.Get("Location") != "https://crm.example/ok" {
		t.Fatalf("pay: status %d location %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	h := e.hooks.next(t)
	verifySignature(t, h.Header.Get("Clover-Signature"), "whsec-test", h.Body)
	var wh clover.CheckoutWebhook
	if err := json.Unmarshal(h.Body, &wh); err != nil {
		t.Fatal(err)
	}
	led := e.sim.Ledger(e.mid)
	if len(led) != 1 || led[0].Amount != 3000 {
		t.Fatalf("ledger = %+v", led)
	}
	if wh.Status != "APPROVED" || wh.Type != "PAYMENT" || wh.Data != cs.CheckoutSessionID || wh.ID != led[0].ChargeID ||
		wh.MerchantID != e.mid || wh.Message != "Approved for 3000" {
		t.Errorf("webhook = %s", h.Body)
	}
	// Paid once: a second submission charges nothing.
	if r := e.pay(cs.CheckoutSessionID, "4242424242424242"); !strings.Contains(string(r.Body), "Payment complete") {
		t.Errorf("second pay: status %d", r.Status)
	}
	if n := len(e.sim.Ledger(e.mid)); n != 1 {
		t.Errorf("ledger has %d entries after a second submission", n)
	}
}

func TestCheckoutDeclineCamelCase(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, func(o *Options) { o.CheckoutWebhookCasing = "camel"; o.HCOSigningSecret = "s2" })
	e.must(e.do("PUT", "/_sim/webhooks", map[string]string{"checkout_url": e.hooks.srv.URL}), 200, nil)
	cs := e.checkout(hcoCart)
	r := e.pay(cs.CheckoutSessionID, "4005571702222222")
	if r.Status != 303 || r.Header.Get("Location") != "https://crm.example/fail" {
		t.Fatalf("decline: status %d location %q", r.Status, r.Header.Get("Location"))
	}
	h := e.hooks.next(t)
	verifySignature(t, h.Header.Get("Clover-Signature"), "s2", h.Body)
	var wh map[string]any
	if err := json.Unmarshal(h.Body, &wh); err != nil {
		t.Fatal(err)
	}
	if wh["status"] != "DECLINED" || wh["message"] != "Decline for 3000" || wh["data"] != cs.CheckoutSessionID {
		t.Errorf("webhook = %s", h.Body)
	}
	if n := len(e.sim.Ledger(e.mid)); n != 0 {
		t.Errorf("a decline moved money: %d ledger entries", n)
	}
	// The session stays open after a decline: a good card still pays.
	if r := e.pay(cs.CheckoutSessionID, "4242424242424242"); r.Status != 303 || r.Header.Get("Location") != "https://crm.example/ok" {
		t.Errorf("retry: status %d", r.Status)
	}
}

func TestCheckoutExpires(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	cs := e.checkout(hcoCart)
	e.sim.AdvanceClock(15 * time.Minute)
	r := e.do("GET", "/checkout/"+cs.CheckoutSessionID, nil)
	if r.Status != 410 || !strings.Contains(string(r.Body), "expired") {
		t.Errorf("expired page: status %d", r.Status)
	}
	if r := e.pay(cs.CheckoutSessionID, "4242424242424242"); r.Status != 410 {
		t.Errorf("paying an expired session: status %d", r.Status)
	}
	if n := len(e.sim.Ledger(e.mid)); n != 0 {
		t.Errorf("expired session charged: %d", n)
	}
}

func TestCheckoutCancelRedirects(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	cs := e.checkout(hcoCart)
	r := e.do("POST", "/checkout/"+cs.CheckoutSessionID, "action=cancel", "Content-Type", "application/x-www-form-urlencoded")
	if r.Status != 303 || r.Header.Get("Location") != "http://127.0.0.1:9/cancel" {
		t.Errorf("cancel: status %d location %q", r.Status, r.Header.Get("Location"))
	}
}
