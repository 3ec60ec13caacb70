package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestKill9AtEachPhase kills paybridge (a real child process, SIGKILL) at
// each recovery point of an invoice payment and of an invoice creation,
// both made with an Idempotency-Key, then starts it again and retries the
// same request with the same key. The retry must get the final answer
// within seconds of the restart (never 409 for good), the payment must be
// charged exactly once in cloversim's ledger, and a payment left pending
// by the dead process must be settled by the restarted one before anyone
// retries (the start-up recovery, by lease).
func TestKill9AtEachPhase(t *testing.T) {
	t.Parallel()
	r := startCrashRig(t, "", nil)
	setup := r.start("", nil)
	phases := []string{haltKeyStarted, haltCloverSending, haltCloverAnswer, haltAnswering}
	invoices := make([]string, len(phases))
	for i := range phases {
		invoices[i] = r.invoice(setup, 7100+i)
	}
	setup.kill()

	for i, phase := range phases {
		t.Run("payment/"+phase, func(t *testing.T) {
			r := r.with(t)
			amount := int64(7100 + i)
			path := "/v1/invoices/" + invoices[i] + "/payments"
			body := map[string]any{"source": r.token()}
			key := "crash-pay-" + phase
			first := r.start(phase, nil)
			answered := make(chan int, 1)
			go func() {
				st, _, _ := r.post(first.URL, path, key, body)
				answered <- st
			}()
			r.waitHalted(phase)
			first.kill()
			if st := <-answered; st != 0 {
				t.Fatalf("the halted request was answered %d", st)
			}

			second := r.start("", nil)
			if phase != haltKeyStarted {
				// Nobody retries yet: the restarted process settles the
				// payment the dead one left in flight.
				eventually(t, 20*time.Second, "the orphaned payment settled", func() bool {
					_, out, err := r.get(second.URL, "/v1/payments?invoice_id="+invoices[i])
					if err != nil {
						return false
					}
					data, _ := out["data"].([]any)
					return len(data) == 1 && data[0].(map[string]any)["status"] == "succeeded"
				})
			}
			st, out, took := r.final(second.URL, path, key, body, second.Started)
			if st != http.StatusCreated || out["status"] != "succeeded" {
				t.Fatalf("retry after the restart: %d %v", st, out)
			}
			t.Logf("kill at %s: final answer %s after the restart began", phase, took.Round(time.Millisecond))
			if n := r.charges(amount); n != 1 {
				t.Fatalf("cloversim charged %d times", n)
			}
			st, list, err := r.get(second.URL, "/v1/payments?invoice_id="+invoices[i])
			if data, _ := list["data"].([]any); err != nil || st != 200 || len(data) != 1 || data[0].(map[string]any)["id"] != out["id"] {
				t.Fatalf("payments of the invoice: %d %v %v", st, list, err)
			}
			// The stored answer is replayed from now on.
			st2, again, _ := r.post(second.URL, path, key, body)
			if st2 != http.StatusCreated || again["id"] != out["id"] {
				t.Fatalf("replay: %d %v", st2, again)
			}
			second.kill()
		})
	}

	for _, phase := range []string{haltKeyStarted, haltAnswering} {
		t.Run("invoice/"+phase, func(t *testing.T) {
			r := r.with(t)
			key := "crash-inv-" + phase
			body := r.invoiceBody(8800)
			first := r.start(phase, nil)
			go func() { _, _, _ = r.post(first.URL, "/v1/invoices", key, body) }()
			r.waitHalted(phase)
			first.kill()
			second := r.start("", nil)
			defer second.kill()
			st, out, took := r.final(second.URL, "/v1/invoices", key, body, second.Started)
			if st != http.StatusCreated || out["status"] != "open" {
				t.Fatalf("retry after the restart: %d %v", st, out)
			}
			t.Logf("kill at %s: final answer %s after the restart began", phase, took.Round(time.Millisecond))
			n := 0
			for cursor := ""; ; {
				_, list, err := r.get(second.URL, "/v1/invoices?limit=100"+cursor)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range list["data"].([]any) {
					if v.(map[string]any)["total"] == float64(8800) {
						n++
					}
				}
				if list["has_more"] != true {
					break
				}
				cursor = fmt.Sprintf("&cursor=%v", list["next_cursor"])
			}
			if want := map[string]int{haltKeyStarted: 1, haltAnswering: 2}[phase]; n != want {
				// Both subtests create an 8800 invoice: one so far after
				// the first, two after the second.
				t.Fatalf("%d invoices of 8800, want %d", n, want)
			}
		})
	}
}

// TestKill9RecoveredByAnotherInstance kills paybridge after Clover charged
// but before paybridge recorded it, and starts an instance in another slot
// (another host, say): it may not assume the dead process is gone until
// that process's lease runs out, then it settles the payment and answers
// the retried key. Exactly one charge.
func TestKill9RecoveredByAnotherInstance(t *testing.T) {
	t.Parallel()
	r := startCrashRig(t, "", nil)
	setup := r.start("", nil)
	inv := r.invoice(setup, 6600)
	setup.kill()
	path := "/v1/invoices/" + inv + "/payments"
	body := map[string]any{"source": r.token()}
	first := r.start(haltCloverAnswer, nil)
	go func() { _, _, _ = r.post(first.URL, path, "crash-other", body) }()
	r.waitHalted(haltCloverAnswer)
	first.kill()
	killed := time.Now()
	other := r.start("", func(c *Config) { c.InstanceName = "another-host" })
	st, out, took := r.final(other.URL, path, "crash-other", body, killed)
	if st != http.StatusCreated || out["status"] != "succeeded" {
		t.Fatalf("retry on another instance: %d %v", st, out)
	}
	t.Logf("final answer %s after the kill (lease %s)", took.Round(time.Millisecond), r.cfg.InstanceLease)
	if n := r.charges(6600); n != 1 {
		t.Fatalf("cloversim charged %d times", n)
	}
}
