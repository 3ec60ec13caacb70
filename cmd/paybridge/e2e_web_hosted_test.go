package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover/cloversim"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// postForm posts a form as a same-origin browser would, following nothing.
func postForm(t *testing.T, u string, vals url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// hostedSandbox is a sandbox whose demo merchant uses hosted checkout and
// whose cloversim signs checkout webhooks in the given key casing. With
// "camel" cloversim also sends the session's times as milliseconds, with
// "pascal" as ISO-8601 strings (CLOVER.md §13.5): paybridge takes both.
func hostedSandbox(t *testing.T, casing string) *sbx {
	t.Helper()
	e := startSandboxWith(t, func(m *Main) { m.SimShapes.CheckoutTimesMillis = casing == "camel" })
	if err := e.m.SetCheckoutMode(context.Background(), e.m.Sandbox.MerchantID, "hosted"); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	e.m.Sim.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/_sim/webhooks", strings.NewReader(`{"checkout_casing":"`+casing+`"}`)))
	if rec.Code != http.StatusOK {
		t.Fatalf("set casing: %d %s", rec.Code, rec.Body)
	}
	return e
}

// checkoutWebhook posts a hosted-checkout webhook body to paybridge with
// the given Clover-Signature and returns the status.
func (e *sbx) checkoutWebhook(body []byte, signature string) int {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.m.URL+"/webhooks/clover/checkout", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("Clover-Signature", signature)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestHostedCheckout: a merchant on hosted checkout → the pay page's
// button creates a Clover session and redirects there → the customer pays
// on cloversim's page → cloversim's signed webhook records one payment,
// the invoice is paid, events and a French receipt follow as for iframe
// payments. Forged, stale and replayed webhooks change nothing; both key
// casings Clover uses are understood.
func TestHostedCheckout(t *testing.T) {
	t.Parallel()
	for _, casing := range []string{"pascal", "camel"} {
		t.Run(casing, func(t *testing.T) {
			t.Parallel()
			e := hostedSandbox(t, casing)
			mails := e.m.Outbox.Subscribe()
			link, inv := e.m.Sandbox.DemoPaymentURL, e.m.Sandbox.DemoInvoiceID
			secret := e.m.Sim.Options().HCOSigningSecret
			cloverMID := e.m.Sim.Options().MerchantID

			st, html, _ := getPage(t, link+"?lang=fr-CA")
			if st != 200 || !strings.Contains(html, "/checkout?lang=fr-CA") || strings.Contains(html, `id="card-number"`) || strings.Contains(html, "sdk.js") {
				t.Fatalf("hosted pay page %d:\n%s", st, html)
			}
			f := formOf(t, html)
			resp := postForm(t, link+"/checkout?lang=fr-CA", url.Values{"csrf": {f.csrf}, "attempt": {f.attempt}})
			loc := resp.Header.Get("Location")
			simBase := e.m.Sim.Options().BaseURL
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, simBase+"/checkout/") {
				t.Fatalf("checkout POST = %d Location %q", resp.StatusCode, loc)
			}
			sessionID := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], simBase+"/checkout/")

			// Forged webhooks for the real session, before it is paid.
			forged := checkoutBody(casing, "FORGEDCHARGE01", cloverMID, sessionID)
			now := time.Now().Unix()
			for name, sig := range map[string]string{
				"no signature":    "",
				"wrong secret":    cloversim.HCOSignature("not-the-secret", now, forged),
				"other body":      cloversim.HCOSignature(secret, now, append([]byte(" "), forged...)),
				"stale timestamp": cloversim.HCOSignature(secret, now-int64((6*time.Minute).Seconds()), forged),
				"future":          cloversim.HCOSignature(secret, now+int64((6*time.Minute).Seconds()), forged),
				"garbage":         "t=abc,v1=zz",
			} {
				if got := e.checkoutWebhook(forged, sig); got != 401 && got != 400 {
					t.Errorf("%s: webhook answered %d, want 401/400", name, got)
				}
			}
			if pays := e.must(200, "GET", "/v1/payments?invoice_id="+inv, nil)["data"].([]any); len(pays) != 0 {
				t.Fatalf("forged webhooks made payments: %v", pays)
			}
			if got := e.must(200, "GET", "/v1/invoices/"+inv, nil)["status"]; got != "open" {
				t.Fatalf("invoice %v after forged webhooks", got)
			}

			// The customer pays on Clover's page and comes back to the link.
			resp = postForm(t, simBase+"/checkout/"+sessionID, url.Values{
				"number": {"4242 4242 4242 4242"}, "exp": {"12/34"}, "cvv": {"123"}, "name": {"Jordan Rivera"}, "zip": {"94107"}, "action": {"pay"},
			})
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), link) {
				t.Fatalf("pay on cloversim = %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			eventually(t, 20*time.Second, "invoice paid by the checkout webhook", func() bool {
				return e.must(200, "GET", "/v1/invoices/"+inv, nil)["status"] == "paid"
			})
			pays := e.must(200, "GET", "/v1/payments?invoice_id="+inv, nil)["data"].([]any)
			if len(pays) != 1 {
				t.Fatalf("%d payments, want 1: %v", len(pays), pays)
			}
			pay := pays[0].(map[string]any)
			if pay["status"] != "succeeded" || pay["method"] != "hosted" || num(pay, "amount") != num(e.must(200, "GET", "/v1/invoices/"+inv, nil), "total") {
				t.Fatalf("hosted payment %v", pay)
			}
			eventually(t, 10*time.Second, "payment and invoice events", func() bool {
				return slices.Contains(e.eventTypes(pay["id"].(string)), "payment.succeeded") && slices.Contains(e.eventTypes(inv), "invoice.paid")
			})
			if _, html, _ := getPage(t, link+"?lang=fr-CA"); !strings.Contains(html, `id="receipt"`) || !strings.Contains(html, "Reçu") {
				t.Fatalf("link after hosted payment:\n%s", html)
			}
			select {
			case m := <-mails:
				if m.Kind != "receipt" || m.To != "jordan.rivera@example.com" || !strings.Contains(m.Subject, "Reçu") || !strings.Contains(m.Text, "\u00a0$") {
					t.Fatalf("receipt %+v", m)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("no receipt mailed")
			}

			// The delivered webhook really used the casing, and replaying it
			// (freshly signed, as a retrying Clover would) records nothing new.
			var delivered []byte
			for _, d := range e.m.Sim.WebhookDeliveries() {
				if d.Kind == "checkout" {
					delivered = d.Body
				}
			}
			statusKey := map[string]string{"pascal": `"Status":"APPROVED"`, "camel": `"status":"APPROVED"`}[casing]
			if !bytes.Contains(delivered, []byte(statusKey)) {
				t.Fatalf("delivered %s, want %s", delivered, statusKey)
			}
			for range 3 {
				if got := e.checkoutWebhook(delivered, cloversim.HCOSignature(secret, time.Now().Unix(), delivered)); got != 200 {
					t.Fatalf("replayed webhook = %d, want 200", got)
				}
			}
			if pays := e.must(200, "GET", "/v1/payments?invoice_id="+inv, nil)["data"].([]any); len(pays) != 1 {
				t.Fatalf("%d payments after replays, want 1", len(pays))
			}
			if n := e.m.Sim.ChargeCount(cloverMID); n != 1 {
				t.Fatalf("Clover charged %d times, want 1", n)
			}
			if err := e.m.Web.Close(context.Background()); err != nil { // receipt sends in flight are done
				t.Fatal(err)
			}
			select {
			case m := <-mails:
				t.Fatalf("a second mail: %+v", m)
			default:
			}
		})
	}
}

// checkoutBody is an APPROVED hosted-checkout webhook body in a casing.
func checkoutBody(casing, chargeID, merchantID, sessionID string) []byte {
	keys := map[string][]string{
		"pascal": {"CreatedTime", "Message", "Status", "Type", "Id", "MerchantId", "Data"},
		"camel":  {"createdTime", "message", "status", "type", "id", "merchantId", "data"},
	}[casing]
	b, _ := json.Marshal(map[string]any{
		keys[0]: time.Now().UnixMilli(), keys[1]: "Approved for " + strconv.Itoa(1), keys[2]: "APPROVED",
		keys[3]: "PAYMENT", keys[4]: chargeID, keys[5]: merchantID, keys[6]: sessionID,
	})
	return b
}

// TestPayPageSettingsAPI: a merchant switches its pay page to hosted
// checkout through the API; hosted mode needs the signing secret, which
// is never shown back.
func TestPayPageSettingsAPI(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	got := e.must(200, "GET", "/v1/pay-page-settings", nil)
	if got["checkout_mode"] != "iframe" || got["hosted_checkout_secret_set"] != true {
		t.Fatalf("sandbox settings %v", got)
	}
	if got = e.must(200, "POST", "/v1/pay-page-settings", map[string]any{"checkout_mode": "hosted"}); got["checkout_mode"] != "hosted" {
		t.Fatalf("after switching: %v", got)
	}
	if _, html, _ := getPage(t, e.m.Sandbox.DemoPaymentURL); !strings.Contains(html, "/checkout?lang=") || strings.Contains(html, `id="card-number"`) {
		t.Fatalf("page after switching to hosted:\n%s", html)
	}
	if st, out := e.call("POST", "/v1/pay-page-settings", []byte(`{"checkout_mode":"bogus"}`)); st != 400 || out["code"] != "invalid_checkout_mode" {
		t.Fatalf("bogus mode = %d %v", st, out)
	}

	_, keyB, err := e.m.AddSandboxMerchant(context.Background(), "Other Co.")
	if err != nil {
		t.Fatal(err)
	}
	if st, out := e.callAs(keyB, "POST", "/v1/pay-page-settings", map[string]any{"checkout_mode": "hosted"}); st != 400 || out["code"] != "hosted_checkout_secret_required" {
		t.Fatalf("hosted without a secret = %d %v", st, out)
	}
	if st, out := e.callAs(keyB, "POST", "/v1/pay-page-settings", []byte(`{"hosted_checkout_secret":"short"}`)); st != 400 || out["code"] != "invalid_hosted_checkout_secret" {
		t.Fatalf("short secret = %d %v", st, out)
	}
	const secret = "0123456789abcdef0123456789abcdef"
	status, raw, _ := e.raw(keyB, "POST", "/v1/pay-page-settings", map[string]any{"checkout_mode": "hosted", "hosted_checkout_secret": secret})
	if status != 200 || bytes.Contains(raw, []byte(secret)) || !bytes.Contains(raw, []byte(`"hosted_checkout_secret_set":true`)) {
		t.Fatalf("set with secret = %d %s", status, raw)
	}
	// Merchant A's settings are untouched by B's.
	if got := e.must(200, "GET", "/v1/pay-page-settings", nil); got["checkout_mode"] != "hosted" {
		t.Fatalf("A's settings %v", got)
	}
}

// TestHostedCheckoutVerifiedWithClover: a webhook signed with the
// merchant's real secret (a leaked secret, or a replay) marks nothing paid
// unless Clover holds the charge it names: a charge Clover never issued,
// and a real charge of the merchant that is not this checkout's (another
// amount, already recorded as an API payment), are refused, audited, and
// change no invoice; Clover's own delivery after the real payment still
// records it once.
func TestHostedCheckoutVerifiedWithClover(t *testing.T) {
	t.Parallel()
	e := hostedSandbox(t, "pascal")
	link, inv := e.m.Sandbox.DemoPaymentURL, e.m.Sandbox.DemoInvoiceID
	secret, cloverMID := e.m.Sim.Options().HCOSigningSecret, e.m.Sim.Options().MerchantID
	_, html, _ := getPage(t, link)
	f := formOf(t, html)
	resp := postForm(t, link+"/checkout", url.Values{"csrf": {f.csrf}, "attempt": {f.attempt}})
	simBase := e.m.Sim.Options().BaseURL
	sessionID := strings.TrimPrefix(strings.SplitN(resp.Header.Get("Location"), "?", 2)[0], simBase+"/checkout/")
	if resp.StatusCode != http.StatusSeeOther || sessionID == "" {
		t.Fatalf("checkout POST = %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	other := e.must(201, "POST", "/v1/payments", map[string]any{"amount": 700, "currency": "usd", "source": e.token(visaOK)})
	for name, charge := range map[string]string{
		"never issued":      "NEVERISSUED01",
		"another payment's": other["clover_charge_id"].(string),
		"not a Clover id":   "../v1/charges",
	} {
		body := checkoutBody("pascal", charge, cloverMID, sessionID)
		if got := e.checkoutWebhook(body, cloversim.HCOSignature(secret, time.Now().Unix(), body)); got != 200 {
			t.Errorf("%s: signed forged webhook = %d, want 200 (refused quietly)", name, got)
		}
	}
	if pays := e.must(200, "GET", "/v1/payments?invoice_id="+inv, nil)["data"].([]any); len(pays) != 0 {
		t.Fatalf("forged webhooks made payments: %v", pays)
	}
	if got := e.must(200, "GET", "/v1/invoices/"+inv, nil)["status"]; got != "open" {
		t.Fatalf("invoice %v after signed forged webhooks", got)
	}
	outcomes := map[string]bool{}
	for _, a := range e.must(200, "GET", "/v1/audit-log?limit=100", nil)["data"].([]any) {
		if a := a.(map[string]any); a["action"] == "hosted_checkout.unverified" && a["object_id"] == inv {
			outcomes[a["outcome"].(string)] = true
		}
	}
	for _, want := range []string{"refused charge_not_found", "refused amount_mismatch", "refused malformed_charge_id"} {
		if !outcomes[want] {
			t.Errorf("no audit entry %q; have %v", want, outcomes)
		}
	}

	resp = postForm(t, simBase+"/checkout/"+sessionID, url.Values{
		"number": {"4242 4242 4242 4242"}, "exp": {"12/34"}, "cvv": {"123"}, "name": {"Jordan Rivera"}, "zip": {"94107"}, "action": {"pay"},
	})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pay on cloversim = %d", resp.StatusCode)
	}
	eventually(t, 20*time.Second, "invoice paid by Clover's webhook", func() bool {
		return e.must(200, "GET", "/v1/invoices/"+inv, nil)["status"] == "paid"
	})
	pays := e.must(200, "GET", "/v1/payments?invoice_id="+inv, nil)["data"].([]any)
	if len(pays) != 1 || pays[0].(map[string]any)["clover_charge_id"] == other["clover_charge_id"] {
		t.Fatalf("payments after the real checkout: %v", pays)
	}
}
