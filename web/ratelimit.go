package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a per-key token bucket (perMinute, burst perMinute/4+1) with
// idle keys dropped so an attacker rotating keys cannot grow it forever.
type limiter struct {
	perMinute int
	now       func() time.Time
	mu        sync.Mutex
	m         map[string]*entry
}

type entry struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiter(perMinute int, now func() time.Time) *limiter {
	return &limiter{perMinute: perMinute, now: now, m: map[string]*entry{}}
}

// allow takes one token of key's bucket.
func (l *limiter) allow(key string) bool {
	if l.perMinute <= 0 {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[key]
	if e == nil {
		if len(l.m) >= 10_000 {
			for k, v := range l.m {
				if now.Sub(v.seen) > time.Minute {
					delete(l.m, k)
				}
			}
		}
		e = &entry{l: rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.perMinute/4+1)}
		l.m[key] = e
	}
	e.seen = now
	return e.l.AllowN(now, 1)
}
