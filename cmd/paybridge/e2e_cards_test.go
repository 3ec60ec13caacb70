package main

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/web"
)

var (
	cardLinkRe = regexp.MustCompile(`https?://\S+/card/[A-Za-z0-9_-]{22}`)
	consentRe  = regexp.MustCompile(`<span id="consent-text">([^<]*)</span>`)
	saveConRe  = regexp.MustCompile(`<p class="fine" id="save-consent">([^<]*)</p>`)
	scriptRe   = regexp.MustCompile(`<script[^>]*>`)
	scriptSrc  = regexp.MustCompile(`src="([^"]+)"`)
)

// advance moves the shared test clock forward and runs the recurring work.
func (e *sbx) advance(d time.Duration) map[string]any {
	e.t.Helper()
	return e.must(200, "POST", "/v1/test-clock/advance", map[string]any{"seconds": int64(d.Seconds())})
}

// savedCustomer pays a fresh invoice with save_card and returns the
// customer and its saved card.
func (e *sbx) savedCustomer(number string) (cus string, card map[string]any) {
	e.t.Helper()
	inv := e.invoice(nil)
	cus = inv["customer_id"].(string)
	p := e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", map[string]any{"source": e.token(number), "save_card": true})
	if p["status"] != "succeeded" {
		e.t.Fatalf("first payment %v", p)
	}
	cards := e.must(200, "GET", "/v1/customers/"+cus+"/cards", nil)["data"].([]any)
	if len(cards) != 1 {
		e.t.Fatalf("cards %v", cards)
	}
	return cus, cards[0].(map[string]any)
}

// TestUpdateCardPageAfterDunning: a subscription's card declines; once the
// dunning schedule has run out, the failure mail's update-card link opens
// a page with Clover's fields and a consent box; a declined card leaves the
// link usable; a good card is saved with the consent shown, the link is
// spent, and the exhausted invoice is charged on the new card.
func TestUpdateCardPageAfterDunning(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	e.must(200, "POST", "/v1/billing-settings", map[string]any{"reminder_days": []int{}, "dunning_days": []int{1, 2}})
	cus, card := e.savedCustomer(visaOK)
	saved, err := e.m.DB.GetCard(context.Background(), e.m.Sandbox.MerchantID, card["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	plan := e.must(201, "POST", "/v1/plans", map[string]any{"name": "Lawn care", "amount": 3900, "currency": "usd", "interval": "month"})
	sub := e.must(201, "POST", "/v1/subscriptions", map[string]any{"customer_id": cus, "plan_id": plan["id"]})
	e.m.Sim.SetCardDeclining(saved.CloverCardID, true)
	e.advance(31 * 24 * time.Hour)
	for range 3 { // the two dunning retries, then nothing is planned
		e.advance(24 * time.Hour)
	}
	open := e.must(200, "GET", "/v1/invoices?status=open&customer_id="+cus, nil)["data"].([]any)
	if len(open) == 0 {
		t.Fatal("no open subscription invoice after a declined run")
	}
	failed := open[0].(map[string]any)["id"].(string)
	col, err := e.m.DB.GetCollection(context.Background(), e.m.Sandbox.MerchantID, failed)
	if err != nil || col.Done || !col.NextAttemptAt.IsZero() || col.Failures != 3 {
		t.Fatalf("collection %+v (%v): want 3 failures, schedule exhausted", col, err)
	}
	var link string
	for _, m := range e.m.Outbox.Messages() {
		if m.Kind == "payment_failed" && cardLinkRe.MatchString(m.Text) {
			link = cardLinkRe.FindString(m.Text)
		}
	}
	if link == "" {
		t.Fatal("no payment_failed mail with an update-card link")
	}

	st, page, h := getPage(t, link)
	if st != 200 || !strings.Contains(page, `id="pay"`) || !strings.Contains(page, "•••• 4242") {
		t.Fatalf("GET update-card link = %d:\n%s", st, page)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") ||
		h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("headers %v", h)
	}
	for _, tag := range scriptRe.FindAllString(page, -1) {
		m := scriptSrc.FindStringSubmatch(tag)
		if m == nil || !web.ScriptAllowed(resolve(link, m[1]), e.m.Web.SDKURL) {
			t.Fatalf("script %s is not in the inventory", tag)
		}
	}
	shown := html.UnescapeString(consentRe.FindStringSubmatch(page)[1])
	if mer, err := e.m.DB.GetMerchant(context.Background(), e.m.Sandbox.MerchantID); err != nil || !strings.Contains(shown, mer.Name) {
		t.Fatalf("consent text %q does not name the merchant", shown)
	}

	f := formOf(t, page)
	if _, body := submit(t, link, f, url.Values{"token": {e.token(visaOK)}}); !strings.Contains(body, "Please tick the box") {
		t.Fatalf("no consent: %s", body)
	}
	if _, body := submit(t, link, f, url.Values{"token": {e.token(visaDecline)}, "consent": {"yes"}}); !strings.Contains(body, "declined") || !strings.Contains(body, `id="pay"`) {
		t.Fatalf("declined card: %s", body)
	}
	if _, body := submit(t, link, f, url.Values{"token": {e.token(mcOK)}, "consent": {"yes"}}); !strings.Contains(body, `id="card-saved"`) || !strings.Contains(body, "0009") {
		t.Fatalf("good card: %s", body)
	}
	cards := e.must(200, "GET", "/v1/customers/"+cus+"/cards", nil)["data"].([]any)
	if len(cards) != 2 {
		t.Fatalf("cards %v: want the old and the new", cards)
	}
	nc := cards[1].(map[string]any)
	consent := nc["consent"].(map[string]any)
	if nc["last4"] != "0009" || consent["text"] != shown || consent["client_ip"] != "127.0.0.1" || !strings.HasPrefix(consent["actor"].(string), "customer:"+cus) {
		t.Fatalf("new card %v", nc)
	}
	// Spent: the same form again saves nothing; the page says what it saved.
	if _, body := submit(t, link, formOf(t, page), url.Values{"token": {e.token(visaOK)}, "consent": {"yes"}}); !strings.Contains(body, `id="card-saved"`) {
		t.Fatalf("reused link: %s", body)
	}
	if n := len(e.must(200, "GET", "/v1/customers/"+cus+"/cards", nil)["data"].([]any)); n != 2 {
		t.Fatalf("%d cards after reusing the link", n)
	}
	// The exhausted invoice is charged on the new card.
	e.advance(time.Second)
	if inv := e.must(200, "GET", "/v1/invoices/"+failed, nil); inv["status"] != "paid" {
		t.Fatalf("exhausted invoice after a new card: %v", inv["status"])
	}
	if got := e.must(200, "GET", "/v1/subscriptions/"+sub["id"].(string), nil); got["status"] == "deactivated" || got["status"] == "canceled" {
		t.Fatalf("subscription %v", got["status"])
	}
}

// mcOK is a Mastercard cloversim approves.
const mcOK = "2221000000000009"

// cloverAuth is the sandbox merchant's Clover credentials.
func (e *sbx) cloverAuth() clover.Auth {
	e.t.Helper()
	ctx := context.Background()
	mid := e.m.Sandbox.MerchantID
	m, err := e.m.DB.GetMerchant(ctx, mid)
	if err != nil {
		e.t.Fatal(err)
	}
	sealed, err := e.m.DB.MerchantCredentials(ctx, mid)
	if err != nil {
		e.t.Fatal(err)
	}
	creds, err := billing.OpenCredentials(e.m.Sealer, mid, sealed)
	if err != nil {
		e.t.Fatal(err)
	}
	return clover.Auth{MerchantID: m.CloverMerchantID, AccessToken: creds.AccessToken}
}

// resolve makes a page's script URL absolute.
func resolve(page, src string) string {
	b, _ := url.Parse(page)
	r, _ := url.Parse(html.UnescapeString(src))
	return b.ResolveReference(r).String()
}

// TestUpdateCardLinkSingleUse: many submits of one link at once save one
// card; an unknown token is a 404.
func TestUpdateCardLinkSingleUse(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	cus := e.customer()
	link, _, err := e.m.Web.CreateCardLink(context.Background(), billing.Caller{MerchantID: e.m.Sandbox.MerchantID}, cus)
	if err != nil {
		t.Fatal(err)
	}
	_, page, _ := getPage(t, link)
	f := formOf(t, page)
	const n = 8
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = e.token(visaOK)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if st, _ := submit(t, link, f, url.Values{"token": {tokens[i]}, "consent": {"yes"}}); st != 200 && st != http.StatusConflict {
				t.Errorf("submit = %d", st)
			}
		})
	}
	wg.Wait()
	if cards := e.must(200, "GET", "/v1/customers/"+cus+"/cards", nil)["data"].([]any); len(cards) != 1 {
		t.Fatalf("%d cards from %d submits of one link, want 1", len(cards), n)
	}
	if st, _, _ := getPage(t, link[:len(link)-3]+"AAA"); st != 404 {
		t.Fatalf("unknown token = %d", st)
	}
	if _, _, err := e.m.Web.CreateCardLink(context.Background(), billing.Caller{MerchantID: "mer_other"}, cus); paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
		t.Fatalf("link for another merchant's customer: %v", err)
	}
}

// TestPayPageSaveCard: the pay page's "save this card" box saves the card
// with the consent text the page showed, who, when and the client address.
func TestPayPageSaveCard(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	link := e.m.Sandbox.DemoPaymentURL
	_, page, _ := getPage(t, link)
	m := saveConRe.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `name="save_card"`) {
		t.Fatalf("no save-card box:\n%s", page)
	}
	shown := html.UnescapeString(m[1])
	if _, body := submit(t, link, formOf(t, page), url.Values{"token": {e.token(visaOK)}, "save_card": {"yes"}}); !strings.Contains(body, `id="receipt"`) {
		t.Fatalf("pay: %s", body)
	}
	inv := e.must(200, "GET", "/v1/invoices/"+e.m.Sandbox.DemoInvoiceID, nil)
	cards := e.must(200, "GET", "/v1/customers/"+inv["customer_id"].(string)+"/cards", nil)["data"].([]any)
	if len(cards) != 1 {
		t.Fatalf("cards %v", cards)
	}
	c := cards[0].(map[string]any)
	consent := c["consent"].(map[string]any)
	if c["last4"] != "4242" || consent["text"] != shown || consent["client_ip"] != "127.0.0.1" ||
		!strings.HasPrefix(consent["actor"].(string), "payer:lnk_") || consent["recorded_at"] == "" {
		t.Fatalf("card %v", c)
	}
}

// TestSaveCardSettledByReconciler: a save_card payment whose process died
// mid-charge (pending, its source the card just put on the Clover
// customer, consent stored) is settled by the reconciler, which records
// the card with the customer's consent — not the reconciler's.
func TestSaveCardSettledByReconciler(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	ctx := context.Background()
	inv := e.invoice(nil)
	mid := e.m.Sandbox.MerchantID
	cu, err := e.m.DB.GetCustomer(ctx, mid, inv["customer_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	ccu, err := e.m.Clover.CreateCustomer(ctx, e.cloverAuth(), clover.CustomerParams{Email: cu.Email, Source: e.token(visaOK)}, nil)
	if err != nil || ccu.Sources == nil || len(ccu.Sources.Data) != 1 {
		t.Fatalf("Clover customer %+v: %v", ccu, err)
	}
	past := time.Now().Add(-10 * time.Minute).UTC()
	p := &paybridge.Payment{ID: paybridge.NewID(paybridge.PrefixPayment), MerchantID: mid, InvoiceID: inv["id"].(string), CustomerID: cu.ID,
		Status: paybridge.PaymentPending, Method: paybridge.MethodToken, Route: paybridge.RouteCharge, Amount: num(inv, "total"),
		Currency: "usd", Capture: true, Source: ccu.Sources.Data[0], IdempotencyKey: "died-mid-charge-" + cu.ID, CreatedAt: past, UpdatedAt: past}
	if err := e.m.DB.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	consent := paybridge.CardConsent{Actor: "payer:lnk_test", Text: "Keep my card.", ClientIP: "203.0.113.9", RecordedAt: past}
	if err := e.m.DB.SaveCardIntent(ctx, &paybridge.CardIntent{PaymentID: p.ID, MerchantID: mid, CustomerID: cu.ID,
		CloverCardID: p.Source, Consent: consent}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.m.Service.Reconcile(ctx); err != nil || n < 1 {
		t.Fatalf("Reconcile = %d, %v", n, err)
	}
	if got := e.must(200, "GET", "/v1/payments/"+p.ID, nil); got["status"] != "succeeded" {
		t.Fatalf("payment %v", got)
	}
	cards := e.must(200, "GET", "/v1/customers/"+cu.ID+"/cards", nil)["data"].([]any)
	if len(cards) != 1 {
		t.Fatalf("cards %v", cards)
	}
	got := cards[0].(map[string]any)["consent"].(map[string]any)
	if got["actor"] != consent.Actor || got["text"] != consent.Text || got["client_ip"] != consent.ClientIP {
		t.Fatalf("consent %v, want %+v", got, consent)
	}
}
