package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// payForm is a rendered form's hidden fields (total: the amount the page
// shows on its button, in minor units).
type payForm struct{ csrf, attempt, total string }

var (
	csrfRe    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	attemptRe = regexp.MustCompile(`name="attempt" value="([^"]+)"`)
	totalRe   = regexp.MustCompile(`name="total" id="total-shown" value="([^"]*)"`)
)

// getPage GETs a pay page, following nothing.
func getPage(t *testing.T, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func formOf(t *testing.T, html string) payForm {
	t.Helper()
	c, a := csrfRe.FindStringSubmatch(html), attemptRe.FindStringSubmatch(html)
	if c == nil || a == nil {
		t.Fatalf("no form in page:\n%s", html)
	}
	f := payForm{csrf: c[1], attempt: a[1]}
	if m := totalRe.FindStringSubmatch(html); m != nil {
		f.total = m[1]
	}
	return f
}

// submit posts a pay form as a same-origin browser would and follows the
// redirect to the attempt page; the total the page showed goes with it
// unless vals sets one.
func submit(t *testing.T, link string, f payForm, vals url.Values) (int, string) {
	t.Helper()
	vals.Set("csrf", f.csrf)
	vals.Set("attempt", f.attempt)
	if !vals.Has("total") && f.total != "" {
		vals.Set("total", f.total)
	}
	req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPayPageDoubleSubmitChargesOnce(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	outbox := e.m.Outbox
	mails := outbox.Subscribe()
	link := e.m.Sandbox.DemoPaymentURL
	inv := e.m.Sandbox.DemoInvoiceID
	status, html, h := getPage(t, link)
	if status != 200 || !strings.Contains(html, "INV-") || !strings.Contains(html, "Kitchen faucet replacement") {
		t.Fatalf("GET link = %d:\n%s", status, html)
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self' " + e.m.Sim.Options().BaseURL, "frame-ancestors 'none'", "frame-src " + e.m.Sim.Options().BaseURL} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
		t.Errorf("headers: %v", h)
	}
	if h.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS on loopback")
	}
	f := formOf(t, html)
	tok := e.token("4242424242424242")
	const n = 6
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			st, body := submit(t, link, f, url.Values{"token": {tok}})
			if st != 200 || !(strings.Contains(body, `id="receipt"`) || strings.Contains(body, "being processed")) {
				t.Errorf("submit = %d:\n%s", st, body)
			}
		})
	}
	wg.Wait()
	pays := e.must(200, "GET", "/v1/payments?invoice_id="+inv, nil)["data"].([]any)
	if len(pays) != 1 {
		t.Fatalf("%d payments after %d submits of one form, want 1: %v", len(pays), n, pays)
	}
	if got := e.must(200, "GET", "/v1/invoices/"+inv, nil)["status"]; got != "paid" {
		t.Fatalf("invoice status %v, want paid", got)
	}
	// A reload of the link shows the receipt, not the form.
	_, html, _ = getPage(t, link)
	if !strings.Contains(html, `id="receipt"`) || strings.Contains(html, `id="pay"`) || !strings.Contains(html, "4242") {
		t.Fatalf("paid link page:\n%s", html)
	}
	// Ledger: cloversim charged once.
	select {
	case m := <-mails:
		if m.Kind != "receipt" || m.To != "jordan.rivera@example.com" || !strings.Contains(m.Text, "4242") {
			t.Fatalf("mail %+v", m)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no receipt mailed")
	}
	select {
	case m := <-mails:
		t.Fatalf("a second mail: %+v", m)
	default:
	}
}

func TestPayPageDeclineKeepsFormUsable(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	link := e.m.Sandbox.DemoPaymentURL
	_, html, _ := getPage(t, link)
	st, body := submit(t, link, formOf(t, html), url.Values{"token": {e.token("4005571702222222")}})
	if st != 200 || !strings.Contains(body, "declined") || !strings.Contains(body, `id="pay"`) {
		t.Fatalf("decline page %d:\n%s", st, body)
	}
	// The fresh form on the decline page pays.
	st, body = submit(t, link, formOf(t, body), url.Values{"token": {e.token("4242424242424242")}})
	if st != 200 || !strings.Contains(body, `id="receipt"`) {
		t.Fatalf("retry after decline %d:\n%s", st, body)
	}
}

func TestPayPageRefusals(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	link := e.m.Sandbox.DemoPaymentURL
	base := link[:strings.LastIndex(link, "/")+1]
	if st, html, _ := getPage(t, base+"AAAAAAAAAAAAAAAAAAAAAA"); st != 404 || !strings.Contains(html, "not valid") {
		t.Fatalf("unknown link = %d:\n%s", st, html)
	}
	_, html, _ := getPage(t, link)
	f := formOf(t, html)
	// A forged CSRF token is refused and charges nothing.
	if st, _ := submit(t, link, payForm{csrf: f.csrf + "x", attempt: f.attempt}, url.Values{"token": {e.token("4242424242424242")}}); st != 403 {
		t.Fatalf("forged csrf = %d", st)
	}
	// A cross-site POST is refused by CrossOriginProtection.
	req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader("csrf="+f.csrf+"&attempt="+f.attempt))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("cross-site POST = %d", resp.StatusCode)
	}
	// A partial amount under the minimum is refused with a message.
	_, body := submit(t, link, f, url.Values{"token": {e.token("4242424242424242")}, "amount_choice": {"partial"}, "partial_amount": {"1.00"}})
	if !strings.Contains(body, "Please enter at least $10.00, the minimum payment.") || !strings.Contains(body, `value="1.00"`) {
		t.Fatalf("small partial:\n%s", body)
	}
	if pays := e.must(200, "GET", "/v1/payments?invoice_id="+e.m.Sandbox.DemoInvoiceID, nil)["data"].([]any); len(pays) != 0 {
		t.Fatalf("refusals made payments: %v", pays)
	}
	// Revoked links are gone.
	e.must(200, "POST", "/v1/invoices/"+e.m.Sandbox.DemoInvoiceID+"/payment-link/revoke", nil)
	if st, _, _ := getPage(t, link); st != 404 {
		t.Fatalf("revoked link = %d", st)
	}
}

func TestPaymentLinkAPIAndSend(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	inv := e.m.Sandbox.DemoInvoiceID
	out := e.must(201, "POST", "/v1/invoices/"+inv+"/payment-link", map[string]any{"expires_in": 3600})
	u, _ := out["url"].(string)
	if !strings.HasPrefix(u, e.m.URL+"/pay/") || len(u) != len(e.m.URL+"/pay/")+22 {
		t.Fatalf("url %q", u)
	}
	e.must(404, "POST", "/v1/invoices/inv_nope/payment-link", nil)
	mails := e.m.Outbox.Subscribe()
	sent := e.must(200, "POST", "/v1/invoices/"+inv+"/send", map[string]any{"locale": "fr-CA"})
	m := <-mails
	if m.To != "jordan.rivera@example.com" || m.Kind != "payment_link" || !strings.Contains(m.Text, sent["url"].(string)) || !strings.Contains(m.Text, "Montant dû") {
		t.Fatalf("link mail %+v", m)
	}
	if st, html, _ := getPage(t, e.m.URL+"/sandbox/outbox"); st != 200 || !strings.Contains(html, "Facture") {
		t.Fatalf("outbox %d:\n%s", st, html)
	}
}

// TestPayPageFrenchRefusals: a decline on the fr-CA page is told in French
// without Clover's English text, and the form still works; the per-client
// rate limit answers a French page with Retry-After.
func TestPayPageFrenchRefusals(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	link := e.m.Sandbox.DemoPaymentURL + "?lang=fr-CA"
	_, html, _ := getPage(t, link)
	st, body := submit(t, link, formOf(t, html), url.Values{"token": {e.token("4005571702222222")}})
	if st != 200 || !strings.Contains(body, "Votre carte a été refusée.") || !strings.Contains(body, `id="pay"`) {
		t.Fatalf("fr-CA decline %d:\n%s", st, body)
	}
	for _, english := range []string{"The card was declined", "card_declined", "declined", "do_not_honor"} {
		if strings.Contains(body, english) {
			t.Errorf("fr-CA decline page shows %q", english)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.m.Sandbox.DemoPaymentURL, nil)
	req.Header.Set("Accept-Language", "fr-CA,fr;q=0.9")
	for i := 0; ; i++ {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			if !strings.Contains(string(b), "Trop de requêtes") || !strings.Contains(string(b), "Veuillez patienter") || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Content-Language") != "fr-CA" {
				t.Fatalf("rate-limited page: %v\n%s", resp.Header, b)
			}
			return
		}
		if resp.StatusCode != 200 || i > 200 {
			t.Fatalf("request %d = %d, never rate limited", i, resp.StatusCode)
		}
	}
}
