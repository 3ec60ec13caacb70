package governor

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestNewWindowShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rps  float64
		k    int
		span time.Duration
	}{
		{rps: 16, k: 16, span: time.Second},
		{rps: 50, k: 50, span: time.Second},
		{rps: 16.9, k: 16, span: time.Second},
		{rps: 1, k: 1, span: time.Second},
		{rps: 0.5, k: 1, span: 2 * time.Second},
		{rps: 256, k: 256, span: time.Second},
		{rps: 1000, k: 250, span: 250 * time.Millisecond},
		{rps: 257, k: 128, span: 500 * time.Millisecond},
		{rps: 1e-12, k: 1, span: maxSpan},
		{rps: math.Inf(1), k: 0, span: 0},
	}
	for _, tt := range tests {
		w := newWindow(tt.rps)
		if len(w.starts) != tt.k || w.span != tt.span {
			t.Errorf("newWindow(%v) = %d starts per %v, want %d per %v", tt.rps, len(w.starts), w.span, tt.k, tt.span)
		}
	}
	if w := newWindow(1e9); len(w.starts) > maxLog || len(w.starts) == 0 {
		t.Errorf("newWindow(1e9) remembers %d starts, want 1..%d", len(w.starts), maxLog)
	}
}

// TestWindowNeverExceedsBudget starts calls greedily at random moments and
// checks that no one-second window (and, below 1 rps, no 1/rps window) holds
// more starts than the budget allows, and that the window is not stingier
// than it needs to be.
func TestWindowNeverExceedsBudget(t *testing.T) {
	t.Parallel()
	for _, rps := range []float64{0.5, 1, 3, 16, 50, 255, 256, 257, 1000, 5000} {
		w := newWindow(rps)
		r := rand.New(rand.NewPCG(1, uint64(rps*10)))
		var starts []time.Duration
		now := time.Duration(0)
		for now < 20*time.Second {
			// Demand about twice the budget, so the window is what paces it.
			now += time.Duration(r.Int64N(int64(time.Second / time.Duration(max(rps, 1)))))
			if at := w.allowedAt(); at > now {
				now = at
			}
			w.record(now)
			starts = append(starts, now)
		}
		limit, span := int(rps), time.Second
		if rps < 1 {
			limit, span = 1, time.Duration(float64(time.Second)/rps)
		}
		if i, ok := crowdedWindow(starts, limit, span); ok {
			t.Errorf("rps %v: starts %v and %v are %d apart but within %v", rps, starts[i], starts[i+limit], limit, span)
		}
		// Not stingy: over 20 s at least 90% of the budget was usable.
		if got, want := float64(len(starts)), 0.9*20*float64(limit)*float64(time.Second)/float64(span); got < want {
			t.Errorf("rps %v: %v starts in 20 s, want at least %v", rps, got, want)
		}
	}
}

func TestWindowIdle(t *testing.T) {
	t.Parallel()
	w := newWindow(2)
	if !w.idle(0) {
		t.Fatal("fresh window not idle")
	}
	w.record(100 * time.Millisecond)
	if w.idle(time.Second) {
		t.Error("idle 900ms after a start in a 1s window")
	}
	if !w.idle(1100 * time.Millisecond) {
		t.Error("not idle 1s after its last start")
	}
}

func TestWindowResizedKeepsRecentStarts(t *testing.T) {
	t.Parallel()
	w := newWindow(4)
	for i := range 4 {
		w.record(time.Duration(i) * 100 * time.Millisecond) // 0, 100, 200, 300 ms
	}
	small := w.resized(newWindow(2))
	// The two newest starts (200, 300 ms) count: the next may start at 1.2 s.
	if got, want := small.allowedAt(), 1200*time.Millisecond; got != want {
		t.Errorf("resized to 2/s: allowedAt = %v, want %v", got, want)
	}
	big := w.resized(newWindow(8))
	if got := big.allowedAt(); got > 0 {
		t.Errorf("resized to 8/s after 4 starts: allowedAt = %v, want now", got)
	}
	for range 4 {
		big.record(400 * time.Millisecond)
	}
	if got, want := big.allowedAt(), time.Second; got != want {
		t.Errorf("resized to 8/s after 8 starts: allowedAt = %v, want %v", got, want)
	}
}

// crowdedWindow reports the first i at which starts[i+limit] falls within
// span of starts[i], i.e. limit+1 starts in one half-open window of length
// span. starts need not be sorted.
func crowdedWindow(starts []time.Duration, limit int, span time.Duration) (int, bool) {
	s := slices.Clone(starts)
	slices.Sort(s)
	for i := 0; i+limit < len(s); i++ {
		if s[i+limit]-s[i] < span {
			return i, true
		}
	}
	return 0, false
}
