package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paybridge/paybridge/clover/cloversim"
)

// choiceInvoice is an invoice of 135.00 that takes tips and partial
// payments of at least 10.00, and its payment link.
func (e *sbx) choiceInvoice() (id, link string) {
	e.t.Helper()
	id = e.invoice(map[string]any{"allow_partial": true, "allow_tip": true, "minimum_partial_amount": 1000})["id"].(string)
	return id, e.must(201, "POST", "/v1/invoices/"+id+"/payment-link", nil)["url"].(string)
}

// charges are cloversim's sales, oldest first.
func (e *sbx) charges() []cloversim.LedgerEntry {
	var out []cloversim.LedgerEntry
	for _, l := range e.m.Sim.Ledger("") {
		if l.Kind == cloversim.KindCharge {
			out = append(out, l)
		}
	}
	return out
}

// TestPayPageRefusesAChangedTotal: a submit whose choices cost more than
// the total it carries (what the page showed) charges nothing and comes
// back with the right total on the button, the choice kept and a message;
// paying that page charges exactly its total.
func TestPayPageRefusesAChangedTotal(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	_, link := e.choiceInvoice()
	_, html, _ := getPage(t, link)
	f := formOf(t, html)
	if f.total != "13500" || !strings.Contains(html, ">Pay $135.00</button>") {
		t.Fatalf("fresh form total %q:\n%s", f.total, html)
	}
	// 15 % on top, but the total the page showed is still 135.00.
	_, body := submit(t, link, f, url.Values{"token": {e.token(visaOK)}, "tip": {"15"}})
	for _, want := range []string{"The total to pay changed.", ">Pay $155.25</button>", `value="15" id="tip-15" checked`, `value="15525"`} {
		if !strings.Contains(body, want) {
			t.Errorf("refused page lacks %q", want)
		}
	}
	if n := len(e.charges()); n != 0 {
		t.Fatalf("%d charges after a refused total", n)
	}
	// No total at all is refused the same way.
	if _, body = submit(t, link, formOf(t, body), url.Values{"token": {e.token(visaOK)}, "tip": {"15"}, "total": {""}}); !strings.Contains(body, "The total to pay changed.") {
		t.Fatalf("a submit without a total:\n%s", body)
	}
	_, body = submit(t, link, formOf(t, body), url.Values{"token": {e.token(visaOK)}, "tip": {"15"}})
	if !strings.Contains(body, `id="receipt"`) {
		t.Fatalf("paying the page's total:\n%s", body)
	}
	if c := e.charges(); len(c) != 1 || c[0].Amount != 13500 || c[0].TipAmount != 2025 {
		t.Fatalf("charges %+v, want one of 135.00 + 20.25 tip", c)
	}
}

// TestPayPageKeepsChoices: the amount option, partial amount, tip and
// save-card box come back after a validation error, a decline and a
// reload; the amount limits have their own message in every language; a
// percentage tip is of the partial amount.
func TestPayPageKeepsChoices(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	msgs := map[string][2]string{
		"en-US": {"Please enter at least $10.00, the minimum payment.", "Please enter at most $135.00, the amount due."},
		"en-CA": {"Please enter at least US$10.00, the minimum payment.", "Please enter at most US$135.00, the amount due."},
		"fr-CA": {"Veuillez saisir au moins 10,00\u00a0$\u00a0US, le paiement minimum.", "Veuillez saisir au plus 135,00\u00a0$\u00a0US, le montant dû."},
	}
	for loc, want := range msgs {
		_, link := e.choiceInvoice() // a link of its own: a link takes six submits a burst
		page := link + "?lang=" + loc
		_, html, _ := getPage(t, page)
		for i, amount := range []string{"5", "500"} {
			_, body := submit(t, page, formOf(t, html), url.Values{"token": {e.token(visaOK)}, "amount_choice": {"partial"}, "partial_amount": {amount}, "tip": {"18"}, "save_card": {"yes"}})
			for _, w := range []string{want[i], `value="partial" id="choose-partial" checked`, `value="` + amount + `"`, `id="tip-18" checked`, `id="save-card" checked`} {
				if !strings.Contains(body, w) {
					t.Errorf("%s, partial %s: the page lacks %q", loc, amount, w)
				}
			}
			html = body
		}
	}
	// A decline keeps a 20.00 partial with an 18 % tip of it (3.60).
	_, link := e.choiceInvoice()
	_, html, _ := getPage(t, link)
	vals := url.Values{"token": {e.token(visaDecline)}, "amount_choice": {"partial"}, "partial_amount": {"20"}, "tip": {"18"}, "save_card": {"yes"}, "total": {"2360"}}
	_, body := submit(t, link, formOf(t, html), vals)
	kept := []string{"declined", `id="choose-partial" checked`, `value="20"`, `id="tip-18" checked`, "18%<span class=\"tip-amt\" data-pct=\"18\"> ($3.60)", `id="save-card" checked`, ">Pay $23.60</button>"}
	for _, w := range kept {
		if !strings.Contains(body, w) {
			t.Errorf("after a decline the page lacks %q:\n%s", w, body)
		}
	}
	// A reload (the URL pay.js keeps, the redirect's) shows the same.
	_, body, _ = getPage(t, link+"?amount_choice=partial&partial_amount=20&tip=18&save_card=yes")
	for _, w := range kept[1:] {
		if !strings.Contains(body, w) {
			t.Errorf("on reload the page lacks %q", w)
		}
	}
	if n := len(e.charges()); n != 0 {
		t.Fatalf("%d charges after refusals and a decline", n)
	}
}

// TestPayPageFaviconAndCSP: the page links its icon and /favicon.ico leads
// to it (no 404 on any page), and each CSP directive names Clover's origin
// at most once (the sandbox's web and checkout origins are one).
func TestPayPageFaviconAndCSP(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	_, html, h := getPage(t, e.m.Sandbox.DemoPaymentURL)
	if !strings.Contains(html, `<link rel="icon" href="/pay-assets/favicon.svg?v=`) {
		t.Errorf("the page links no icon")
	}
	for _, dir := range strings.Split(h.Get("Content-Security-Policy"), ";") {
		if n := strings.Count(dir, e.m.Sim.Options().BaseURL); n > 1 {
			t.Errorf("CSP directive %q names Clover %d times", dir, n)
		}
	}
	resp, err := http.Get(e.m.URL + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("/favicon.ico = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestPayPageShowsTheBusiness: the page names the business with the
// address and phone of its Clover merchant record (copied at start for
// the sandbox's merchant, at connect for others), and the invoice date.
func TestPayPageShowsTheBusiness(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	_, html, _ := getPage(t, e.m.Sandbox.DemoPaymentURL+"?lang=fr-CA")
	for _, want := range []string{`<address id="merchant-contact">415 Main Street<br>Suite 200<br>Springfield, IL 62701<br>Téléphone <a href="tel:`,
		"(217) 555-0142</a>", `<dd id="inv-date">`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q:\n%s", want, html)
		}
	}
}
