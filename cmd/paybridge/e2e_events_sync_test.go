package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
)

// cloverGets counts the sandbox merchant's Clover GET calls so far, from
// the audit log (every Clover call is audited): syncs read, payments write.
func (e *sbx) cloverGets() map[string]int {
	e.t.Helper()
	e.m.Service.Audit.Flush()
	out := map[string]int{}
	cursor := ""
	for {
		es, next, err := e.m.DB.ListAudit(context.Background(), e.m.Sandbox.MerchantID, paybridge.AuditFilter{Cursor: cursor, Limit: 500})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, a := range es {
			if strings.HasPrefix(a.Action, "clover GET ") {
				out[strings.TrimPrefix(a.Action, "clover GET ")]++
			}
		}
		if next == "" {
			return out
		}
		cursor = next
	}
}

// since is the calls of now that base did not have.
func since(base, now map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range now {
		if v > base[k] {
			out[k] = v - base[k]
		}
	}
	return out
}

// waitCloverSynced waits until cloversim delivered a platform webhook
// naming each object id to paybridge and every Clover sync job is done
// (retries of deferred notices included).
func (e *sbx) waitCloverSynced(objectIDs ...string) {
	e.t.Helper()
	eventually(e.t, 30*time.Second, "Clover webhooks delivered for "+strings.Join(objectIDs, ","), func() bool {
		seen := map[string]bool{}
		for _, d := range e.m.Sim.WebhookDeliveries() {
			if d.Kind != "event" || d.Status != 200 {
				continue
			}
			var p struct {
				Merchants map[string][]struct {
					ObjectID string `json:"objectId"`
				} `json:"merchants"`
			}
			_ = json.Unmarshal(d.Body, &p)
			for _, evs := range p.Merchants {
				for _, ev := range evs {
					seen[ev.ObjectID] = true
				}
			}
		}
		for _, id := range objectIDs {
			if !seen[id] {
				return false
			}
		}
		return true
	})
	eventually(e.t, 60*time.Second, "Clover sync jobs done", func() bool {
		var n int
		err := e.m.DB.Writer().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM river_job
			WHERE kind = 'clover_sync' AND state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&n)
		return err == nil && n == 0
	})
}

// Paying invoices through paybridge costs no background Clover call: the
// charge's CREATE and the order's UPDATE that Clover sends back are about
// payments paybridge already has. A dashboard refund then costs exactly one
// (the refunds of that charge).
func TestOwnPaymentsCostNoCloverSync(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	const n = 4
	var invs []map[string]any
	for i := range n {
		invs = append(invs, e.invoice(map[string]any{"allow_partial": i == n-1}))
	}
	base := e.cloverGets() // invoices read the tax rates once
	var objects []string
	var charges []string
	for i, inv := range invs {
		body := map[string]any{"source": e.token(visaOK)}
		if i == n-1 {
			body["amount"] = 3000 // a charge, not the order's payment
		}
		pay := e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", body)
		charges = append(charges, pay["clover_charge_id"].(string))
		objects = append(objects, "P:"+pay["clover_charge_id"].(string))
		if i < n-1 {
			objects = append(objects, "O:"+inv["clover_order_id"].(string))
		}
	}
	e.waitCloverSynced(objects...)
	if got := since(base, e.cloverGets()); len(got) != 0 {
		t.Fatalf("background Clover calls after paying %d invoices: %v", n, got)
	}
	// Control: a refund on the dashboard is synced with one call.
	if _, err := e.m.Sim.DashboardRefund(e.m.Sim.Options().MerchantID, charges[0], 1000); err != nil {
		t.Fatal(err)
	}
	e.waitCloverSynced("P:" + charges[0])
	eventually(t, 30*time.Second, "dashboard refund recorded", func() bool {
		return len(e.must(200, "GET", "/v1/refunds?limit=10", nil)["data"].([]any)) == 1
	})
	e.waitCloverSynced()
	if got := since(base, e.cloverGets()); len(got) != 1 || got["/v1/refunds"] != 1 {
		t.Fatalf("Clover calls for one dashboard refund: %v, want one GET /v1/refunds", got)
	}
}

// An invoice's order paid on a device (outside paybridge) marks the
// invoice paid through an external payment, with events; replays and
// paybridge's own payments are never counted twice.
func TestDevicePaymentPaysInvoice(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	rc := newReceiver(t, nil)
	e.endpoint(rc)
	mid := e.m.Sim.Options().MerchantID
	inv := e.invoice(nil)
	id, order := inv["id"].(string), inv["clover_order_id"].(string)
	o, err := e.m.Sim.DashboardPayOrder(mid, order, "card")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "invoice paid", func() bool {
		return e.must(200, "GET", "/v1/invoices/"+id, nil)["status"] == "paid"
	})
	got := e.must(200, "GET", "/v1/invoices/"+id, nil)
	if num(got, "amount_paid") != num(inv, "total") || num(got, "amount_due") != 0 {
		t.Fatalf("invoice after the device payment = %v", got)
	}
	pays := e.must(200, "GET", "/v1/payments?invoice_id="+id, nil)["data"].([]any)
	if len(pays) != 1 {
		t.Fatalf("payments = %v", pays)
	}
	p := pays[0].(map[string]any)
	if p["method"] != "external" || p["status"] != "succeeded" || p["clover_charge_id"] != o.Charge ||
		num(p, "amount") != num(inv, "total") {
		t.Fatalf("external payment = %v", p)
	}
	rc.waitDelivered("invoice.paid", id)
	rc.waitDelivered("payment.succeeded", p["id"].(string))

	// Clover retries the notice, and sends it again with a new ts: still
	// one payment, and the second sync costs no Clover call.
	e.waitCloverSynced("O:" + order)
	before := e.cloverGets()
	if before["/v1/orders/{id}"] != 1 {
		t.Fatalf("Clover calls for one device payment: %v, want one GET /v1/orders/{id}", before)
	}
	for range 2 {
		e.postClover(e.m.Sim.Options().WebhookAuthCode, map[string]any{"appId": "x", "merchants": map[string]any{
			mid: []map[string]any{{"objectId": "O:" + order, "type": "UPDATE", "ts": time.Now().UnixMilli()}}}})
	}
	e.waitCloverSynced()
	if after := e.cloverGets(); after["/v1/orders/{id}"] != 1 {
		t.Fatalf("replayed order notice called Clover: %v", after)
	}
	if pays := e.must(200, "GET", "/v1/payments?invoice_id="+id, nil)["data"].([]any); len(pays) != 1 {
		t.Fatalf("payments after replays = %v", pays)
	}
	// Trying to charge the invoice again is refused; Clover charged once.
	e.must(409, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
	charges := 0
	for _, le := range e.m.Sim.Ledger(mid) {
		if le.ChargeID == o.Charge {
			charges++
		}
	}
	if charges != 1 {
		t.Fatalf("ledger entries of the device charge = %d", charges)
	}

	// An invoice paybridge paid itself: the order's notice (sent by
	// cloversim, and replayed) records nothing more.
	own := e.invoice(nil)
	pay := e.must(201, "POST", "/v1/invoices/"+own["id"].(string)+"/payments", map[string]any{"source": e.token(visaOK)})
	e.postClover(e.m.Sim.Options().WebhookAuthCode, map[string]any{"appId": "x", "merchants": map[string]any{
		mid: []map[string]any{{"objectId": "O:" + own["clover_order_id"].(string), "type": "UPDATE", "ts": time.Now().UnixMilli()}}}})
	e.waitCloverSynced("O:"+own["clover_order_id"].(string), "P:"+pay["clover_charge_id"].(string))
	if pays := e.must(200, "GET", "/v1/payments?invoice_id="+own["id"].(string), nil)["data"].([]any); len(pays) != 1 {
		t.Fatalf("payments of an invoice paybridge paid = %v", pays)
	}
	if after := e.cloverGets(); after["/v1/orders/{id}"] != 1 {
		t.Fatalf("paybridge's own order payment was fetched: %v", after)
	}
}
