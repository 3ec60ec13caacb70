package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/governor"
	"github.com/paybridge/paybridge/ratelimit"
)

// BenchmarkPaidInvoice measures paybridge's own time per paid invoice:
// create the invoice (→ Clover order) and pay it with a token (→ Clover
// order pay). Own time is the server's time handling the two requests
// (from the first byte of the handler to its last, transport excluded)
// minus Clover's: time inside Clover calls and waiting in the governor for
// Clover's rate budget (16 req/s per token caps this loop at 8 invoices/s).
// It reports p50/p99 of own time for the pair and for the payment request
// alone, and Clover calls per invoice.
//
//	go test -run XXX -bench PaidInvoice -benchtime 400x ./cmd/paybridge
//	BENCH_DATA_DIR=/dev/shm … (the same on a tmpfs: what fsync costs)
func BenchmarkPaidInvoice(b *testing.B) {
	var serverNanos atomic.Int64
	e := startSandboxWith(b, func(m *Main) {
		m.WrapHandler = func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				start := time.Now()
				h.ServeHTTP(w, r)
				serverNanos.Add(int64(time.Since(start)))
			})
		}
	}, func(c *Config) {
		if d := os.Getenv("BENCH_DATA_DIR"); d != "" {
			c.DataDir = filepath.Join(d, fmt.Sprint(time.Now().UnixNano()))
		}
	})
	var cloverNanos, cloverCalls atomic.Int64
	gov := e.m.Governor.(*governor.Lagged).Governor.(*governor.Local)
	prevWait := gov.OnWait
	gov.OnWait = func(k clover.BudgetKey, d time.Duration) {
		cloverNanos.Add(int64(d))
		prevWait(k, d)
	}
	prev := e.m.Clover.OnCall
	e.m.Clover.OnCall = func(ci clover.CallInfo) {
		if ci.MerchantID != "" { // not the tokenizer (the browser's call)
			cloverNanos.Add(int64(ci.Duration))
			cloverCalls.Add(1)
		}
		prev(ci)
	}
	hc := &http.Client{}
	cus := e.customer()
	own := make([]time.Duration, 0, b.N)
	payOwn := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		tok := e.token(visaOK)
		b.StartTimer()
		s0, c0 := serverNanos.Load(), cloverNanos.Load()
		inv := post(b, hc, e, "/v1/invoices", fmt.Sprintf(`{"customer_id":%q,"currency":"usd","line_items":[{"description":"Service","quantity":1,"unit_amount":12500,"tax_rate_bps":1000}]}`, cus), 201)
		s1, c1 := serverNanos.Load(), cloverNanos.Load()
		post(b, hc, e, "/v1/invoices/"+inv["id"].(string)+"/payments", fmt.Sprintf(`{"source":%q}`, tok), 201)
		s2, c2 := serverNanos.Load(), cloverNanos.Load()
		own = append(own, time.Duration((s2-s0)-(c2-c0)))
		payOwn = append(payOwn, time.Duration((s2-s1)-(c2-c1)))
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	slices.Sort(own)
	slices.Sort(payOwn)
	b.ReportMetric(ms(own[len(own)/2]), "own-p50-ms")
	b.ReportMetric(ms(own[len(own)*99/100]), "own-p99-ms")
	b.ReportMetric(ms(payOwn[len(payOwn)/2]), "pay-own-p50-ms")
	b.ReportMetric(ms(payOwn[len(payOwn)*99/100]), "pay-own-p99-ms")
	b.ReportMetric(float64(cloverCalls.Load())/float64(b.N), "clover-calls/invoice")
}

// BenchmarkGetInvoice measures authenticated GET /v1/invoices/{id} over
// HTTP on loopback with parallel clients (client and server share the CPU).
//
//	go test -run XXX -bench GetInvoice ./cmd/paybridge
func BenchmarkGetInvoice(b *testing.B) {
	// The API rate limit is on (its cost is part of a read) but never
	// refuses: one key sends far more than the default 1000/s here.
	e := startSandbox(b, func(c *Config) { c.APIRateLimit = apiRateLimit(ratelimit.Policy{Rate: 1e9, Burst: 1e9}) })
	path := e.m.URL + "/v1/invoices/" + e.m.Sandbox.DemoInvoiceID
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	hc := &http.Client{Transport: tr}
	b.SetParallelism(8)
	var once sync.Once
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+e.key)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				once.Do(func() { b.Errorf("status %d", resp.StatusCode) })
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

func post(b testing.TB, hc *http.Client, e *sbx, path, body string, want int) map[string]any {
	req, _ := http.NewRequest("POST", e.m.URL+path, bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != want {
		b.Fatalf("POST %s = %d: %v", path, resp.StatusCode, out)
	}
	return out
}
