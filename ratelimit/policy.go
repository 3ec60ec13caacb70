package ratelimit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
)

// Policy is a rate (requests per second, sustained) and a burst (requests
// a full budget holds).
type Policy struct {
	Rate  float64
	Burst int
}

// DefaultPolicy is generous: 1000 requests a second per API key, bursts of
// 2000. A CRM hitting it is looping, not working.
var DefaultPolicy = Policy{Rate: 1000, Burst: 2000}

// ParsePolicy reads "RATE/BURST" (burst optional: twice the rate) or "off"
// (no limit: the zero Policy).
func ParsePolicy(s string) (Policy, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return Policy{}, nil
	}
	rs, bs, hasBurst := strings.Cut(s, "/")
	rate, err := strconv.ParseFloat(rs, 64)
	if err != nil || !(rate > 0) || math.IsInf(rate, 0) {
		return Policy{}, fmt.Errorf("rate limit %q: want RATE/BURST with RATE a positive number of requests a second, or off", s)
	}
	p := Policy{Rate: rate, Burst: int(math.Ceil(2 * rate))}
	if hasBurst {
		if p.Burst, err = strconv.Atoi(bs); err != nil || p.Burst < 1 {
			return Policy{}, fmt.Errorf("rate limit %q: BURST must be a positive integer", s)
		}
	}
	return p, nil
}

// Off reports the zero Policy: no limit.
func (p Policy) Off() bool { return p.Rate <= 0 }

// interval is the time one request's slot takes to refill.
func (p Policy) interval() time.Duration { return time.Duration(float64(time.Second) / p.Rate) }

// decide is GCRA: tat is the key's theoretical arrival time (when its
// budget is full again); it returns the decision and the new tat.
func (p Policy) decide(now, tat time.Time) (paybridge.RateDecision, time.Time) {
	t := p.interval()
	capacity := time.Duration(p.Burst) * t
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(t)
	d := paybridge.RateDecision{Limit: p.Burst, Window: capacity}
	if next.Sub(now) > capacity {
		d.RetryAfter = next.Sub(now) - capacity
		d.Reset = tat.Sub(now)
		return d, tat
	}
	d.Allowed = true
	d.Remaining = int((capacity - next.Sub(now)) / t)
	d.Reset = next.Sub(now)
	return d, next
}
