package clover

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestShouldRetry(t *testing.T) {
	t.Parallel()
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	netErr := errors.New("connection reset by peer")
	tests := []struct {
		name string
		ctx  context.Context
		a    attempt
		want bool
	}{
		{"success is not retried", live, attempt{Status: 200}, false},
		{"network error after sending is retried (same key)", live, attempt{Err: netErr, Sent: true}, true},
		{"network error before sending is retried", live, attempt{Err: netErr}, true},
		{"429 is retried", live, attempt{Status: 429}, true},
		{"500 is retried", live, attempt{Status: 500}, true},
		{"502 is retried", live, attempt{Status: 502}, true},
		{"503 is retried", live, attempt{Status: 503}, true},
		{"504 is retried", live, attempt{Status: 504}, true},
		{"400 is never retried", live, attempt{Status: 400}, false},
		{"401 is never retried (reauthorize instead)", live, attempt{Status: 401}, false},
		{"402 decline is never retried", live, attempt{Status: 402}, false},
		{"403 is never retried", live, attempt{Status: 403}, false},
		{"404 is never retried", live, attempt{Status: 404}, false},
		{"409 is never retried", live, attempt{Status: 409}, false},
		{"ended context is never retried", done, attempt{Status: 503}, false},
		{"ended context stops network retries", done, attempt{Err: netErr}, false},
		{"single-use unsent network error is retried", live, attempt{Err: netErr, SingleUse: true}, true},
		{"single-use sent network error is not retried", live, attempt{Err: netErr, Sent: true, SingleUse: true}, false},
		{"single-use 5xx is not retried", live, attempt{Status: 500, Sent: true, SingleUse: true}, false},
		{"single-use 429 is retried", live, attempt{Status: 429, Sent: true, SingleUse: true}, true},
		{"single-use 400 is not retried", live, attempt{Status: 400, Sent: true, SingleUse: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := shouldRetry(tt.ctx, tt.a); got != tt.want {
				t.Errorf("shouldRetry(%+v) = %v, want %v", tt.a, got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{NoJitter: true}.withDefaults()
	never := func(int64) int64 { t.Fatal("jitter used with NoJitter"); return 0 }
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
		4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := p.backoff(i+1, 503, nil, never); got != w {
			t.Errorf("attempt %d: backoff = %v, want %v", i+1, got, w)
		}
	}
	if got := p.backoff(100, 503, nil, never); got != 8*time.Second {
		t.Errorf("attempt 100: backoff = %v, want the 8s cap", got)
	}

	t.Run("full jitter stays within the ceiling", func(t *testing.T) {
		t.Parallel()
		p := RetryPolicy{}.withDefaults()
		var asked int64
		d := p.backoff(3, 500, nil, func(n int64) int64 { asked = n; return n - 1 })
		if asked != int64(time.Second)+1 || d != time.Second {
			t.Errorf("rnd asked for [0,%d), backoff %v; want [0,1s] and 1s", asked, d)
		}
		if d := p.backoff(3, 500, nil, func(int64) int64 { return 0 }); d != 0 {
			t.Errorf("jitter low end = %v, want 0", d)
		}
	})
	t.Run("retry-after seconds honoured on 429", func(t *testing.T) {
		t.Parallel()
		h := http.Header{"Retry-After": {"3"}}
		if d := p.backoff(1, 429, h, never); d != 3*time.Second {
			t.Errorf("backoff = %v, want 3s", d)
		}
	})
	t.Run("retry-after capped at a minute", func(t *testing.T) {
		t.Parallel()
		h := http.Header{"Retry-After": {"86400"}}
		if d := p.backoff(1, 429, h, never); d != time.Minute {
			t.Errorf("backoff = %v, want 1m", d)
		}
	})
	t.Run("429 without retry-after waits at least 1s", func(t *testing.T) {
		t.Parallel()
		if d := p.backoff(1, 429, http.Header{}, never); d != time.Second {
			t.Errorf("backoff = %v, want 1s", d)
		}
	})
	t.Run("garbage retry-after falls back to backoff", func(t *testing.T) {
		t.Parallel()
		h := http.Header{"Retry-After": {"soon"}}
		if d := p.backoff(4, 429, h, never); d != 2*time.Second {
			t.Errorf("backoff = %v, want 2s", d)
		}
	})
	t.Run("retry-after ignored on 503", func(t *testing.T) {
		t.Parallel()
		h := http.Header{"Retry-After": {"30"}}
		if d := p.backoff(1, 503, h, never); d != 250*time.Millisecond {
			t.Errorf("backoff = %v, want 250ms", d)
		}
	})
}

func TestRetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	h := http.Header{"Retry-After": {time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)}}
	if d, ok := retryAfter(h); !ok || d != 0 {
		t.Errorf("past date: %v %v, want 0 true", d, ok)
	}
	h = http.Header{"Retry-After": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}
	if d, ok := retryAfter(h); !ok || d != time.Minute {
		t.Errorf("far date: %v %v, want capped 1m", d, ok)
	}
}
