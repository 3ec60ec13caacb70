package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/paybridge/paybridge/email/emailtest"
	"github.com/paybridge/paybridge/internal/browsertest"
	"github.com/paybridge/paybridge/web"
)

// TestPayPageBrowser pays the demo invoice in Chromium: Clover's iframes
// (cloversim's, on another site: the page is opened as localhost, the
// iframes come from 127.0.0.1), the receipt, the invoice paid through the
// API, the receipt at an SMTP server, every script in the inventory, and
// screenshots at desktop and 375 px.
func TestPayPageBrowser(t *testing.T) {
	t.Parallel()
	smtp := emailtest.Start(t)
	e := startSandbox(t, func(c *Config) {
		c.Web.SMTPHost, c.Web.SMTPPort, c.Web.SMTPTLS, c.Web.SMTPFrom = smtp.Host, smtp.Port, "none", "Sandbox <billing@example.com>"
	})
	b := browsertest.Start(t, browsertest.Options{IsolateOrigins: []string{e.m.Sim.Options().BaseURL}})
	link := strings.Replace(e.m.Sandbox.DemoPaymentURL, "127.0.0.1", "localhost", 1)

	b.Do("open link", chromedp.Navigate(link+"?lang=fr-CA"), chromedp.WaitVisible(chromedp.CSS("#pay")))
	if due := browsertest.Value(b, "due", chromedp.Text(chromedp.CSS("#due"))); !strings.Contains(due, ",") || !strings.Contains(due, "$") {
		t.Errorf("fr-CA amount due %q", due)
	}
	b.Screenshot("form-fr-CA-desktop")
	b.Do("open link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#pay")))
	b.Screenshot("form-desktop")
	b.Viewport(375, 812)
	if w := browsertest.Value(b, "width", chromedp.Evaluate[int]("document.documentElement.scrollWidth")); w > 375 {
		t.Errorf("page is %d px wide at a 375 px viewport", w)
	}
	b.Screenshot("form-375")

	b.TypeInFrame("type=CARD_NUMBER", "#f", "4242 4242 4242 4242")
	b.TypeInFrame("type=CARD_DATE", "#f", "12/30")
	b.TypeInFrame("type=CARD_CVV", "#f", "123")
	b.TypeInFrame("type=CARD_POSTAL_CODE", "#f", "12345")
	b.Press("#pay-btn", payTook, true)
	b.Do("receipt", chromedp.WaitVisible(chromedp.CSS("#receipt")))
	b.Screenshot("receipt-375")

	inv := e.must(200, "GET", "/v1/invoices/"+e.m.Sandbox.DemoInvoiceID, nil)
	if inv["status"] != "paid" {
		t.Fatalf("invoice %v", inv["status"])
	}
	if pays := e.must(200, "GET", "/v1/payments?invoice_id="+e.m.Sandbox.DemoInvoiceID, nil)["data"].([]any); len(pays) != 1 {
		t.Fatalf("%d payments after a double click, want 1", len(pays))
	}
	select {
	case m := <-smtp.C:
		if m.To[0] != "jordan.rivera@example.com" || !strings.Contains(m.Text, "4242") {
			t.Fatalf("receipt mail %+v", m)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no receipt at the SMTP server")
	}

	// 11.6.1: every script the form page loaded is in the inventory.
	b.Viewport(1280, 900)
	b.Do("reopen", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#receipt")))
	b.Screenshot("receipt-desktop")
}

// payTook is true once the pay page took a click on its button.
const payTook = `!document.getElementById('pay-btn') || document.getElementById('pay-btn').disabled`

// TestPayPageScriptsInventoried loads a payable form in Chromium and
// fails on any script not in web/SCRIPT_INVENTORY.md.
func TestPayPageScriptsInventoried(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	b := browsertest.Start(t, browsertest.Options{})
	b.Do("open", chromedp.Navigate(e.m.Sandbox.DemoPaymentURL), chromedp.WaitVisible(chromedp.CSS("#pay")))
	scripts := browsertest.Value(b, "scripts", chromedp.Evaluate[[]string](
		`Array.from(new Set(performance.getEntriesByType('resource').filter(e => e.initiatorType === 'script').map(e => e.name).concat(Array.from(document.scripts).map(s => s.src || 'inline'))))`))
	if len(scripts) < 2 {
		t.Fatalf("scripts %v: want at least pay.js and the SDK", scripts)
	}
	for _, s := range scripts {
		if !web.ScriptAllowed(s, e.m.Web.SDKURL) {
			t.Errorf("the page loaded %q, which is not in web/SCRIPT_INVENTORY.md", s)
		}
	}
}

// TestPayPageBrowserFrenchCardError: on the fr-CA page, a card Clover's
// fields refuse is explained in French (Clover's SDK text is not shown),
// and nothing is charged.
func TestPayPageBrowserFrenchCardError(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	b := browsertest.Start(t, browsertest.Options{IsolateOrigins: []string{e.m.Sim.Options().BaseURL}})
	link := strings.Replace(e.m.Sandbox.DemoPaymentURL, "127.0.0.1", "localhost", 1)
	b.Do("open link", chromedp.Navigate(link+"?lang=fr-CA"), chromedp.WaitVisible(chromedp.CSS("#pay")))
	b.TypeInFrame("type=CARD_NUMBER", "#f", "4242 4242")
	b.Press("#pay-btn", `!document.getElementById('card-error').classList.contains('hide')`, false)
	msg := browsertest.Value(b, "card error", chromedp.Text(chromedp.CSS("#card-error")))
	if !strings.HasPrefix(msg, "Veuillez") {
		t.Fatalf("fr-CA card error %q, want the page's French", msg)
	}
	if pays := e.must(200, "GET", "/v1/payments?invoice_id="+e.m.Sandbox.DemoInvoiceID, nil)["data"].([]any); len(pays) != 0 {
		t.Fatalf("payments after a refused card: %v", pays)
	}
}
