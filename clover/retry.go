package clover

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says how often and how patiently a call is retried. The zero
// value means the defaults: 4 attempts, 250ms base, 8s cap, a real timer.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included
	// (default 4; 1 disables retries).
	MaxAttempts int
	// BaseDelay and MaxDelay bound the exponential backoff: attempt n waits
	// up to min(MaxDelay, BaseDelay·2^(n-1)) (defaults 250ms and 8s).
	BaseDelay, MaxDelay time.Duration
	// NoJitter waits the full backoff instead of a random share of it
	// ("full jitter"), so tests can assert exact delays.
	NoJitter bool
	// Sleep waits d or until ctx ends (then it returns ctx's error). The
	// default is a real timer; tests replace it to record delays instead of
	// sleeping.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Retry defaults (CLOVER.md §8 advises a pause, then exponential backoff).
const (
	DefaultMaxAttempts = 4
	DefaultBaseDelay   = 250 * time.Millisecond
	DefaultMaxDelay    = 8 * time.Second
	// rateLimitFloor is Clover's advised pause after a 429 without retry-after.
	rateLimitFloor = time.Second
	// maxRetryAfter caps how long a retry-after header can make a call wait.
	maxRetryAfter = time.Minute
)

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	return p
}

// sleepCtx waits d on a real timer, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt is what one HTTP attempt produced, as shouldRetry sees it.
type attempt struct {
	Status int   // HTTP status; 0 when there was no answer
	Err    error // transport error when there was no answer
	// Sent is true when the request may have reached Clover.
	Sent bool
	// SingleUse marks calls whose credential is consumed on arrival (OAuth
	// refresh tokens and codes): retrying after Clover may have seen the
	// request would burn it, so only unsent requests and 429s are retried.
	SingleUse bool
}

// shouldRetry decides whether a failed attempt may be repeated (with the
// same idempotency key). Every rule has a named subtest in TestShouldRetry.
func shouldRetry(ctx context.Context, a attempt) bool {
	switch {
	case ctx.Err() != nil:
		return false // the caller gave up
	case a.Err == nil && a.Status >= 200 && a.Status < 300:
		return false // success
	case a.Status == http.StatusTooManyRequests:
		return true // refused unprocessed: safe even for single-use calls
	case a.SingleUse:
		return a.Err != nil && !a.Sent // only when Clover cannot have seen it
	case a.Err != nil:
		return true // network error or timeout: the key makes the repeat safe
	case a.Status >= 500:
		return true
	default:
		return false // 4xx (400, 401, 402, 404, 409, ...) is definite
	}
}

// backoff returns how long to wait after attempt n (1-based) failed with
// the given answer header (nil for none). rnd(k) returns a uniform value in
// [0, k).
func (p RetryPolicy) backoff(n, status int, h http.Header, rnd func(int64) int64) time.Duration {
	if status == http.StatusTooManyRequests {
		if d, ok := retryAfter(h); ok {
			return d
		}
	}
	ceil := p.MaxDelay
	if n-1 < 32 {
		if d := p.BaseDelay << (n - 1); d > 0 && d < ceil {
			ceil = d
		}
	}
	d := ceil
	if !p.NoJitter {
		d = time.Duration(rnd(int64(ceil) + 1))
	}
	if status == http.StatusTooManyRequests && d < rateLimitFloor {
		d = rateLimitFloor
	}
	return d
}

// retryAfter reads a retry-after header in seconds (Clover's form) or as an
// HTTP date, capped at maxRetryAfter.
func retryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 || s != s {
			return 0, false
		}
		if s > maxRetryAfter.Seconds() {
			return maxRetryAfter, true
		}
		d = time.Duration(s * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
		if d < 0 {
			d = 0
		}
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}
