package cloversim

import (
	"context"
	"math"
	"math/rand/v2"
	"time"
)

// fault is what the fault dice decided for one request.
type fault struct {
	rateLimit          bool
	status             int // injected 5xx, 0 = none
	timeoutAfterCommit bool
	declineCaptured    bool // see declined_captured.go
	latency            time.Duration
}

// newRand returns the fault dice: a PCG seeded from Options.Seed, so a run
// with the same seed and the same request sequence injects the same faults.
func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
}

// drawFault rolls every die for one request, under s.mu. It always draws the
// same number of values, whatever the rates, so changing one rate does not
// shift the others' sequence.
func (s *Sim) drawFault() fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	r := s.ecom.rng
	u429, u5xx, which, uTimeout, z, uDecline := r.Float64(), r.Float64(), r.IntN(3), r.Float64(), r.NormFloat64(), r.Float64()
	var out fault
	out.rateLimit = u429 < f.RateLimitRate
	if u5xx < f.ErrorRate {
		out.status = [...]int{500, 502, 503}[which]
	}
	out.timeoutAfterCommit = uTimeout < f.TimeoutAfterCommitRate
	out.declineCaptured = uDecline < f.DeclinedButCapturedRate
	out.latency = logNormal(f.LatencyP50, f.LatencyP99, z)
	return out
}

// logNormal maps a standard normal z to a latency whose median is p50 and
// 99th percentile p99 (z₀.₉₉ ≈ 2.3263). p99 ≤ p50 gives a constant p50.
func logNormal(p50, p99 time.Duration, z float64) time.Duration {
	if p50 <= 0 {
		return 0
	}
	if p99 <= p50 {
		return p50
	}
	mu := math.Log(float64(p50))
	sigma := (math.Log(float64(p99)) - mu) / 2.3263478740408408
	d := math.Exp(mu + sigma*z)
	if d > float64(time.Hour) {
		d = float64(time.Hour)
	}
	return time.Duration(d)
}

// sleepCtx waits d or until ctx ends; it reports whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// SetFaults replaces the injected faults from now on (the dice keep rolling
// from where they are).
func (s *Sim) SetFaults(f Faults) {
	defer s.direct()()
	s.setFaults(f)
}

func (s *Sim) setFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// currentFaults returns the faults in force.
func (s *Sim) currentFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}
