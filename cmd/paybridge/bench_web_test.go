package main

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/web"
)

// BenchmarkPayPage measures the server time of GET /pay/{link} (the form
// with invoice summary, CSRF token and security headers) on the real
// SQLite store of a sandbox: each request goes straight to the pay page's
// handler, so the time is paybridge's own (no loopback, no client). It
// reports p50/p99 of the per-request durations. Target: p99 < 5 ms.
//
//	go test -run XXX -bench PayPage -benchtime 5000x ./cmd/paybridge
func BenchmarkPayPage(b *testing.B) {
	e := startSandbox(b)
	// A server of its own over the same store and settings (Handler
	// initialises the server it is called on), with the per-client limit
	// off: every request comes from one address.
	live := e.m.Web
	s := web.New(e.m.DB, e.m.Service)
	s.Clover, s.Sealer, s.PublicURL, s.SDKURL, s.CheckoutOrigins = live.Clover, live.Sealer, live.PublicURL, live.SDKURL, live.CheckoutOrigins
	s.ClientPerMinute = 0
	h := s.Handler()
	path := e.m.Sandbox.DemoPaymentURL[strings.Index(e.m.Sandbox.DemoPaymentURL, "/pay/"):]
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept-Language", "fr-CA,fr;q=0.9,en;q=0.5")
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		durs = append(durs, time.Since(start))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", path, rec.Code)
		}
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durs[len(durs)*99/100].Microseconds())/1000, "p99-ms")
}
