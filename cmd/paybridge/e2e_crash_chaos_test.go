package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover/cloversim"
	"github.com/paybridge/paybridge/store"
)

// crashChaosInvoices and crashChaosKills size TestCrashChaos.
var (
	crashChaosInvoices = flag.Int("crashchaos.invoices", 40, "invoices created and paid in TestCrashChaos")
	crashChaosKills    = flag.Int("crashchaos.kills", 6, "SIGKILLs of paybridge in TestCrashChaos")
)

// TestCrashChaos creates and pays invoices through the API, every request
// with an Idempotency-Key and retried with it until final, while Clover
// fails (10% 5xx, 5% timeout after commit, 5% 429), the CRM's webhook
// receiver fails half its deliveries, and paybridge is killed with SIGKILL
// over and over (restarted in the same slot each time), on SQLite and
// PostgreSQL. In the end: every invoice exists once and is paid once, 0
// double charges (cloversim's ledger is exactly the succeeded payments'
// charges), 0 lost payments, 0 Idempotency-Keys in flight, and every event
// delivered.
func TestCrashChaos(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, tweak func(*Config)) {
		r := startCrashRig(t, "", tweak)
		var cur atomic.Pointer[crashChildProc]
		cur.Store(r.start("", nil))
		base := func() string { return cur.Load().URL }

		var rmu sync.Mutex
		rng := rand.New(rand.NewPCG(3, 4))
		rc := newReceiver(t, func(int) bool {
			rmu.Lock()
			defer rmu.Unlock()
			return rng.IntN(2) == 0
		})
		st, ep, err := r.post(base(), "/v1/webhook-endpoints", "chaos-endpoint", map[string]any{"url": rc.srv.URL + "/hooks", "events": []string{"*"}})
		if err != nil || st != http.StatusCreated {
			t.Fatalf("endpoint: %d %v %v", st, ep, err)
		}
		since := time.Now()
		r.c.Sim.SetFaults(cloversim.Faults{ErrorRate: 0.10, TimeoutAfterCommitRate: 0.05, RateLimitRate: 0.05})

		n := *crashChaosInvoices
		invoices := make([]string, n)
		var keys sync.Map // every key used → its path
		var wg sync.WaitGroup
		var done atomic.Int64
		next := make(chan int)
		for range 4 {
			wg.Go(func() {
				for i := range next {
					if err := r.chaosPay(base, i, invoices, &keys); err != nil {
						t.Error(err)
						return
					}
					done.Add(1)
				}
			})
		}
		go func() {
			for i := range n {
				next <- i
			}
			close(next)
		}()
		db, err := store.Open(context.Background(), r.cfg.DatabaseURL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		inFlightBefore := func(at time.Time) int {
			var k int
			if err := db.Writer().QueryRow(`SELECT count(*) FROM idempotency_keys WHERE completed = $1 AND created_at < $2`,
				false, at.UnixMicro()).Scan(&k); err != nil {
				t.Fatal(err)
			}
			return k
		}
		kills := 0
		var slowest time.Duration
		killRng := rand.New(rand.NewPCG(5, 6))
		for kills < *crashChaosKills && done.Load() < int64(n) {
			time.Sleep(time.Duration(500+killRng.IntN(1500)) * time.Millisecond)
			cur.Load().kill()
			killed := time.Now()
			kills++
			stuck := inFlightBefore(killed)
			p := r.start("", nil)
			cur.Store(p)
			// The dead process's keys: none stays in flight.
			eventually(t, 30*time.Second, "the killed process's keys finished", func() bool { return inFlightBefore(killed) == 0 })
			took := time.Since(p.Started)
			slowest = max(slowest, took)
			t.Logf("kill %d: %d keys in flight; the last finished %s after the restart began", kills, stuck, took.Round(time.Millisecond))
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		r.c.Sim.SetFaults(cloversim.Faults{})
		t.Logf("%d invoices created and paid through %d kills in %s; restart to the last stuck key finished: at most %s",
			n, kills, time.Since(since).Round(time.Millisecond), slowest.Round(time.Millisecond))

		// 0 keys stuck: every key's request answered, none left in flight.
		eventually(t, 30*time.Second, "no Idempotency-Key in flight", func() bool {
			var inFlight int
			err := db.Writer().QueryRow(`SELECT count(*) FROM idempotency_keys WHERE completed = $1`, false).Scan(&inFlight)
			return err == nil && inFlight == 0
		})
		stuck := 0
		keys.Range(func(k, v any) bool {
			st, out, err := r.post(base(), v.(chaosKey).path, k.(string), v.(chaosKey).body)
			if err != nil || st == http.StatusConflict && out["code"] == "idempotency_in_flight" {
				stuck++
			}
			return true
		})
		if stuck > 0 {
			t.Fatalf("%d keys still answer idempotency_in_flight", stuck)
		}

		// Exactly once: one succeeded payment per invoice, nothing in
		// flight, and cloversim's ledger is exactly those charges.
		paid := map[string]bool{}
		for _, inv := range invoices {
			var ps []map[string]any
			eventually(t, 30*time.Second, "the payments of "+inv+" settled", func() bool {
				_, out, err := r.get(base(), "/v1/payments?limit=100&invoice_id="+inv)
				if err != nil {
					return false
				}
				ps = ps[:0]
				for _, p := range out["data"].([]any) {
					ps = append(ps, p.(map[string]any))
				}
				for _, p := range ps {
					if p["status"] == "pending" || p["status"] == "unknown" {
						return false
					}
				}
				return true
			})
			ok := 0
			for _, p := range ps {
				if p["status"] == "succeeded" {
					ok++
					paid[p["clover_charge_id"].(string)] = true
				}
			}
			if ok != 1 {
				t.Fatalf("invoice %s has %d succeeded payments: %v", inv, ok, ps)
			}
		}
		charges := map[string]int{}
		for _, le := range r.c.Sim.Ledger("") {
			if le.Kind == cloversim.KindCharge {
				charges[le.ChargeID]++
			}
		}
		for ch, k := range charges {
			if k != 1 || !paid[ch] {
				t.Fatalf("cloversim charge %s: %d entries, a paybridge payment: %v", ch, k, paid[ch])
			}
		}
		if len(charges) != len(paid) {
			t.Fatalf("cloversim has %d charges, paybridge %d succeeded payments", len(charges), len(paid))
		}

		// At least once: every event since the endpoint reached the CRM.
		var ids []string
		for cursor := ""; ; {
			_, out, err := r.get(base(), "/v1/events?limit=100"+cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range out["data"].([]any) {
				ev := v.(map[string]any)
				if created, _ := time.Parse(time.RFC3339Nano, ev["created_at"].(string)); !created.Before(since) {
					ids = append(ids, ev["id"].(string))
				}
			}
			if out["has_more"] != true {
				break
			}
			cursor = fmt.Sprintf("&cursor=%v", out["next_cursor"])
		}
		var missing []string
		deliverBy := time.Now().Add(60 * time.Second)
		eventually(t, 90*time.Second, "every event delivered", func() bool {
			okIDs := map[string]bool{}
			for _, d := range rc.deliveries() {
				if d.OK {
					okIDs[d.ID] = true
				}
			}
			missing = missing[:0]
			for _, id := range ids {
				if !okIDs[id] {
					missing = append(missing, id)
				}
			}
			return len(missing) == 0 || time.Now().After(deliverBy)
		})
		if len(missing) > 0 {
			_, ev, _ := r.get(base(), "/v1/events/"+missing[0])
			rows, _ := db.Writer().Query(`SELECT kind, state, count(*) FROM river_job GROUP BY kind, state`)
			for rows != nil && rows.Next() {
				var k, st string
				var c int
				_ = rows.Scan(&k, &st, &c)
				t.Logf("river_job %s %s %d", k, st, c)
			}
			t.Fatalf("%d of %d events never delivered, e.g. %v", len(missing), len(ids), ev)
		}
		t.Logf("%d charges, %d events delivered", len(charges), len(ids))
	})
}

// chaosKey is a request made under an Idempotency-Key, to repeat it.
type chaosKey struct {
	path string
	body any
}

// chaosPay creates invoice i and pays it, each request retried with its
// key until final; a payment attempt that ends refused (a 429 that sent
// nothing, another attempt in flight) is followed by a new attempt with a
// new key until the invoice is paid.
func (r *crashRig) chaosPay(base func() string, i int, invoices []string, keys *sync.Map) error {
	body := r.invoiceBody(5000 + i)
	key := fmt.Sprintf("chaos-inv-%d", i)
	keys.Store(key, chaosKey{"/v1/invoices", body})
	st, out, err := r.settle(base, "/v1/invoices", key, body, 2*time.Minute)
	if err != nil || st != http.StatusCreated {
		return fmt.Errorf("invoice %d: %d %v %v", i, st, out, err)
	}
	inv := out["id"].(string)
	invoices[i] = inv
	path := "/v1/invoices/" + inv + "/payments"
	for attempt := 0; ; attempt++ {
		tok, err := r.chaosToken()
		if err != nil {
			return err
		}
		key := fmt.Sprintf("chaos-pay-%d-%d", i, attempt)
		pay := map[string]any{"source": tok}
		keys.Store(key, chaosKey{path, pay})
		st, out, err := r.settle(base, path, key, pay, 2*time.Minute)
		if err != nil {
			return err
		}
		if st == http.StatusCreated && out["status"] == "succeeded" || out["code"] == "invoice_already_paid" {
			return nil
		}
		if attempt > 50 {
			return fmt.Errorf("invoice %s not paid after %d attempts: %d %v", inv, attempt, st, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// chaosToken tokenizes the test Visa, retrying cloversim's faults.
func (r *crashRig) chaosToken() (string, error) {
	b, _ := json.Marshal(map[string]any{"card": map[string]any{"number": visaOK, "exp_month": "12", "exp_year": "2030", "cvv": "123"}})
	for range 50 {
		req, _ := http.NewRequest(http.MethodPost, r.c.SimURL+"/v1/tokens", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("apikey", r.PAKMS)
		if st, out, err := r.do(req); err == nil && st == http.StatusOK {
			return out["id"].(string), nil
		}
	}
	return "", errors.New("tokenize: cloversim kept failing")
}
