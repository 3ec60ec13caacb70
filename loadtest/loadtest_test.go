package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// TestRunIsOpenAndBounded: arrivals are sent on schedule even while earlier
// ones hang, and the run ends once the hung ones hit their timeout.
func TestRunIsOpenAndBounded(t *testing.T) {
	t.Parallel()
	var started atomic.Int32
	samples := Run(t.Context(), RunOptions{Duration: 200 * time.Millisecond, Timeout: 100 * time.Millisecond},
		Arrivals{Group: "g", Rate: 50, Do: func(ctx context.Context, i int) Sample {
			started.Add(1)
			<-ctx.Done() // never answers
			return Sample{Start: time.Now(), Err: "timeout"}
		}})
	if len(samples) != 10 || started.Load() != 10 {
		t.Fatalf("%d samples, %d started; want 10 arrivals at 50/s for 200 ms, sent although none returned", len(samples), started.Load())
	}
	for _, s := range samples {
		if s.Group != "g" || s.OK {
			t.Errorf("sample %+v", s)
		}
	}
}

func TestRunOverloadIsRecordedNotSent(t *testing.T) {
	t.Parallel()
	var sent atomic.Int32
	samples := Run(t.Context(), RunOptions{Duration: 100 * time.Millisecond, Timeout: time.Second, MaxOutstanding: 2},
		Arrivals{Rate: 100, Do: func(ctx context.Context, i int) Sample {
			sent.Add(1)
			<-ctx.Done()
			return Sample{}
		}})
	over := 0
	for _, s := range samples {
		if s.Err == "overload" {
			over++
		}
	}
	if len(samples) != 10 || sent.Load() != 2 || over != 8 {
		t.Errorf("%d samples, %d sent, %d overload; want 10, 2, 8", len(samples), sent.Load(), over)
	}
}

// TestMeterCountsLikeClover: authenticated requests count on arrival per
// token and app, 429s separately by kind, and an order paid by two
// different charges is a double charge while a replay is not.
func TestMeterCountsLikeClover(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/limited" {
			w.Header().Set("X-RateLimit-tokenLimit", "16")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/pay") {
			charge := "CH1"
			if r.URL.Path == "/v1/orders/B/pay" && n.Add(1) > 1 {
				charge = "CH2" // the second pay of order B made a new charge
			}
			fmt.Fprintf(w, `{"id":"x","charge":%q}`, charge)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	m := NewMeter(next)
	srv := httptest.NewServer(m)
	defer srv.Close()
	do := func(method, path, token string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	t0 := time.Now()
	do("GET", "/v1/charges", "tokA")
	do("GET", "/v1/charges", "tokA")
	do("GET", "/v1/charges", "tokB")
	do("GET", "/limited", "tokA")
	do("GET", "/v1/tokens", "") // no bearer: not Clover's budget
	do("POST", "/v1/orders/A/pay", "tokA")
	do("POST", "/v1/orders/A/pay", "tokA") // replay: same charge
	do("POST", "/v1/orders/B/pay", "tokB")
	do("POST", "/v1/orders/B/pay", "tokB")
	end := time.Now()

	a := m.Token(clover.TokenFingerprint("tokA"), t0, end)
	if a.Admitted != 4 || a.Limited != 1 || a.MaxPerSecond != 4 {
		t.Errorf("token A: %+v, want 4 admitted, 1 limited, 4 in its busiest second", a)
	}
	if app := m.App(t0, end); app.Admitted != 7 || app.Limited != 1 {
		t.Errorf("app: %+v, want 7 admitted and 1 limited", app)
	}
	if k := m.LimitKinds(); k["X-Ratelimit-Tokenlimit"] != 1 {
		t.Errorf("429 kinds %v", k)
	}
	if orders, doubles := m.OrderCharges(); orders != 2 || doubles != 1 {
		t.Errorf("orders %d, doubles %d; want 2 orders, 1 double charge", orders, doubles)
	}
	if got := m.Token(clover.TokenFingerprint("tokA"), end.Add(time.Second), end.Add(2*time.Second)); got.Admitted != 0 {
		t.Errorf("admitted outside the range: %+v", got)
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	var ss []Sample
	for i := 1; i <= 100; i++ {
		ss = append(ss, Sample{OK: true, Group: "a", Total: time.Duration(i+10) * time.Millisecond, Clover: 10 * time.Millisecond})
	}
	ss = append(ss, Sample{Err: "pay: timeout", Group: "b"})
	var r Report
	r.Summarize(ss, 10*time.Second)
	if r.Completed != 100 || r.Errors != 1 || r.ErrorKinds["pay: timeout"] != 1 || r.Throughput != 10 {
		t.Errorf("counts %+v", r)
	}
	if r.P50 != 50 || r.P99 != 99 || r.TotalP99 != 109 {
		t.Errorf("p50 %v p99 %v total p99 %v; want 50, 99 (added = total − Clover), 109", r.P50, r.P99, r.TotalP99)
	}
}

func TestRecordCPU(t *testing.T) {
	t.Parallel()
	r := &Report{Completed: 4}
	r.RecordCPU(CPUReading{Process: time.Second, HostBusy: 100, HostAll: 1000},
		CPUReading{Process: 3 * time.Second, HostBusy: 400, HostAll: 1400})
	if r.CPUMSPerCompleted != 500 || r.HostCPUBusy != 0.75 {
		t.Errorf("cpu %v ms per completed, host %v busy; want 500, 0.75", r.CPUMSPerCompleted, r.HostCPUBusy)
	}
	start := ReadCPU()
	for deadline := time.Now().Add(20 * time.Millisecond); time.Now().Before(deadline); {
	}
	end := ReadCPU()
	if end.Process <= start.Process {
		t.Errorf("process cpu did not advance over 20 ms of spinning: %v → %v", start.Process, end.Process)
	}
}
