package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/webhook"
)

// Every state change of a payment's life writes its event, each delivered
// signed to the CRM's endpoint with the object's version.
func TestEventsOfAnInvoiceLife(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	rc := newReceiver(t, nil)
	_, secret := e.endpoint(rc)

	inv := e.invoice(map[string]any{"allow_partial": true})
	id := inv["id"].(string)
	declined, _ := e.call("POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaDecline)})
	if declined != 402 {
		t.Fatalf("decline = %d", declined)
	}
	part := e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK), "amount": 3500})
	rest := e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
	e.must(201, "POST", "/v1/refunds", map[string]any{"payment_id": rest["id"], "amount": 1000})
	e.must(201, "POST", "/v1/refunds", map[string]any{"payment_id": part["id"]})

	want := []string{"invoice.created", "invoice.clover_synced", "invoice.partially_paid", "invoice.paid", "invoice.partially_refunded", "invoice.partially_refunded"}
	if got := e.eventTypes(id); !slices.Equal(got, want) {
		t.Fatalf("invoice events = %v, want %v", got, want)
	}
	if got := e.eventTypes(rest["id"].(string)); !slices.Equal(got, []string{"payment.succeeded", "payment.partially_refunded"}) {
		t.Fatalf("payment events = %v", got)
	}
	if got := e.eventTypes(part["id"].(string)); !slices.Equal(got, []string{"payment.succeeded", "payment.refunded"}) {
		t.Fatalf("payment events = %v", got)
	}
	if got := e.eventTypes(""); !slices.Contains(got, "payment.failed") || !slices.Contains(got, "refund.succeeded") {
		t.Fatalf("events = %v: no payment.failed or refund.succeeded", got)
	}

	// Filter by type; fetch one.
	page := e.must(200, "GET", "/v1/events?type=invoice.paid", nil)
	data := page["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("type filter: %d events", len(data))
	}
	ev := data[0].(map[string]any)
	one := e.must(200, "GET", "/v1/events/"+ev["id"].(string), nil)
	obj := one["data"].(map[string]any)
	if obj["status"] != "paid" || obj["id"] != id || num(obj, "amount_due") != 0 || num(one, "object_version") < 2 {
		t.Fatalf("invoice.paid event = %v", one)
	}
	if status, p := e.rawProblem("/v1/events?type=nonsense"); status != 400 || p["param"] != "type" {
		t.Fatalf("GET /v1/events?type=nonsense = %d %v, want 400 naming type", status, p)
	}
	e.must(404, "GET", "/v1/events/evt_nope", nil)

	// Delivered, signed (Standard Webhooks), versions growing.
	d := rc.waitDelivered("invoice.paid", id)
	if err := webhook.Verify(secret, d.ID, d.TS, d.Sig, d.Body, time.Now(), 5*time.Minute); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if d.ID != ev["id"] {
		t.Fatalf("webhook-id %s, want the event id %s", d.ID, ev["id"])
	}
	last := rc.waitDelivered("invoice.partially_refunded", id)
	var a, b paybridge.Event
	_ = json.Unmarshal(d.Body, &a)
	_ = json.Unmarshal(last.Body, &b)
	if b.ObjectVersion <= a.ObjectVersion {
		t.Fatalf("versions do not grow: paid %d, refunded %d", a.ObjectVersion, b.ObjectVersion)
	}
	rc.waitDelivered("payment.failed", "")
	rc.waitDelivered("refund.succeeded", "")
}

// An endpoint only gets the types it asked for.
func TestEndpointEventFilter(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	all, only := newReceiver(t, nil), newReceiver(t, nil)
	e.endpoint(all)
	e.endpoint(only, "invoice.paid")
	inv := e.invoice(nil)
	e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", map[string]any{"source": e.token(visaOK)})
	all.waitDelivered("invoice.paid", inv["id"].(string))
	only.waitDelivered("invoice.paid", inv["id"].(string))
	all.waitDelivered("payment.succeeded", "")
	for _, d := range only.deliveries() {
		if d.Type != "invoice.paid" {
			t.Fatalf("filtered endpoint got %s", d.Type)
		}
	}
	e.must(400, "POST", "/v1/webhook-endpoints", map[string]any{"url": only.srv.URL, "events": []string{"bogus.event"}})
	e.must(400, "POST", "/v1/webhook-endpoints", map[string]any{"url": "ftp://example.com/x"})
}

// The receiver is down for its first requests, then up: the event arrives.
func TestReceiverDownThenUpIsDelivered(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	rc := newReceiver(t, func(n int) bool { return n <= 4 })
	e.endpoint(rc, "invoice.paid")
	inv := e.invoice(nil)
	e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", map[string]any{"source": e.token(visaOK)})
	rc.waitDelivered("invoice.paid", inv["id"].(string))
	ds := rc.deliveries()
	if len(ds) != 5 || ds[0].OK || !ds[4].OK {
		t.Fatalf("deliveries: %d, want 4 failures then a success", len(ds))
	}
	for _, d := range ds {
		if d.ID != ds[0].ID || !bytes.Equal(d.Body, ds[0].Body) {
			t.Fatal("a retry changed the message id or body")
		}
	}
}

// Redelivery by hand sends the same event again.
func TestRedeliver(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	rc := newReceiver(t, nil)
	e.endpoint(rc, "invoice.paid")
	inv := e.invoice(nil)
	e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", map[string]any{"source": e.token(visaOK)})
	d := rc.waitDelivered("invoice.paid", inv["id"].(string))
	out := e.must(202, "POST", "/v1/events/"+d.ID+"/redeliver", nil)
	if num(out, "deliveries_queued") != 1 {
		t.Fatalf("redeliver = %v", out)
	}
	eventually(t, 10*time.Second, "second delivery", func() bool { return len(rc.deliveries()) == 2 })
	e.must(404, "POST", "/v1/events/evt_nope/redeliver", nil)
}

// After a rotation both secrets sign during the overlap; without overlap
// only the new one does.
func TestSecretRotationOverlap(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	rc := newReceiver(t, nil)
	we, oldSecret := e.endpoint(rc, "invoice.paid")
	rot := e.must(200, "POST", "/v1/webhook-endpoints/"+we+"/rotate-secret", map[string]any{"overlap_seconds": 3600})
	newSecret := rot["secret"].(string)
	if newSecret == oldSecret || !strings.HasPrefix(newSecret, "whsec_") {
		t.Fatalf("rotate = %v", rot)
	}
	got := e.must(200, "GET", "/v1/webhook-endpoints/"+we, nil)
	if _, leaked := got["secret"]; leaked {
		t.Fatal("GET shows the secret")
	}
	pay := func() delivery {
		inv := e.invoice(nil)
		e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", map[string]any{"source": e.token(visaOK)})
		return rc.waitDelivered("invoice.paid", inv["id"].(string))
	}
	d := pay()
	for _, s := range []string{oldSecret, newSecret} {
		if err := webhook.Verify(s, d.ID, d.TS, d.Sig, d.Body, time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("during the overlap a secret does not verify: %v", err)
		}
	}
	e.must(200, "POST", "/v1/webhook-endpoints/"+we+"/rotate-secret", map[string]any{"overlap_seconds": 0})
	list := e.must(200, "GET", "/v1/webhook-endpoints", nil)["data"].([]any)
	if len(list) != 1 {
		t.Fatalf("endpoints = %v", list)
	}
	d = pay()
	if n := len(strings.Fields(d.Sig)); n != 1 {
		t.Fatalf("after the overlap %d signatures", n)
	}
	if err := webhook.Verify(newSecret, d.ID, d.TS, d.Sig, d.Body, time.Now(), 5*time.Minute); err == nil {
		t.Fatal("the rotated-out secret still verifies after a zero-overlap rotation")
	}
	e.must(200, "DELETE", "/v1/webhook-endpoints/"+we, nil)
	e.must(404, "GET", "/v1/webhook-endpoints/"+we, nil)
}

// postClover sends a platform webhook as Clover would.
func (e *sbx) postClover(auth string, body any) (int, map[string]any) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.m.URL+"/webhooks/clover", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("X-Clover-Auth", auth)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// A refund made on the Clover dashboard reaches paybridge through the
// platform webhook: the invoice is updated and the CRM told.
func TestDashboardRefundUpdatesInvoice(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	rc := newReceiver(t, nil)
	e.endpoint(rc)
	inv := e.invoice(nil)
	id := inv["id"].(string)
	pay := e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
	if _, err := e.m.Sim.DashboardRefund(e.m.Sim.Options().MerchantID, pay["clover_charge_id"].(string), 4000); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "invoice refunded", func() bool {
		return num(e.must(200, "GET", "/v1/invoices/"+id, nil), "amount_refunded") == 4000
	})
	got := e.must(200, "GET", "/v1/invoices/"+id, nil)
	if got["status"] != "partially_refunded" {
		t.Fatalf("invoice = %v", got)
	}
	d := rc.waitDelivered("refund.succeeded", "")
	var ev paybridge.Event
	_ = json.Unmarshal(d.Body, &ev)
	var re paybridge.Refund
	_ = json.Unmarshal(ev.Data, &re)
	if re.Amount != 4000 || re.PaymentID != pay["id"] || re.CloverRefundID == "" {
		t.Fatalf("refund event = %s", d.Body)
	}
	rc.waitDelivered("invoice.partially_refunded", id)
	// Clover sends the notice again (its retry): still one refund.
	e.postClover(e.m.Sim.Options().WebhookAuthCode, map[string]any{"appId": "x", "merchants": map[string]any{
		e.m.Sim.Options().MerchantID: []map[string]any{{"objectId": "P:" + pay["clover_charge_id"].(string), "type": "UPDATE", "ts": time.Now().UnixMilli()}}}})
	refunds := e.must(200, "GET", "/v1/refunds?payment_id="+pay["id"].(string), nil)["data"].([]any)
	if len(refunds) != 1 {
		t.Fatalf("refunds = %v", refunds)
	}
}

// Clover's webhook endpoint: verification code stored, auth checked, a
// replay processed once, an app uninstall marks the merchant.
func TestCloverWebhookIn(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	ctx := context.Background()
	eventually(t, 10*time.Second, "verification code stored", func() bool {
		v, _ := e.m.DB.Setting(ctx, "clover_webhook_verification_code")
		return v != ""
	})
	auth := e.m.Sim.Options().WebhookAuthCode
	mid := e.m.Sim.Options().MerchantID
	body := map[string]any{"appId": e.m.Sim.Options().AppID, "merchants": map[string]any{
		mid: []map[string]any{{"objectId": "A:" + e.m.Sim.Options().AppID, "type": "DELETE", "ts": time.Now().Add(time.Second).UnixMilli()}}}}
	if st, _ := e.postClover("", body); st != 401 {
		t.Fatalf("no auth = %d", st)
	}
	if st, _ := e.postClover(auth+"x", body); st != 401 {
		t.Fatalf("wrong auth = %d", st)
	}
	st, out := e.postClover(auth, body)
	if st != 200 || num(out, "new_items") != 1 {
		t.Fatalf("first = %d %v", st, out)
	}
	st, out = e.postClover(auth, body)
	if st != 200 || num(out, "new_items") != 0 {
		t.Fatalf("replay = %d %v", st, out)
	}
	eventually(t, 30*time.Second, "merchant.reauthorization_required", func() bool {
		return slices.Contains(e.eventTypes(""), "merchant.reauthorization_required")
	})
	if n := strings.Count(strings.Join(e.eventTypes(""), ","), "merchant.reauthorization_required"); n != 1 {
		t.Fatalf("%d reauthorization events", n)
	}
	m, _ := e.m.DB.GetMerchant(ctx, e.m.Sandbox.MerchantID)
	if m.Status != paybridge.MerchantReauthorizationRequired {
		t.Fatalf("merchant status %s", m.Status)
	}
}
