package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/paybridge/paybridge/internal/browsertest"
	"github.com/paybridge/paybridge/web"
)

// TestPayPageChargesWhatItShows pays six invoices in Chromium over tip
// (none, a percentage, custom) × amount (full, partial) × locale, and
// fails if the total next to the button, the button, the total after a
// reload, or the amount cloversim charged (amount + tip in its ledger)
// ever differ from each other or from the arithmetic: a percentage tip is
// of the amount paid now, rounded half up.
func TestPayPageChargesWhatItShows(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	b := browsertest.Start(t, browsertest.Options{IsolateOrigins: []string{e.m.Sim.Options().BaseURL}, Width: 375, Height: 812})
	cases := []struct {
		locale, partial, tip, custom string
		amount, tipAmount            int64
	}{
		{"en-US", "", "15", "", 13500, 2025},
		{"en-US", "20", "18", "", 2000, 360},
		{"fr-CA", "20,50", "custom", "3,25", 2050, 325},
		{"en-CA", "", "custom", "5", 13500, 500},
		{"fr-CA", "", "20", "", 13500, 2700},
		{"en-CA", "50.5", "15", "", 5050, 758}, // 757.5 rounds up
	}
	word := map[string]string{"en-US": "Pay", "en-CA": "Pay", "fr-CA": "Payer"}
	for i, c := range cases {
		name := fmt.Sprintf("%s partial=%q tip=%s custom=%q", c.locale, c.partial, c.tip, c.custom)
		_, link := e.choiceInvoice()
		link = strings.Replace(link, "127.0.0.1", "localhost", 1) // the iframes on another site
		b.Do("open "+name, chromedp.Navigate(link+"?lang="+c.locale), chromedp.WaitVisible(chromedp.CSS("#pay")))
		if c.partial != "" {
			b.Do("partial", chromedp.Click(chromedp.CSS("#choose-partial")), chromedp.SendKeys(chromedp.CSS("#partial"), c.partial))
		}
		b.Do("tip", chromedp.Click(chromedp.CSS("#tip-"+c.tip)))
		if c.custom != "" {
			b.Do("custom tip", chromedp.SendKeys(chromedp.CSS("#tip-amount"), c.custom))
		}
		want := web.FormatMoney(c.amount+c.tipAmount, "usd", c.locale)
		shown := func(when string) {
			t.Helper()
			total := browsertest.Value(b, "total", chromedp.Text(chromedp.CSS("#pay-total")))
			button := browsertest.Value(b, "button", chromedp.Text(chromedp.CSS("#pay-btn")))
			if total != want || button != word[c.locale]+" "+want {
				t.Fatalf("%s, %s: total %q, button %q; want %q", name, when, total, button, want)
			}
		}
		shown("as chosen")
		b.Do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#pay")))
		shown("after a reload")
		if i == 2 {
			b.Screenshot("form-partial-custom-tip-fr-CA-375")
		}
		b.TypeInFrame("type=CARD_NUMBER", "#f", "4242 4242 4242 4242")
		b.TypeInFrame("type=CARD_DATE", "#f", "12/30")
		b.TypeInFrame("type=CARD_CVV", "#f", "123")
		b.TypeInFrame("type=CARD_POSTAL_CODE", "#f", "12345")
		b.Press("#pay-btn", payTook, false)
		b.Do("receipt", chromedp.WaitVisible(chromedp.CSS("#receipt")))
		ch := e.charges()
		if len(ch) != i+1 {
			t.Fatalf("%s: %d charges after %d payments", name, len(ch), i+1)
		}
		last := ch[i]
		if got := web.FormatMoney(last.Amount+last.TipAmount, "usd", c.locale); got != want || last.Amount != c.amount || last.TipAmount != c.tipAmount {
			t.Fatalf("%s: charged %d + %d tip (%s), the page showed %s", name, last.Amount, last.TipAmount, got, want)
		}
	}
}

// TestPayPageParsesAsTheServer: pay.js reads a typed partial amount as
// web.ParseAmount does (the button shows the amount the server will
// charge, or none when the server would refuse it), in both notations.
func TestPayPageParsesAsTheServer(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	b := browsertest.Start(t, browsertest.Options{})
	_, link := e.choiceInvoice()
	inputs := []string{"20", "20.5", "20,50", "20.505", "1,234.56", "100,00", "1.234", "1 000", "12,5", ".50", "0050", "20.", "$20", "20 $", "CA$12", "abc", "", "1,2,3", "10,000", "99.999,99", "1.000,5", "12..5", "-20"}
	for _, loc := range []string{"en-US", "fr-CA"} {
		b.Do("open "+loc, chromedp.Navigate(link+"?lang="+loc), chromedp.WaitVisible(chromedp.CSS("#pay")), chromedp.Click(chromedp.CSS("#choose-partial")))
		for _, in := range inputs {
			got := browsertest.Value(b, "type "+in, chromedp.Evaluate[string](fmt.Sprintf(
				`(function(){var p=document.getElementById('partial');p.value=%q;p.dispatchEvent(new Event('input',{bubbles:true}));return document.getElementById('pay-now').textContent})()`, in)))
			want := ""
			if v, ok := web.ParseAmount(in, "usd"); ok && v >= 1000 && v <= 13500 {
				want = web.FormatMoney(v, "usd", loc)
			}
			if got != want {
				t.Errorf("%s: %q shows %q, the server reads %q", loc, in, got, want)
			}
		}
	}
}
