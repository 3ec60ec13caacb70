package loadtest

import (
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
}

// tally is one budget holder's admitted arrivals and refusals.
type tally struct {
	admitted []time.Time
	limited  int
}

// NewMeter returns a Meter in front of next.
func NewMeter(next http.Handler) *Meter {
	return &Meter{Next: next, tokens: map[string]*tally{}}
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
	m.Next.ServeHTTP(sw, r)
	m.mu.Lock()
	defer m.mu.Unlock()
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

// Tokens lists the fingerprints seen.
func (m *Meter) Tokens() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.tokens {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
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

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Flush passes through, for streaming handlers.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
