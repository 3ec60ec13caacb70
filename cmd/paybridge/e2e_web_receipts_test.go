package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover/cloversim"
)

// TestPayPageReconciledPaymentGetsOneReceipt: Clover charges but its
// answer is lost, so the customer sees "processing" and no receipt; the
// reconciler settles the payment later, and the receipt sweep mails the
// receipt once, in the language the customer paid in. Sweeping again, and
// reloading the page, mail nothing more; Close waits for sends in flight.
func TestPayPageReconciledPaymentGetsOneReceipt(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, func(c *Config) {
		c.CloverTimeout = 300 * time.Millisecond
		c.ReconcileInterval = 50 * time.Millisecond
	})
	mails := e.m.Outbox.Subscribe()
	link, inv := e.m.Sandbox.DemoPaymentURL, e.m.Sandbox.DemoInvoiceID
	_, html, _ := getPage(t, link+"?lang=fr-CA")
	f := formOf(t, html)
	tok := e.token("4242424242424242")
	e.synced(inv) // its order exists before Clover's answers get lost
	e.m.Sim.SetFaults(cloversim.Faults{TimeoutAfterCommitRate: 1})
	st, body := submit(t, link+"?lang=fr-CA", f, url.Values{"token": {tok}})
	e.m.Sim.SetFaults(cloversim.Faults{})
	if st != 200 || !strings.Contains(body, "en cours de traitement") {
		t.Fatalf("submit under lost answers = %d:\n%s", st, body)
	}
	select {
	case m := <-mails:
		t.Fatalf("mail before the payment settled: %+v", m)
	default:
	}
	var payID string
	eventually(t, 30*time.Second, "the reconciler settles the payment", func() bool {
		pays := e.must(200, "GET", "/v1/payments?invoice_id="+inv, nil)["data"].([]any)
		if len(pays) != 1 {
			return false
		}
		p := pays[0].(map[string]any)
		payID = p["id"].(string)
		return p["status"] == "succeeded"
	})
	ctx := context.Background()
	n, err := e.m.Web.SweepReceipts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("sweep sent %d receipts, want 1 (payment %s)", n, payID)
	}
	select {
	case m := <-mails:
		if m.Kind != "receipt" || m.To != "jordan.rivera@example.com" || !strings.Contains(m.Subject, "Reçu") || !strings.Contains(m.Text, "4242") {
			t.Fatalf("receipt %+v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no receipt mailed")
	}
	// Everything that could mail it again does not.
	if n, err := e.m.Web.SweepReceipts(ctx); err != nil || n != 0 {
		t.Fatalf("second sweep sent %d (%v), want 0", n, err)
	}
	if _, html, _ := getPage(t, link+"?lang=fr-CA"); !strings.Contains(html, `id="receipt"`) {
		t.Fatalf("link after reconciliation:\n%s", html)
	}
	if err := e.m.Web.Close(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-mails:
		t.Fatalf("a second mail: %+v", m)
	default:
	}
	if n := e.m.Sim.ChargeCount(e.m.Sim.Options().MerchantID); n != 1 {
		t.Fatalf("Clover charged %d times, want 1", n)
	}
}

// TestReceiptListsEachPayment: after a partial payment with a tip and the
// rest in full, in French, the receipt page and the second receipt mail
// (text and HTML) list both payments apart, each with its date, card,
// amount, tip and reference; the emailed link opens the page in French.
func TestReceiptListsEachPayment(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	mails := e.m.Outbox.Subscribe()
	inv, _ := e.choiceInvoice()
	sent := e.must(200, "POST", "/v1/invoices/"+inv+"/send", map[string]any{"locale": "fr-CA"})
	link := sent["url"].(string)
	if m := <-mails; !strings.HasSuffix(link, "?lang=fr-CA") || !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `href="`+link+`"`) {
		t.Fatalf("link %q, mail %+v", link, m)
	}
	_, html, _ := getPage(t, link) // no Accept-Language: the link alone says French
	if !strings.Contains(html, `<html lang="fr-CA">`) || !strings.Contains(html, "Montant dû") {
		t.Fatalf("the emailed link's page is not French:\n%s", html)
	}
	_, body := submit(t, link, formOf(t, html), url.Values{"token": {e.token(visaOK)}, "amount_choice": {"partial"}, "partial_amount": {"20,00"}, "tip": {"15"}, "total": {"2300"}})
	if !strings.Contains(body, "Payer le solde restant") {
		t.Fatalf("after the partial payment:\n%s", body)
	}
	<-mails
	_, html, _ = getPage(t, link)
	_, body = submit(t, link, formOf(t, html), url.Values{"token": {e.token("5555555555554444")}})
	pays := e.must(200, "GET", "/v1/payments?invoice_id="+inv, nil)["data"].([]any)
	if len(pays) != 2 {
		t.Fatalf("%d payments, want 2", len(pays))
	}
	var m = <-mails
	for _, part := range []struct{ name, text string }{{"page", body}, {"mail text", m.Text}, {"mail HTML", m.HTML}} {
		for _, want := range []string{"Paiement 1", "Paiement 2", "20,00\u00a0$\u00a0US", "3,00\u00a0$\u00a0US", "115,00\u00a0$\u00a0US", "4242", "4444", "Référence",
			pays[0].(map[string]any)["id"].(string), pays[1].(map[string]any)["id"].(string)} {
			if !strings.Contains(part.text, want) {
				t.Errorf("%s lacks %q:\n%s", part.name, want, part.text)
			}
		}
	}
	if strings.Count(body, `<section class="pmt"`) != 2 {
		t.Errorf("receipt page: want each payment in its own section:\n%s", body)
	}
}
