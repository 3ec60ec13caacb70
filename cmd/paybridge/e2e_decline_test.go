package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/clover/cloversim"
)

// TestDeclineThatTookMoney: Clover answers a charge or order pay that went
// through with a 402 decline (its automatic void failed, CLOVER.md §13.2).
// paybridge looks the charge up before believing it: on the API and the
// pay page the payer is charged once (one ledger movement), the invoice is
// paid and cannot be paid again; when the lookup fails the payment is
// unknown (never failed, so the payer cannot pay again meanwhile) until
// the reconciler finds the charge; a real decline still is a decline.
func TestDeclineThatTookMoney(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	mid := e.m.Sim.Options().MerchantID
	movements := func() int { n, _ := ledger(e); return n }

	{ // API, order pay and charge
		for _, extra := range []map[string]any{nil, {"allow_partial": true}} {
			inv := e.invoice(extra)
			id := inv["id"].(string)
			body := map[string]any{"source": e.token(visaOK)}
			if extra != nil {
				body["amount"] = num(inv, "total") - 100 // a partial payment: a charge, not the order pay
			}
			before := movements()
			e.m.Sim.SetFaults(cloversim.Faults{DeclinedButCapturedRate: 1})
			p := e.must(201, "POST", "/v1/invoices/"+id+"/payments", body)
			e.m.Sim.SetFaults(cloversim.Faults{})
			if p["status"] != "succeeded" || p["clover_charge_id"] == "" || movements() != before+1 {
				t.Fatalf("payment answered 402 that took money: %v, %d movements (was %d)", p, movements(), before)
			}
			got := e.must(200, "GET", "/v1/invoices/"+id, nil)
			if extra == nil && got["status"] != "paid" || extra != nil && num(got, "amount_paid") != num(p, "amount") {
				t.Fatalf("invoice after it: %v", got)
			}
		}
	}

	{ // pay page
		link := e.m.Sandbox.DemoPaymentURL
		_, page, _ := getPage(t, link)
		tok := e.token(visaOK)
		before := movements()
		e.m.Sim.SetFaults(cloversim.Faults{DeclinedButCapturedRate: 1})
		st, body := submit(t, link, formOf(t, page), url.Values{"token": {tok}})
		e.m.Sim.SetFaults(cloversim.Faults{})
		if st != 200 || !strings.Contains(body, `id="receipt"`) || strings.Contains(body, "declined") {
			t.Fatalf("pay page after a 402 that took money = %d:\n%s", st, body)
		}
		if movements() != before+1 {
			t.Fatalf("movements %d, want %d", movements(), before+1)
		}
		if got := e.must(200, "GET", "/v1/invoices/"+e.m.Sandbox.DemoInvoiceID, nil); got["status"] != "paid" {
			t.Fatalf("demo invoice: %v", got["status"])
		}
		st, body, _ = getPage(t, link)
		if strings.Contains(body, `id="pay"`) {
			t.Fatalf("the paid invoice's page still offers to pay (%d)", st)
		}
	}

	{ // lookup fails: unknown, then reconciled
		// A second service over the same database whose Clover client
		// cannot read charges: the 402 cannot be confirmed.
		o := e.m.Sim.Options()
		blind := billing.New(e.m.DB, clover.New(clover.Config{
			URLs:  e.m.Clover.URLs,
			AppID: o.AppID, ClientID: o.AppID, ClientSecret: o.ClientSecret,
			HTTPClient: &http.Client{Transport: noChargeReads{http.DefaultTransport}, Timeout: 10 * time.Second},
		}), e.m.Sealer)
		blind.ServerIP = "127.0.0.1"
		inv := e.invoice(nil)
		id := inv["id"].(string)
		tok := e.token(visaOK)
		before := movements()
		e.m.Sim.SetFaults(cloversim.Faults{DeclinedButCapturedRate: 1})
		p, err := blind.PayInvoice(context.Background(), billing.Caller{MerchantID: e.m.Sandbox.MerchantID, Actor: "api:test"}, id,
			billing.PayInput{Source: tok})
		e.m.Sim.SetFaults(cloversim.Faults{})
		if err != nil || p.Status != "unknown" {
			t.Fatalf("an unconfirmed 402: payment %+v, err %v; want unknown", p, err)
		}
		if st, out := e.call("POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)}); st != 409 {
			t.Fatalf("paying again while the 402 is unconfirmed = %d %v", st, out)
		}
		got := e.reconciled(p.ID)
		if got["status"] != "succeeded" || movements() != before+1 {
			t.Fatalf("reconciled: %v, %d movements (was %d)", got, movements(), before)
		}
		if got := e.must(200, "GET", "/v1/invoices/"+id, nil); got["status"] != "paid" {
			t.Fatalf("invoice: %v", got["status"])
		}
	}

	{ // a real decline is a decline
		id := e.invoice(nil)["id"].(string)
		before := movements()
		e.m.Sim.SetFaults(cloversim.Faults{DeclinedButCapturedRate: 1})
		st, out := e.call("POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaDecline)})
		e.m.Sim.SetFaults(cloversim.Faults{})
		if st != 402 || out["code"] != "card_declined" || movements() != before {
			t.Fatalf("decline = %d %v", st, out)
		}
		e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
	}
	if n := e.m.Sim.ChargeCount(mid); n == 0 {
		t.Fatal("no charges")
	}
}

// noChargeReads fails every GET of a charge: the network is down just
// for the lookup.
type noChargeReads struct{ next http.RoundTripper }

func (n noChargeReads) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/charges/") {
		return nil, errors.New("connection refused")
	}
	return n.next.RoundTrip(r)
}
