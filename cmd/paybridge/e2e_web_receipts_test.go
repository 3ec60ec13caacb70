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
