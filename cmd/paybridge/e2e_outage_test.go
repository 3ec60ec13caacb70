package main

import (
	"flag"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover/cloversim"
)

// outageWait and outageTimeout size TestCloverOutageAnswersWithinBound:
// `go test ./cmd/paybridge -run TestCloverOutage -v -outage.wait 15s
// -outage.timeout 30s` measures the defaults.
var (
	outageWait    = flag.Duration("outage.wait", 2*time.Second, "PAYBRIDGE_PAYMENT_WAIT in TestCloverOutageAnswersWithinBound")
	outageTimeout = flag.Duration("outage.timeout", 10*time.Second, "PAYBRIDGE_CLOVER_TIMEOUT in TestCloverOutageAnswersWithinBound")
)

// TestCloverOutageAnswersWithinBound pays invoices while Clover does not
// answer (cloversim holds every request longer than paybridge's attempt
// timeout). Every payment request must answer within the bound: 202 with
// the payment in flight (Clover's answer could not have come: the bound
// cut the calls short), or 429 budget_exhausted when paybridge's own
// Clover budget is held by the calls Clover sits on (nothing sent, the
// payment failed). A retry with the same key must answer 202 again, never
// 409; once Clover is back every payment converges to succeeded with one
// charge each (the refused ones paid again with a new key), the retries
// get the final 201, and each payment.succeeded reaches the CRM's webhook.
func TestCloverOutageAnswersWithinBound(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks, func(c *Config) {
		c.PaymentWait = *outageWait
		c.CloverTimeout = *outageTimeout
		c.ReconcileInterval = 100 * time.Millisecond
	})
	rc := newReceiver(t, nil)
	e.endpoint(rc, "payment.succeeded")
	const n = 6
	type pay struct {
		inv, key, tok, id string
		amount            int64
	}
	pays := make([]*pay, n)
	for i := range pays {
		inv := e.invoice(map[string]any{"line_items": []map[string]any{{"description": "Visit", "quantity": 1, "unit_amount": 9100 + i}}})
		pays[i] = &pay{inv: inv["id"].(string), key: fmt.Sprintf("outage-%d", i), tok: e.token(visaOK), amount: int64(9100 + i)}
	}
	// Clover holds each request past paybridge's attempt timeout (and
	// counts it in flight all along, as a server whose client has gone
	// does: cloversim's concurrency limit then answers 429 too). Without
	// the bound one request would take four attempts of 10 s: the test
	// client gives up after 30 s.
	e.m.Sim.SetFaults(cloversim.Faults{LatencyP50: *outageTimeout + 2*time.Second})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var longest time.Duration
	var refused atomic.Int32
	for _, p := range pays {
		wg.Go(func() {
			start := time.Now()
			st, out := e.call("POST", "/v1/invoices/"+p.inv+"/payments", map[string]any{"source": p.tok}, "Idempotency-Key", p.key)
			took := time.Since(start)
			mu.Lock()
			longest = max(longest, took)
			mu.Unlock()
			switch {
			case st == http.StatusTooManyRequests && out["code"] == "budget_exhausted" && out["payment_status"] == "failed":
				// Refused before anything was sent: paybridge's budget was
				// held by the calls Clover sits on. Definite, and in time.
				refused.Add(1)
			case st == http.StatusAccepted && (out["status"] == "pending" || out["status"] == "unknown"):
				p.id = out["id"].(string)
			default:
				t.Errorf("payment during the outage: %d %v", st, out)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("longest payment request while Clover did not answer: %s (bound %s, Clover attempt timeout %s; %d of %d refused 429 budget_exhausted)",
		longest.Round(time.Millisecond), *outageWait, *outageTimeout, refused.Load(), n)
	var first *pay
	for _, p := range pays {
		if p.id != "" && first == nil {
			first = p
		}
	}
	if first == nil {
		t.Fatal("every payment was refused; none is processing")
	}
	st, out := e.call("POST", "/v1/invoices/"+first.inv+"/payments", map[string]any{"source": first.tok}, "Idempotency-Key", first.key)
	if st != http.StatusAccepted || out["id"] != first.id {
		t.Fatalf("retry during the outage: %d %v", st, out)
	}

	e.m.Sim.SetFaults(cloversim.Faults{})
	back := time.Now()
	for _, p := range pays {
		if p.id == "" { // refused during the outage: the CRM pays again, with a new key
			p.key, p.tok = p.key+"-again", e.token(visaOK)
			out := e.must(201, "POST", "/v1/invoices/"+p.inv+"/payments", map[string]any{"source": p.tok}, "Idempotency-Key", p.key)
			p.id = out["id"].(string)
		}
		eventually(t, 90*time.Second, "payment "+p.id+" succeeded", func() bool {
			return e.must(200, "GET", "/v1/payments/"+p.id, nil)["status"] == "succeeded"
		})
		st, out := e.call("POST", "/v1/invoices/"+p.inv+"/payments", map[string]any{"source": p.tok}, "Idempotency-Key", p.key)
		if st != http.StatusCreated || out["id"] != p.id || out["status"] != "succeeded" {
			t.Fatalf("retry after the outage: %d %v", st, out)
		}
		charges := 0
		for _, le := range e.m.Sim.Ledger("") {
			if le.Kind == cloversim.KindCharge && le.Amount == p.amount {
				charges++
			}
		}
		if charges != 1 {
			t.Fatalf("invoice %s charged %d times", p.inv, charges)
		}
		rc.waitDelivered("payment.succeeded", p.id)
	}
	t.Logf("all %d payments settled and delivered %s after Clover came back", n, time.Since(back).Round(time.Millisecond))
}
