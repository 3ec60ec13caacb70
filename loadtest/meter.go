package loadtest

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// Meter wraps cloversim (or any Clover stand-in) and counts what Clover
// counts: every authenticated API request on arrival, per access token and
// for the app, and the 429s it answered. Requests without a Bearer token
// (the tokenizer, OAuth, /_sim/) are passed through uncounted.
type Meter struct {
	Next http.Handler

	mu     sync.Mutex
	tokens map[string]*tally // by clover.TokenFingerprint
	app    tally
	kinds  map[string]int // 429s by the X-RateLimit-* header that named the limit
	// paid maps each order paid to the distinct charges that paid it: more
	// than one is a double charge (an idempotent replay repeats the same
	// charge id and does not count).
	paid map[string]map[string]bool
}

// tally is one budget holder's admitted arrivals and refusals.
type tally struct {
	admitted []time.Time
	limited  int
}

// NewMeter returns a Meter in front of next.
func NewMeter(next http.Handler) *Meter {
	return &Meter{Next: next, tokens: map[string]*tally{}, kinds: map[string]int{}, paid: map[string]map[string]bool{}}
}

// ServeHTTP counts r, then serves it with Next.
func (m *Meter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := r.Header.Get("Authorization")
	if !strings.HasPrefix(strings.ToLower(a), "bearer ") || strings.HasPrefix(r.URL.Path, "/_sim/") {
		m.Next.ServeHTTP(w, r)
		return
	}
	tok := clover.TokenFingerprint(strings.TrimSpace(a[len("bearer "):]))
	arrived := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	order := ""
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/orders/") && strings.HasSuffix(r.URL.Path, "/pay") {
		order = strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/orders/"), "/pay")
		sw.keep = true
	}
	m.Next.ServeHTTP(sw, r)
	m.mu.Lock()
	defer m.mu.Unlock()
	if order != "" && sw.status/100 == 2 {
		var o struct {
			Charge string `json:"charge"`
		}
		if json.Unmarshal(sw.body.Bytes(), &o) == nil && o.Charge != "" {
			if m.paid[order] == nil {
				m.paid[order] = map[string]bool{}
			}
			m.paid[order][o.Charge] = true
		}
	}
	if sw.status == http.StatusTooManyRequests {
		kind := "injected"
		for h := range w.Header() {
			if strings.HasPrefix(strings.ToLower(h), "x-ratelimit-") {
				kind = h
			}
		}
		m.kinds[kind]++
	}
	t := m.tokens[tok]
	if t == nil {
		t = &tally{}
		m.tokens[tok] = t
	}
	for _, t := range []*tally{t, &m.app} {
		if sw.status == http.StatusTooManyRequests {
			t.limited++
		} else {
			t.admitted = append(t.admitted, arrived)
		}
	}
}

// Count is a budget holder's traffic in a time range.
type Count struct {
	Admitted int `json:"admitted"`
	Limited  int `json:"limited_429"`
	// MaxPerSecond is the most admitted arrivals in any sliding second
	// (over the whole life of the Meter).
	MaxPerSecond int `json:"max_per_second"`
}

// Token returns token's (a clover.TokenFingerprint) admitted arrivals in
// [from, to), its 429s (at any time) and its busiest second.
func (m *Meter) Token(token string, from, to time.Time) Count {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tokens[token]
	if t == nil {
		return Count{}
	}
	return t.count(from, to)
}

// App is Token for the whole app.
func (m *Meter) App(from, to time.Time) Count {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.app.count(from, to)
}

// LimitKinds returns the 429s so far by the header naming the limit hit.
func (m *Meter) LimitKinds() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.kinds)
}

// Tokens lists the fingerprints seen.
func (m *Meter) Tokens() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.tokens))
}

func (t *tally) count(from, to time.Time) Count {
	times := slices.Clone(t.admitted)
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	c := Count{Limited: t.limited}
	i := 0
	for j, at := range times {
		if !at.Before(from) && at.Before(to) {
			c.Admitted++
		}
		for at.Sub(times[i]) >= time.Second {
			i++
		}
		c.MaxPerSecond = max(c.MaxPerSecond, j-i+1)
	}
	return c
}

// OrderCharges returns how many orders were paid and how many charges paid
// them beyond the first per order (double charges), as Clover answered.
func (m *Meter) OrderCharges() (orders, doubles int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ch := range m.paid {
		orders++
		doubles += len(ch) - 1
	}
	return orders, doubles
}

// statusWriter remembers the status written (and the body, if keep).
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	keep   bool
	body   bytes.Buffer
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	if w.keep && w.body.Len() < 1<<20 {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through, for streaming handlers.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
