package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/internal/browsertest"
)

// TestPayPageAccessibility runs axe-core in Chromium on every state of the
// customer's pages, at a desktop width and at 375 px, and fails on any
// serious or critical violation: the form (English, and French with a
// partial amount and a tip chosen), an amount below the minimum, a
// decline, the receipt, an unknown link, and the update-card form and its
// done page. Each state's screenshots are in the test's output folder.
// It skips, saying so, where axe-core is not installed (PAYBRIDGE_AXE_JS;
// .ci/run installs it, and on CI a missing one fails).
func TestPayPageAccessibility(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	b := browsertest.Start(t, browsertest.Options{IsolateOrigins: []string{e.m.Sim.Options().BaseURL}})
	if !b.HaveAxe() {
		t.Skipf("axe-core is not installed (%s is not set): skipping the accessibility checks", browsertest.AxeEnv)
	}
	typeCard := func(number string) {
		b.TypeInFrame("type=CARD_NUMBER", "#f", number)
		b.TypeInFrame("type=CARD_DATE", "#f", "12/30")
		b.TypeInFrame("type=CARD_CVV", "#f", "123")
		b.TypeInFrame("type=CARD_POSTAL_CODE", "#f", "12345")
	}
	_, link := e.choiceInvoice()
	link = strings.Replace(link, "127.0.0.1", "localhost", 1)
	open := func(u, sel string) { b.Do("open "+u, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(sel))) }

	open(link, "#pay")
	b.State("form")
	open(link+"?lang=fr-CA&amount_choice=partial&partial_amount=20&tip=18", "#pay")
	b.State("form-partial-tip-fr-CA")
	open(link+"?amount_choice=partial&partial_amount=5", "#amount-error")
	b.State("below-minimum")
	open(link+"?tip=15", "#pay")
	typeCard("4005 5717 0222 2222")
	b.Press("#pay-btn", payTook, false)
	b.Do("decline", chromedp.WaitVisible(chromedp.CSS("#form-error")))
	b.State("decline")
	typeCard("4242 4242 4242 4242")
	b.Press("#pay-btn", payTook, false)
	b.Do("receipt", chromedp.WaitVisible(chromedp.CSS("#receipt")))
	b.State("receipt")
	open(link[:strings.LastIndex(link, "/")+1]+"AAAAAAAAAAAAAAAAAAAAAA", "main")
	b.State("not-found")

	cus := e.must(200, "GET", "/v1/invoices/"+e.m.Sandbox.DemoInvoiceID, nil)["customer_id"].(string)
	u, _, err := e.m.Web.CreateCardLink(context.Background(), billing.Caller{MerchantID: e.m.Sandbox.MerchantID}, cus)
	if err != nil {
		t.Fatal(err)
	}
	open(strings.Replace(u, "127.0.0.1", "localhost", 1), "#pay")
	b.State("update-card")
	typeCard("2221 0000 0000 0009")
	b.Do("consent", chromedp.Click(chromedp.CSS("#consent")))
	b.Press("#pay-btn", `!document.getElementById('pay-btn') || document.getElementById('pay-btn').disabled`, false)
	b.Do("saved", chromedp.WaitVisible(chromedp.CSS("#card-saved")))
	b.State("update-card-saved")
}

// TestPayPageByKeyboard pays with the keyboard alone: Tab through the
// form, arrow keys to choose a partial amount and a 15 % tip, typing the
// amount and the card into Clover's fields as focus reaches them, Enter
// on the button. The charge is the total the button showed.
func TestPayPageByKeyboard(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	b := browsertest.Start(t, browsertest.Options{IsolateOrigins: []string{e.m.Sim.Options().BaseURL}})
	_, link := e.choiceInvoice()
	b.Do("open", chromedp.Navigate(strings.Replace(link, "127.0.0.1", "localhost", 1)), chromedp.WaitVisible(chromedp.CSS("#pay")))
	// What has focus: an element's id, a radio's name=value, or for
	// Clover's iframes the field they sit in.
	const focused = `(function () { var a = document.activeElement;
		if (a.tagName === 'IFRAME') return a.parentElement.id;
		if (a.type === 'radio') return a.name + '=' + a.value;
		return a.id || a.tagName; })()`
	typed := map[string]string{"partial": "20", "card-number": "4242424242424242", "card-date": "12/30", "card-cvv": "123", "card-postal": "12345"}
	var path []string
	for i := 0; i < 40; i++ {
		b.Do("tab", chromedp.KeyEvent("\t"))
		// Focus crosses into and out of Clover's iframes (other
		// processes) a moment after the key: wait for it to move.
		at, prev := "", ""
		if len(path) > 0 {
			prev = path[len(path)-1]
		}
		for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if at = browsertest.Value(b, "focus", chromedp.Evaluate[string](focused)); at != prev || time.Now().After(deadline) {
				break
			}
		}
		path = append(path, at)
		switch {
		case at == "amount_choice=full":
			b.Do("choose partial", chromedp.KeyEvent(kb.ArrowDown))
		case at == "tip=0":
			b.Do("choose 15 %", chromedp.KeyEvent(kb.ArrowRight))
		case typed[at] != "":
			b.Do("type "+at, chromedp.KeyEvent(typed[at]))
			delete(typed, at)
		case at == "pay-btn":
			if len(typed) > 0 {
				t.Fatalf("the button came before %v; focus went %v", typed, path)
			}
			button := browsertest.Value(b, "button", chromedp.Text(chromedp.CSS("#pay-btn")))
			if button != "Pay $23.00" {
				t.Fatalf("button %q after choosing 20.00 and 15 %% by keyboard; focus went %v", button, path)
			}
			b.Do("enter", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("#receipt")))
			if c := e.charges(); len(c) != 1 || c[0].Amount != 2000 || c[0].TipAmount != 300 {
				t.Fatalf("charges %+v, want 20.00 + 3.00", c)
			}
			return
		}
	}
	t.Fatalf("Tab never reached the pay button: %v", path)
}
