package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/internal/browsertest"
	"github.com/paybridge/paybridge/web"
)

// TestCardPagesBrowser, in Chromium with Clover's iframes on another
// site: the pay page's "save this card" box saves the card while paying;
// the update-card page loads only inventoried scripts, will not submit
// without the consent box, and saves a card once it is ticked.
func TestCardPagesBrowser(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	b := browsertest.Start(t, browsertest.Options{IsolateOrigins: []string{e.m.Sim.Options().BaseURL}})
	typeCard := func(number string) {
		b.TypeInFrame("type=CARD_NUMBER", "#f", number)
		b.TypeInFrame("type=CARD_DATE", "#f", "12/30")
		b.TypeInFrame("type=CARD_CVV", "#f", "123")
		b.TypeInFrame("type=CARD_POSTAL_CODE", "#f", "12345")
	}

	link := strings.Replace(e.m.Sandbox.DemoPaymentURL, "127.0.0.1", "localhost", 1)
	b.Do("open pay page", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#save-card")))
	typeCard("4242 4242 4242 4242")
	b.Do("tick save", chromedp.Click(chromedp.CSS("#save-card")))
	b.Press("#pay-btn", payTook, false)
	b.Do("receipt", chromedp.WaitVisible(chromedp.CSS("#receipt")))
	cus := e.must(200, "GET", "/v1/invoices/"+e.m.Sandbox.DemoInvoiceID, nil)["customer_id"].(string)
	cards := e.must(200, "GET", "/v1/customers/"+cus+"/cards", nil)["data"].([]any)
	if len(cards) != 1 || cards[0].(map[string]any)["last4"] != "4242" {
		t.Fatalf("cards after paying with the box ticked: %v", cards)
	}

	u, _, err := e.m.Web.CreateCardLink(context.Background(), billing.Caller{MerchantID: e.m.Sandbox.MerchantID}, cus)
	if err != nil {
		t.Fatal(err)
	}
	u = strings.Replace(u, "127.0.0.1", "localhost", 1)
	b.Do("open update-card page", chromedp.Navigate(u+"?lang=fr-CA"), chromedp.WaitVisible(chromedp.CSS("#pay")))
	scripts := browsertest.Value(b, "scripts", chromedp.Evaluate[[]string](
		`Array.from(new Set(performance.getEntriesByType('resource').filter(e => e.initiatorType === 'script').map(e => e.name).concat(Array.from(document.scripts).map(s => s.src || 'inline'))))`))
	for _, s := range scripts {
		if !web.ScriptAllowed(s, e.m.Web.SDKURL) {
			t.Errorf("the update-card page loaded %q, which is not in web/SCRIPT_INVENTORY.md", s)
		}
	}
	typeCard("2221 0000 0000 0009")
	b.Do("save without consent", chromedp.Click(chromedp.CSS("#pay-btn")))
	if valid := browsertest.Value(b, "consent validity", chromedp.Evaluate[bool](`document.getElementById('consent').checkValidity()`)); valid {
		t.Fatal("the consent box is not required")
	}
	b.Do("tick consent and save", chromedp.Click(chromedp.CSS("#consent")), chromedp.Click(chromedp.CSS("#pay-btn")),
		chromedp.WaitVisible(chromedp.CSS("#card-saved")))
	b.Screenshot("update-card-saved-fr-CA")
	cards = e.must(200, "GET", "/v1/customers/"+cus+"/cards", nil)["data"].([]any)
	if len(cards) != 2 {
		t.Fatalf("cards after the update-card page: %v", cards)
	}
	c := cards[1].(map[string]any)
	if c["last4"] != "0009" || !strings.HasPrefix(c["consent"].(map[string]any)["text"].(string), "J'autorise") {
		t.Fatalf("new card %v", c)
	}
}
