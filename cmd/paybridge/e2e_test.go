package main

import (
	"context"
	"github.com/paybridge/paybridge"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover/cloversim"
)

func TestSandboxBootstrap(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	s := e.m.Sandbox
	for name, v := range map[string]string{"api_url": s.APIURL, "api_key": s.APIKey, "merchant_id": s.MerchantID,
		"clover_url": s.CloverURL, "pakms_key": s.PAKMSKey, "demo_invoice_id": s.DemoInvoiceID, "platform_secret": s.PlatformSecret} {
		if v == "" {
			t.Errorf("sandbox.json %s is empty", name)
		}
	}
	inv := e.synced(s.DemoInvoiceID) // its order is made by a job, started with the jobs
	if inv["status"] != "open" || inv["clover_order_id"] == nil || num(inv, "amount_due") != num(inv, "total") {
		t.Fatalf("demo invoice is not open and payable: %v", inv)
	}
	e.must(200, "GET", "/healthz", nil)
	e.must(200, "GET", "/readyz", nil)
}

// TestInvoiceLifecycle: customer → invoice → pay with a tokenized card →
// partial refund → item return, with Clover's ledger as the witness.
func TestInvoiceLifecycle(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, tweak func(*Config)) {
		e := startSandbox(t, tweak)
		inv := e.invoice(nil)
		id := inv["id"].(string)
		if num(inv, "subtotal") != 12500 || num(inv, "tax_amount") != 1000 || num(inv, "total") != 13500 {
			t.Fatalf("totals: %v", inv)
		}
		pay := e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
		if pay["status"] != "succeeded" || num(pay, "amount") != 13500 || pay["clover_charge_id"] == "" {
			t.Fatalf("payment: %v", pay)
		}
		if card, _ := pay["card"].(map[string]any); card["last4"] != "4242" || card["brand"] != "VISA" {
			t.Fatalf("card summary: %v", pay["card"])
		}
		inv = e.must(200, "GET", "/v1/invoices/"+id, nil)
		if inv["status"] != "paid" || num(inv, "amount_due") != 0 || num(inv, "amount_paid") != 13500 {
			t.Fatalf("after payment: %v", inv)
		}
		// Paying a paid invoice is refused, and Clover is not called again.
		e.must(409, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})

		re := e.must(201, "POST", "/v1/refunds", map[string]any{"payment_id": pay["id"], "amount": 1000, "reason": "requested_by_customer"})
		if re["status"] != "succeeded" || num(re, "amount") != 1000 {
			t.Fatalf("refund: %v", re)
		}
		line := inv["line_items"].([]any)[1].(map[string]any) // the 2500 trip charge, untaxed
		ret := e.must(201, "POST", "/v1/invoices/"+id+"/returns", map[string]any{"items": []map[string]any{{"line_item_id": line["id"]}}})
		if ret["status"] != "succeeded" || num(ret, "amount") != 2500 {
			t.Fatalf("return: %v", ret)
		}
		inv = e.must(200, "GET", "/v1/invoices/"+id, nil)
		if num(inv, "amount_refunded") != 3500 || num(inv, "amount_returned") != 2500 || inv["status"] != "partially_refunded" {
			t.Fatalf("after refund and return: %v", inv)
		}
		if q := num(inv["line_items"].([]any)[1].(map[string]any), "quantity_returned"); q != 1 {
			t.Fatalf("quantity_returned = %d", q)
		}
		// Over-refund: only 13500-3500 = 10000 remain on the payment at most.
		e.must(400, "POST", "/v1/refunds", map[string]any{"payment_id": pay["id"], "amount": 13500})

		charges, refunded := ledger(e)
		if charges != 1 || refunded != 3500 {
			t.Fatalf("Clover ledger: %d charges, %d refunded; want 1 and 3500", charges, refunded)
		}

		// The audit log holds every Clover call and every money-moving request.
		e.m.Service.Audit.Flush()
		actions := map[string]int{}
		for _, it := range e.must(200, "GET", "/v1/audit-log?limit=100", nil)["data"].([]any) {
			actions[it.(map[string]any)["action"].(string)]++
		}
		for _, a := range []string{"clover POST /v1/orders", "clover POST /v1/orders/{id}/pay", "clover POST /v1/refunds",
			"clover POST /v1/orders/{id}/returns", "api POST /v1/invoices/{id}/payments", "api POST /v1/refunds",
			"api POST /v1/invoices/{id}/returns"} {
			if actions[a] == 0 {
				t.Errorf("audit log has no %q entry: %v", a, actions)
			}
		}
	})
}

func TestDeclineThenPay(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	id := e.invoice(nil)["id"].(string)
	st, out := e.call("POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaDecline)})
	if st != 402 || out["code"] != "card_declined" || out["payment_id"] == nil {
		t.Fatalf("decline = %d %v", st, out)
	}
	p := e.must(200, "GET", "/v1/payments/"+out["payment_id"].(string), nil)
	if p["status"] != "failed" || p["failure_code"] != "card_declined" {
		t.Fatalf("declined payment: %v", p)
	}
	if inv := e.must(200, "GET", "/v1/invoices/"+id, nil); inv["status"] != "open" {
		t.Fatalf("invoice after decline: %v", inv)
	}
	e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
}

func TestTipIsSeparateFromAmount(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	id := e.invoice(map[string]any{"allow_tip": true})["id"].(string)
	p := e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK), "tip_amount": 2000})
	if num(p, "amount") != 13500 || num(p, "tip_amount") != 2000 {
		t.Fatalf("payment: %v", p)
	}
	inv := e.must(200, "GET", "/v1/invoices/"+id, nil)
	if inv["status"] != "paid" || num(inv, "tip_paid") != 2000 || num(inv, "amount_paid") != 13500 {
		t.Fatalf("invoice: %v", inv)
	}
	entries := e.m.Sim.Ledger(e.m.Sim.Options().MerchantID)
	if len(entries) != 1 || entries[0].TipAmount != 2000 {
		t.Fatalf("ledger: %+v", entries)
	}
	// An invoice without tips refuses one.
	id2 := e.invoice(nil)["id"].(string)
	_, out := e.call("POST", "/v1/invoices/"+id2+"/payments", map[string]any{"source": e.token(visaOK), "tip_amount": 100})
	if out["code"] != "tip_not_allowed" {
		t.Fatalf("tip on a no-tip invoice: %v", out)
	}
}

func TestPartialPayments(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	id := e.invoice(map[string]any{"allow_partial": true, "minimum_partial_amount": 3000})["id"].(string)
	_, out := e.call("POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK), "amount": 2999})
	if out["code"] != "amount_too_small" {
		t.Fatalf("below minimum: %v", out)
	}
	e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK), "amount": 5000})
	inv := e.must(200, "GET", "/v1/invoices/"+id, nil)
	if inv["status"] != "partially_paid" || num(inv, "amount_due") != 8500 {
		t.Fatalf("after deposit: %v", inv)
	}
	_, out = e.call("POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK), "amount": 9000})
	if out["code"] != "amount_too_large" {
		t.Fatalf("over the amount due: %v", out)
	}
	e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
	if inv = e.must(200, "GET", "/v1/invoices/"+id, nil); inv["status"] != "paid" || num(inv, "amount_paid") != 13500 {
		t.Fatalf("after balance: %v", inv)
	}
	if charges, _ := ledger(e); charges != 2 {
		t.Fatalf("ledger charges = %d, want 2", charges)
	}
}

func TestCashTender(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	id := e.invoice(nil)["id"].(string)
	p := e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"tender": "cash"})
	if p["status"] != "succeeded" || p["method"] != "cash" {
		t.Fatalf("cash: %v", p)
	}
	if inv := e.must(200, "GET", "/v1/invoices/"+id, nil); inv["status"] != "paid" {
		t.Fatalf("invoice: %v", inv)
	}
}

func TestAuthorizeCaptureVoid(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	p := e.must(201, "POST", "/v1/payments", map[string]any{"amount": 10000, "currency": "usd", "source": e.token(visaOK), "capture": false})
	if p["status"] != "authorized" || num(p, "amount_captured") != 0 {
		t.Fatalf("auth: %v", p)
	}
	if _, out := e.call("POST", "/v1/refunds", map[string]any{"payment_id": p["id"]}); out["code"] != "payment_not_refundable" {
		t.Fatalf("refund of an authorization: %v", out)
	}
	c := e.must(200, "POST", "/v1/payments/"+p["id"].(string)+"/capture", map[string]any{"amount": 7500})
	if c["status"] != "captured" || num(c, "amount_captured") != 7500 {
		t.Fatalf("capture: %v", c)
	}
	e.must(409, "POST", "/v1/payments/"+p["id"].(string)+"/capture", nil)

	v := e.must(201, "POST", "/v1/payments", map[string]any{"amount": 4000, "currency": "usd", "source": e.token(visaOK), "capture": false})
	if got := e.must(200, "POST", "/v1/payments/"+v["id"].(string)+"/void", nil); got["status"] != "voided" {
		t.Fatalf("void: %v", got)
	}
}

// TestConcurrentPaymentsChargeOnce: 50 attempts at once on one invoice,
// each with its own card token: exactly one charge reaches Clover.
func TestConcurrentPaymentsChargeOnce(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, tweak func(*Config)) {
		e := startSandbox(t, tweak)
		id := e.invoice(nil)["id"].(string)
		const n = 50
		tokens := make([]string, n)
		for i := range tokens {
			tokens[i] = e.token(visaOK)
		}
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Go(func() {
				statuses[i], _ = e.call("POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": tokens[i]})
			})
		}
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			switch s {
			case 201:
				ok++
			case 409:
			default:
				t.Errorf("unexpected status %d", s)
			}
		}
		if ok != 1 {
			t.Fatalf("%d payments succeeded, want exactly 1 (%v)", ok, statuses)
		}
		if got := e.m.Sim.ChargeCount(e.m.Sim.Options().MerchantID); got != 1 {
			t.Fatalf("Clover charges = %d, want 1", got)
		}
		if inv := e.must(200, "GET", "/v1/invoices/"+id, nil); inv["status"] != "paid" || num(inv, "amount_paid") != 13500 {
			t.Fatalf("invoice: %v", inv)
		}
	})
}

// TestTimeoutAfterCommitIsReconciled: Clover charges but its answer never
// arrives, on every retry → unknown; the reconciler repeats the request with
// the same key → succeeded, and Clover charged exactly once.
func TestTimeoutAfterCommitIsReconciled(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, tweak func(*Config)) {
		e := startSandbox(t, tweak, func(c *Config) {
			c.CloverTimeout = 300 * time.Millisecond
			c.ReconcileInterval = 50 * time.Millisecond
		})
		id := e.invoice(nil)["id"].(string)
		e.m.Sim.SetFaults(cloversim.Faults{TimeoutAfterCommitRate: 1})
		// Processing: 202 with the payment unknown, settled in the background.
		p := e.must(202, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
		if p["status"] != "unknown" {
			t.Fatalf("payment under timeout-after-commit: %v", p)
		}
		// While unknown, the invoice cannot be paid a second time.
		st, out := e.call("POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
		if st != 409 || out["code"] != "payment_in_progress" {
			t.Fatalf("second attempt while unknown = %d %v", st, out)
		}
		e.m.Sim.SetFaults(cloversim.Faults{})
		// The running reconciler repeats the request once the attempt is due.
		deadline := time.Now().Add(20 * time.Second)
		for {
			got := e.must(200, "GET", "/v1/payments/"+p["id"].(string), nil)
			if got["status"] == "succeeded" {
				break
			}
			if got["status"] != "unknown" || time.Now().After(deadline) {
				t.Fatalf("after reconciliation: %v", got)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if inv := e.must(200, "GET", "/v1/invoices/"+id, nil); inv["status"] != "paid" {
			t.Fatalf("invoice: %v", inv)
		}
		if n := e.m.Sim.ChargeCount(e.m.Sim.Options().MerchantID); n != 1 {
			t.Fatalf("Clover charged %d times, want 1", n)
		}
	})
}

// TestTenantIsolation: merchant B's key gets 404 for every one of A's ids,
// on every route, and changes nothing.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, tweak func(*Config)) {
		e := startSandbox(t, tweak)
		_, keyB, err := e.m.AddSandboxMerchant(context.Background(), "Other Co.")
		if err != nil {
			t.Fatal(err)
		}
		inv := e.invoice(nil)
		id := inv["id"].(string)
		pay := e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
		re := e.must(201, "POST", "/v1/refunds", map[string]any{"payment_id": pay["id"], "amount": 100})
		auth := e.must(201, "POST", "/v1/payments", map[string]any{"amount": 500, "currency": "usd", "source": e.token(visaOK), "capture": false})
		cus := inv["customer_id"].(string)
		line := inv["line_items"].([]any)[0].(map[string]any)["id"]
		for _, rt := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/v1/customers/" + cus, nil},
			{"POST", "/v1/customers/" + cus, map[string]any{"name": "x"}},
			{"GET", "/v1/invoices/" + id, nil},
			{"POST", "/v1/invoices/" + id + "/void", nil},
			{"POST", "/v1/invoices/" + id + "/payments", map[string]any{"tender": "cash"}},
			{"POST", "/v1/invoices/" + id + "/returns", map[string]any{"items": []map[string]any{{"line_item_id": line}}}},
			{"GET", "/v1/invoices/" + id + "/returns", nil},
			{"GET", "/v1/payments/" + pay["id"].(string), nil},
			{"POST", "/v1/payments/" + auth["id"].(string) + "/capture", nil},
			{"POST", "/v1/payments/" + auth["id"].(string) + "/void", nil},
			{"GET", "/v1/refunds/" + re["id"].(string), nil},
		} {
			if st, out := e.callAs(keyB, rt.method, rt.path, rt.body); st != 404 {
				t.Errorf("%s %s with B's key = %d %v, want 404", rt.method, rt.path, st, out)
			}
		}
		// Creating with A's ids is refused as a bad reference, not a leak.
		for _, rt := range []struct {
			path string
			body any
		}{
			{"/v1/invoices", map[string]any{"customer_id": cus, "currency": "usd", "line_items": []map[string]any{{"description": "x", "quantity": 1, "unit_amount": 100}}}},
			{"/v1/refunds", map[string]any{"payment_id": pay["id"]}},
			{"/v1/payments", map[string]any{"amount": 500, "currency": "usd", "source": e.token(visaOK), "customer_id": cus}},
		} {
			if st, out := e.callAs(keyB, "POST", rt.path, rt.body); st != 400 || out["code"] != "resource_missing" {
				t.Errorf("POST %s with A's ids as B = %d %v, want 400 resource_missing", rt.path, st, out)
			}
		}
		for _, path := range []string{"/v1/invoices", "/v1/payments", "/v1/refunds", "/v1/customers"} {
			_, out := e.callAs(keyB, "GET", path, nil)
			if data, _ := out["data"].([]any); len(data) != 0 {
				t.Errorf("B lists %d objects at %s", len(data), path)
			}
		}
		// B's audit log holds only B's own refused API attempts (and B's own
		// background Clover calls).
		e.m.Service.Audit.Flush()
		_, out := e.callAs(keyB, "GET", "/v1/audit-log", nil)
		for _, it := range out["data"].([]any) {
			en := it.(map[string]any)
			if strings.HasPrefix(en["action"].(string), "api ") && !strings.HasPrefix(en["outcome"].(string), "4") {
				t.Errorf("B's audit log shows a successful API operation: %v", it)
			}
		}
		// A's payment is untouched.
		if got := e.must(200, "GET", "/v1/payments/"+auth["id"].(string), nil); got["status"] != "authorized" {
			t.Fatalf("A's authorization changed: %v", got)
		}
	})
}

// ledger returns Clover's count of charges and total refunded for the demo
// merchant, from cloversim's ledger.
func ledger(e *sbx) (charges int, refunded int64) {
	for _, le := range e.m.Sim.Ledger(e.m.Sim.Options().MerchantID) {
		switch le.Kind {
		case "charge":
			charges++
		case "refund":
			refunded += le.Amount
		}
	}
	return
}

// TestClientGivingUpLeavesNoPendingPayment: a CRM whose request times out
// while Clover is slow must not leave the payment pending (the reconciler
// would complete it minutes later, after the CRM saw a failure): the
// payment finishes and is recorded definite, charged exactly once.
func TestClientGivingUpLeavesNoPendingPayment(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	id := e.invoice(nil)["id"].(string)
	tok := e.token(visaOK)
	e.m.Sim.SetFaults(cloversim.Faults{LatencyP50: 400 * time.Millisecond, LatencyP99: 500 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.m.URL+"/v1/invoices/"+id+"/payments", strings.NewReader(`{"source":"`+tok+`"}`))
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the request was meant to time out, got %d", resp.StatusCode)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		list := e.must(200, "GET", "/v1/payments?invoice_id="+id, nil)["data"].([]any)
		if len(list) == 1 && list[0].(map[string]any)["status"] == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("payments after the CRM gave up: %v", list)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := e.m.Sim.ChargeCount(e.m.Sim.Options().MerchantID); n != 1 {
		t.Fatalf("Clover charges = %d, want 1", n)
	}
	if inv := e.must(200, "GET", "/v1/invoices/"+id, nil); inv["status"] != "paid" {
		t.Fatalf("invoice: %v", inv)
	}
}

// TestReconcileNeverFailsOnARefusedRepeat: repeating an unknown payment's
// request, a refusal of the repeat (here Clover's 429s) says nothing about
// the first try, which may have charged: the payment stays unknown, never
// failed, and settles once Clover answers — with one charge.
func TestReconcileNeverFailsOnARefusedRepeat(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, func(c *Config) { c.CloverTimeout = 300 * time.Millisecond })
	ctx := context.Background()
	id := e.invoice(nil)["id"].(string)
	e.m.Sim.SetFaults(cloversim.Faults{TimeoutAfterCommitRate: 1})
	p := e.must(202, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
	if p["status"] != "unknown" {
		t.Fatalf("payment: %v", p)
	}
	mid := e.m.Sandbox.MerchantID
	e.m.Sim.SetFaults(cloversim.Faults{RateLimitRate: 1})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := e.m.Service.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := e.m.DB.GetPayment(ctx, mid, p["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "unknown" {
			t.Fatalf("a refused repeat settled the payment as %s", got.Status)
		}
		if got.Attempts >= 2 {
			break // the repeat was made, refused, and the payment is still unknown
		}
		if time.Now().After(deadline) {
			t.Fatal("the reconciler never repeated the payment")
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.m.Sim.SetFaults(cloversim.Faults{})
	for {
		if _, err := e.m.Service.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.m.DB.GetPayment(ctx, mid, p["id"].(string)); got.Status == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not reconciled once Clover answered")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := e.m.Sim.ChargeCount(e.m.Sim.Options().MerchantID); n != 1 {
		t.Fatalf("Clover charges = %d, want 1", n)
	}
}

// TestReconcileFinishesARecordedHostedPayment: a hosted-checkout payment
// recorded from Clover's signed webhook but not yet settled when the
// process died is finished by the reconciler, never re-sent to Clover (it
// has no source to charge) and never left holding the invoice.
func TestReconcileFinishesARecordedHostedPayment(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	ctx := context.Background()
	inv := e.invoice(nil)
	stale := time.Now().Add(-time.Hour).UTC()
	p := &paybridge.Payment{
		ID: paybridge.NewID(paybridge.PrefixPayment), MerchantID: e.m.Sandbox.MerchantID, InvoiceID: inv["id"].(string),
		CustomerID: inv["customer_id"].(string), Status: paybridge.PaymentPending, Method: paybridge.MethodHosted,
		Route: paybridge.RouteCharge, Amount: num(inv, "total"), Currency: "usd", Capture: true,
		CloverChargeID: "HCOCHARGE0001", IdempotencyKey: "hco-HCOCHARGE0001", CreatedAt: stale, UpdatedAt: stale,
	}
	if err := e.m.DB.CreatePayment(ctx, p); err != nil {
		t.Fatal(err)
	}
	charges := e.m.Sim.ChargeCount(e.m.Sim.Options().MerchantID)
	if _, err := e.m.Service.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := e.m.DB.GetPayment(ctx, p.MerchantID, p.ID)
	if err != nil || got.Status != paybridge.PaymentSucceeded {
		t.Fatalf("payment after reconcile: %+v, %v", got, err)
	}
	if st := e.must(200, "GET", "/v1/invoices/"+p.InvoiceID, nil)["status"]; st != "paid" {
		t.Fatalf("invoice %v", st)
	}
	if n := e.m.Sim.ChargeCount(e.m.Sim.Options().MerchantID); n != charges {
		t.Fatalf("the reconciler charged at Clover: %d charges, was %d", n, charges)
	}
}
