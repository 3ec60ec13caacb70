package cloversim

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Headers naming the limit a 429 hit (CLOVER.md §8).
const (
	hdrTokenLimit           = "X-RateLimit-tokenLimit"
	hdrAppLimit             = "X-RateLimit-crossTokenLimit"
	hdrTokenConcurrentLimit = "X-RateLimit-tokenConcurrentLimit"
	hdrAppConcurrentLimit   = "X-RateLimit-crossTokenConcurrentLimit"
)

// limiter enforces Clover's budget: requests per sliding second and requests
// in flight, per access token and for the whole app. It is guarded by s.mu.
type limiter struct {
	tokens map[string]*window // by access token
	app    window
}

// window is one budget holder's recent request times and requests in flight.
type window struct {
	times    []time.Time // admitted requests in the last second, oldest first
	inFlight int
}

// limitHit describes a 429: which header names the limit, its value and
// when to retry.
type limitHit struct {
	header     string
	value      int
	retryAfter int // whole seconds, ≥ 1
}

// admit counts a request against token's and the app's budgets, the
// token's being its merchant's (Limits.Merchants: Clover raises a
// merchant's limits on request, and hand-made tokens get less). It returns
// a release func to call when the response is done, or the limit it hit.
// Refused requests spend nothing. With Options.LimitsOff it admits all.
func (s *Sim) admit(token, merchantID string) (release func(), hit *limitHit) {
	if s.opts.LimitsOff {
		return func() {}, nil
	}
	b := s.opts.Limits
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.ecom.limits
	if l.tokens == nil {
		l.tokens = map[string]*window{}
	}
	tw := l.tokens[token]
	if tw == nil {
		tw = &window{}
		l.tokens[token] = tw
	}
	now := s.opts.Now()
	tw.prune(now)
	l.app.prune(now)
	trps, tconc := b.Token(merchantID)
	tokenRPS, appRPS := perSecond(trps), perSecond(b.AppRPS)
	switch {
	case tconc > 0 && tw.inFlight >= tconc:
		return nil, &limitHit{header: hdrTokenConcurrentLimit, value: tconc, retryAfter: 1}
	case b.AppConcurrent > 0 && l.app.inFlight >= b.AppConcurrent:
		return nil, &limitHit{header: hdrAppConcurrentLimit, value: b.AppConcurrent, retryAfter: 1}
	case tokenRPS > 0 && len(tw.times) >= tokenRPS:
		return nil, &limitHit{header: hdrTokenLimit, value: tokenRPS, retryAfter: tw.retryAfter(now)}
	case appRPS > 0 && len(l.app.times) >= appRPS:
		return nil, &limitHit{header: hdrAppLimit, value: appRPS, retryAfter: l.app.retryAfter(now)}
	}
	tw.times = append(tw.times, now)
	l.app.times = append(l.app.times, now)
	tw.inFlight++
	l.app.inFlight++
	return func() {
		s.mu.Lock()
		tw.inFlight--
		l.app.inFlight--
		s.mu.Unlock()
	}, nil
}

// perSecond turns a configured rate into a whole number of requests per
// sliding second (0 = unlimited).
func perSecond(rps float64) int {
	if rps <= 0 {
		return 0
	}
	return max(1, int(math.Floor(rps)))
}

// prune drops request times older than one second.
func (w *window) prune(now time.Time) {
	cut := 0
	for cut < len(w.times) && now.Sub(w.times[cut]) >= time.Second {
		cut++
	}
	w.times = w.times[cut:]
}

// retryAfter is the whole seconds until the oldest request leaves the window.
func (w *window) retryAfter(now time.Time) int {
	if len(w.times) == 0 {
		return 1
	}
	wait := time.Second - now.Sub(w.times[0])
	return max(1, int(math.Ceil(wait.Seconds())))
}

// writeLimited answers 429 in Clover's envelope with the header naming the
// limit and retry-after in whole seconds.
func writeLimited(w http.ResponseWriter, h *limitHit) {
	v := "true"
	if h.value > 0 {
		v = strconv.Itoa(h.value)
	}
	w.Header().Set(h.header, v)
	w.Header().Set("Retry-After", strconv.Itoa(max(1, h.retryAfter)))
	writeAPIError(w, errf(http.StatusTooManyRequests, "rate_limit_error", "rate_limit",
		"Too many requests; limit %s exceeded.", h.header[len("X-RateLimit-"):]))
}
