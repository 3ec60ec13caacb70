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
)

// BenchmarkPaidInvoice measures paybridge's own time per paid invoice:
// create the invoice (→ Clover order) and pay it with a token (→ Clover
// order pay), over HTTP on loopback, minus Clover's time: inside Clover
// calls, and waiting in the governor for Clover's rate budget (16 req/s
// per token caps this loop at 8 invoices/s). It reports p50/p99 of that
// own time, the governor wait and Clover calls per invoice.
//
//	go test -run XXX -bench PaidInvoice -benchtime 2000x ./cmd/paybridge
func BenchmarkPaidInvoice(b *testing.B) {
	e := startSandbox(b, func(c *Config) {
		if d := os.Getenv("BENCH_DATA_DIR"); d != "" { // e.g. a tmpfs, to see what fsync costs
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
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		tok := e.token(visaOK)
		c0 := cloverNanos.Load()
		b.StartTimer()
		start := time.Now()
		inv := post(b, hc, e, "/v1/invoices", fmt.Sprintf(`{"customer_id":%q,"currency":"usd","line_items":[{"description":"Service","quantity":1,"unit_amount":12500,"tax_rate_bps":1000}]}`, cus), 201)
		post(b, hc, e, "/v1/invoices/"+inv["id"].(string)+"/payments", fmt.Sprintf(`{"source":%q}`, tok), 201)
		own = append(own, time.Since(start)-time.Duration(cloverNanos.Load()-c0))
	}
	b.StopTimer()
	slices.Sort(own)
	b.ReportMetric(float64(own[len(own)/2].Microseconds())/1000, "own-p50-ms")
	b.ReportMetric(float64(own[len(own)*99/100].Microseconds())/1000, "own-p99-ms")
	b.ReportMetric(float64(cloverCalls.Load())/float64(b.N), "clover-calls/invoice")
}

// BenchmarkGetInvoice measures authenticated GET /v1/invoices/{id} over
// HTTP on loopback with parallel clients (client and server share the CPU).
//
//	go test -run XXX -bench GetInvoice ./cmd/paybridge
func BenchmarkGetInvoice(b *testing.B) {
	e := startSandbox(b)
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
