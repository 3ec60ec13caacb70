package main

import (
	"flag"
	"fmt"
	"net/http"
	"sync"
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
// timeout). Every payment
// request must answer 202 with the payment in flight (Clover's answer
// could not have come: the bound cut the calls short), a retry with the
// same key must answer 202 again, never 409; once Clover is back every
// payment converges to succeeded with one charge each, the retries get the
// final 201, and each payment.succeeded reaches the CRM's webhook.
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
	for _, p := range pays {
		wg.Go(func() {
			start := time.Now()
			st, out := e.call("POST", "/v1/invoices/"+p.inv+"/payments", map[string]any{"source": p.tok}, "Idempotency-Key", p.key)
			took := time.Since(start)
			mu.Lock()
			longest = max(longest, took)
			mu.Unlock()
			if st != http.StatusAccepted || (out["status"] != "pending" && out["status"] != "unknown") {
				t.Errorf("payment during the outage: %d %v", st, out)
				return
			}
			p.id = out["id"].(string)
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("longest payment request while Clover did not answer: %s (bound %s, Clover attempt timeout %s)",
		longest.Round(time.Millisecond), *outageWait, *outageTimeout)
	st, out := e.call("POST", "/v1/invoices/"+pays[0].inv+"/payments", map[string]any{"source": pays[0].tok}, "Idempotency-Key", pays[0].key)
	if st != http.StatusAccepted || out["id"] != pays[0].id {
		t.Fatalf("retry during the outage: %d %v", st, out)
	}

	e.m.Sim.SetFaults(cloversim.Faults{})
	back := time.Now()
	for _, p := range pays {
		eventually(t, 60*time.Second, "payment "+p.id+" succeeded", func() bool {
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
