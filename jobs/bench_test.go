package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/httpapi"
	"github.com/paybridge/paybridge/store"
)

// benchClients is how many webhooks are in flight at once: Clover sends
// several merchants' bursts concurrently, and 32 at once is a busy app. The
// load generator runs on the same two cores as the server.
const benchClients = 32

func benchDB(b *testing.B) *store.DB {
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "pb.db"), store.Options{Migrate: true, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// cpuTime is the process's user+system CPU time so far: on a shared
// machine, CPU per webhook is steadier than webhooks per second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// latencies collects durations from parallel goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) p(q float64) time.Duration {
	slices.Sort(l.d)
	if len(l.d) == 0 {
		return 0
	}
	return l.d[min(len(l.d)-1, int(float64(len(l.d))*q))]
}

// BenchmarkCloverWebhookAccept: Clover platform webhooks POSTed to
// /webhooks/clover over HTTP, each recorded (dedupe row + sync job, one
// SQLite transaction, synchronous=FULL) before the 200. Reports
// webhooks/s and p99 latency.
func BenchmarkCloverWebhookAccept(b *testing.B) {
	db := benchDB(b)
	bb := setup(b, db)
	rt := httpapi.NewRouter(nil, nil)
	rt.Logger = quiet
	(&httpapi.CloverWebhooks{AuthCode: func() string { return "code" }, Accept: bb.r.AcceptClover, Logger: quiet,
		SaveVerification: func(context.Context, string) error { return nil }}).Routes(rt)
	srv := httptest.NewServer(rt)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var seq atomic.Int64
	var lat latencies
	b.SetParallelism(benchClients / max(1, runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			body := fmt.Appendf(nil, `{"appId":"APP","merchants":{"%s":[{"objectId":"P:CH%d","type":"UPDATE","ts":%d}]}}`,
				bb.m.CloverMerchantID, n, n)
			req, _ := http.NewRequest("POST", srv.URL+"/webhooks/clover", bytes.NewReader(body))
			req.Header.Set("X-Clover-Auth", "code")
			req.Header.Set("Content-Type", "application/json")
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			// Drained so the connection is reused, as Clover's client would.
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			lat.add(time.Since(t0))
		}
	})
	el, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "webhooks/s")
	b.ReportMetric(float64(lat.p(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat.p(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/webhook")
}

// BenchmarkDeliveries: events written by state changes (merchant status
// flips, one event each) fanned out and delivered to one endpoint that
// answers 204 at once. Reports deliveries/s end to end.
func BenchmarkDeliveries(b *testing.B) {
	db := benchDB(b)
	bb := setup(b, db)
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(204)
	}))
	defer srv.Close()
	bb.endpoint(b, srv.URL)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	status := []paybridge.MerchantStatus{paybridge.MerchantReauthorizationRequired, paybridge.MerchantActive}
	for i := range b.N {
		if err := db.SetMerchantStatus(ctx, bb.m.ID, status[i%2]); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Minute)
	for got.Load() < int64(b.N) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // benchmark: polling for completion
	}
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(got.Load())/el.Seconds(), "deliveries/s")
}

// BenchmarkCloverAcceptDirect is BenchmarkCloverWebhookAccept without
// HTTP: the durable part alone (dedupe rows and sync jobs, group commit).
func BenchmarkCloverAcceptDirect(b *testing.B) {
	bb := setup(b, benchDB(b))
	var seq atomic.Int64
	var lat latencies
	b.SetParallelism(benchClients / max(1, runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			p := &clover.WebhookPayload{AppID: "APP", Merchants: map[string][]clover.WebhookEvent{
				bb.m.CloverMerchantID: {{ObjectID: fmt.Sprintf("P:CH%d", n), Type: "UPDATE", TS: n}}}}
			t0 := time.Now()
			if _, err := bb.r.AcceptClover(context.Background(), p); err != nil {
				b.Error(err)
				return
			}
			lat.add(time.Since(t0))
		}
	})
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "webhooks/s")
	b.ReportMetric(float64(lat.p(0.99).Microseconds())/1000, "p99-ms")
}
