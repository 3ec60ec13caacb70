package main

import (
	"context"
	"flag"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/clover/cloversim"
)

// chaosCount sizes TestChaos: `go test ./cmd/paybridge -run TestChaos
// -chaos.count 3000` runs it longer.
var chaosCount = flag.Int("chaos.count", 300, "invoice payments in TestChaos")

// TestChaos pays invoices while Clover fails (10% 5xx, 5% timeout after
// commit, 5% 429) and the CRM's receiver fails half its requests. Every
// invoice ends paid exactly once, cloversim's ledger equals paybridge's
// payments, and every event reaches the receiver at least once.
func TestChaos(t *testing.T) {
	t.Parallel()
	n := *chaosCount
	e := startSandbox(t, fastWebhooks, func(c *Config) {
		c.CloverTimeout = 300 * time.Millisecond
		c.SandboxCloverInMemory = true // a state file's commits would outlast the 300 ms timeout on a loaded machine
		c.ReconcileInterval = 50 * time.Millisecond
	})
	var rmu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	rc := newReceiver(t, func(int) bool {
		rmu.Lock()
		defer rmu.Unlock()
		return rng.IntN(2) == 0
	})
	e.endpoint(rc)
	since := time.Now()
	invoices := make([]string, n)
	var cw sync.WaitGroup
	for w := range 8 {
		cw.Go(func() {
			for i := w; i < n; i += 8 {
				invoices[i] = e.invoice(nil)["id"].(string)
			}
		})
	}
	cw.Wait()
	t.Logf("%d invoices created in %s", n, time.Since(since).Round(time.Millisecond))
	start := time.Now()
	sim := e.m.Sim
	sim.SetFaults(cloversim.Faults{ErrorRate: 0.10, TimeoutAfterCommitRate: 0.05, RateLimitRate: 0.05})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute+time.Duration(n)*200*time.Millisecond)
	defer cancel()
	tokenize := func() string {
		for ctx.Err() == nil {
			tok, err := e.m.Clover.CreateToken(ctx, e.m.Sandbox.PAKMSKey, clover.TokenParams{Card: &clover.CardDetails{
				Number: visaOK, ExpMonth: "12", ExpYear: "2030", CVV: "123"}})
			if err == nil {
				return tok.ID
			}
		}
		return ""
	}
	attempts := make([]int, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				id := invoices[i]
				for ctx.Err() == nil {
					inv := e.must(200, "GET", "/v1/invoices/"+id, nil)
					if inv["status"] == "paid" {
						break
					}
					attempts[i]++
					st, out := e.call("POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": tokenize()})
					if st == 201 && out["status"] == "succeeded" {
						break
					}
					// unknown, in progress (409) or a 5xx: the reconciler
					// settles what is in flight; look again shortly.
					select {
					case <-ctx.Done():
					case <-time.After(100 * time.Millisecond):
					}
				}
			}
		})
	}
	for i := range invoices {
		next <- i
	}
	close(next)
	wg.Wait()
	sim.SetFaults(cloversim.Faults{})
	t.Logf("paid in %s", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if ctx.Err() != nil {
		t.Fatal("chaos run did not finish in time")
	}

	// Exactly once: each invoice paid with one succeeded payment, and
	// cloversim's ledger holds exactly paybridge's charges.
	mid := e.m.Sandbox.MerchantID
	eventually(t, time.Minute, "no payment in flight", func() bool {
		for _, s := range []paybridge.PaymentStatus{paybridge.PaymentPending, paybridge.PaymentUnknown} {
			if ps, _, _ := e.m.DB.ListPayments(ctx, mid, paybridge.PaymentFilter{Status: s, Limit: 1}); len(ps) > 0 {
				return false
			}
		}
		return true
	})
	paid := map[string]int64{} // clover charge id → amount
	perInvoice := map[string]int{}
	cursor := ""
	for {
		ps, next, err := e.m.DB.ListPayments(ctx, mid, paybridge.PaymentFilter{Status: paybridge.PaymentSucceeded, Cursor: cursor, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			paid[p.CloverChargeID] = p.Amount
			perInvoice[p.InvoiceID]++
		}
		if next == "" {
			break
		}
		cursor = next
	}
	for i, id := range invoices {
		inv, err := e.m.DB.GetInvoice(ctx, mid, id)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Status != paybridge.InvoicePaid || inv.AmountPaid != inv.Total || perInvoice[id] != 1 {
			t.Fatalf("invoice %d %s: %s, paid %d of %d, %d succeeded payments (%d attempts)",
				i, id, inv.Status, inv.AmountPaid, inv.Total, perInvoice[id], attempts[i])
		}
	}
	ledger := map[string]int64{}
	for _, le := range sim.Ledger(sim.Options().MerchantID) {
		if le.Kind == cloversim.KindCharge {
			if _, dup := ledger[le.ChargeID]; dup {
				t.Fatalf("charge %s twice in the ledger", le.ChargeID)
			}
			ledger[le.ChargeID] = le.Amount
		}
	}
	if len(ledger) != len(paid) {
		t.Fatalf("cloversim charged %d times, paybridge has %d succeeded payments", len(ledger), len(paid))
	}
	for ch, amt := range paid {
		if ledger[ch] != amt {
			t.Fatalf("charge %s: cloversim %d, paybridge %d", ch, ledger[ch], amt)
		}
	}

	// At least once: every event of the merchant reached the receiver.
	var ids []string
	cursor = ""
	for {
		evs, next, err := e.m.DB.ListEvents(ctx, mid, paybridge.EventFilter{Cursor: cursor, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if !ev.CreatedAt.Before(since) { // events before the endpoint existed go nowhere
				ids = append(ids, ev.ID)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	var missing []string
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ok := map[string]bool{}
		for _, d := range rc.deliveries() {
			if d.OK {
				ok[d.ID] = true
			}
		}
		missing = missing[:0]
		for _, id := range ids {
			if !ok[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			ev, _ := e.m.DB.GetEvent(ctx, mid, missing[0])
			t.Fatalf("%d of %d events never delivered, e.g. %+v", len(missing), len(ids), ev)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
	t.Logf("every event delivered %s later", time.Since(start).Round(time.Millisecond))
	failed := 0
	for _, d := range rc.deliveries() {
		if !d.OK {
			failed++
		}
	}
	t.Logf("%d invoices, %d payment attempts, %d events, %d deliveries (%d refused by the receiver)",
		n, sum(attempts), len(ids), len(rc.deliveries()), failed)
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}
