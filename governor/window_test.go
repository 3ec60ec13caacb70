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
		if w.limit != tt.k || w.span != tt.span {
			t.Errorf("newWindow(%v) = %d slots per %v, want %d per %v", tt.rps, w.limit, w.span, tt.k, tt.span)
		}
	}
	if w := newWindow(1e9); w.limit > maxLog || w.limit == 0 {
		t.Errorf("newWindow(1e9) has %d slots, want 1..%d", w.limit, maxLog)
	}
}

// call is one call's start and release, on some clock.
type call struct{ start, end time.Duration }

// crowdedCalls reports a time at which more than limit calls are "live in
// the window": started by at and released after at-span. A request arrives
// between its call's start and release, so those are exactly the calls whose
// requests could arrive in (at-span, at]; at most limit of them means at most
// limit arrivals in any span, wherever in its call each request arrived.
// Equivalently: calls in flight at at, plus calls released in (at-span, at].
// The count only rises at a start, so checking every start is enough.
func crowdedCalls(calls []call, limit int, span time.Duration) (at time.Duration, n int, crowded bool) {
	// Live at t: started by t, minus those released by t-span (a call
	// released by then started by then too).
	starts := make([]time.Duration, len(calls))
	ends := make([]time.Duration, len(calls))
	for i, c := range calls {
		starts[i], ends[i] = c.start, c.end
	}
	slices.Sort(starts)
	slices.Sort(ends)
	gone := 0
	for i, t := range starts {
		for gone < len(ends) && ends[gone] <= t-span {
			gone++
		}
		// Calls starting at the same instant as starts[i] count too.
		j := i
		for j+1 < len(starts) && starts[j+1] == t {
			j++
		}
		if n := j + 1 - gone; n > limit {
			return t, n, true
		}
	}
	return 0, 0, false
}

// simulate drives w for d with callers that want a call about every
// 1/(2*rps) (twice the budget, so the window is what paces them), each call
// lasting latency(r). It returns the calls as the window let them happen.
func simulate(w *window, rps float64, d time.Duration, r *rand.Rand, latency func(*rand.Rand) time.Duration) []call {
	var (
		calls    []call
		inflight []time.Duration // release times of calls in flight
	)
	releaseUntil := func(t time.Duration) {
		slices.Sort(inflight)
		for len(inflight) > 0 && inflight[0] <= t {
			w.release(inflight[0])
			inflight = inflight[1:]
		}
	}
	gap := int64(time.Second / time.Duration(max(rps, 1)))
	want := time.Duration(0)
	for want < d {
		want += time.Duration(r.Int64N(gap))
		t := want
		for {
			releaseUntil(t)
			at := w.allowedAt()
			if at <= t {
				break
			}
			// Wait for the slot or the next release, whichever is first.
			next := at
			if len(inflight) > 0 {
				next = min(next, inflight[0])
			}
			t = next
		}
		w.start()
		end := t + latency(r)
		inflight = append(inflight, end)
		calls = append(calls, call{t, end})
		want = t
	}
	releaseUntil(math.MaxInt64)
	return calls
}

// TestWindowBoundsArrivals runs greedy callers with and without latency and
// checks that no window of one second (1/rps below 1 rps) holds more live
// calls than the budget, so no more arrivals, and that the window is not
// stingier than its rule: a slot is reused once its call is a span past its
// release.
func TestWindowBoundsArrivals(t *testing.T) {
	t.Parallel()
	const d = 20 * time.Second
	latencies := map[string]struct {
		f   func(*rand.Rand) time.Duration
		max time.Duration
	}{
		"instant": {func(*rand.Rand) time.Duration { return 0 }, 0},
		"up to 300ms": {func(r *rand.Rand) time.Duration {
			return time.Duration(r.Int64N(int64(300 * time.Millisecond)))
		}, 300 * time.Millisecond},
		"some over 1s": {func(r *rand.Rand) time.Duration {
			return time.Duration(r.Int64N(int64(1500 * time.Millisecond)))
		}, 1500 * time.Millisecond},
	}
	for name, lat := range latencies {
		for _, rps := range []float64{0.5, 1, 3, 16, 50, 255, 256, 257, 1000, 5000} {
			w := newWindow(rps)
			r := rand.New(rand.NewPCG(1, uint64(rps*10)))
			calls := simulate(&w, rps, d, r, lat.f)
			limit, span := int(rps), time.Second
			if rps < 1 {
				limit, span = 1, time.Duration(float64(time.Second)/rps)
			}
			if at, n, ok := crowdedCalls(calls, limit, span); ok {
				t.Errorf("%s, rps %v: %d calls live in the %v before %v, want at most %d", name, rps, n, span, at, limit)
			}
			// Every slot turns over at least once per span + latency +
			// the callers' largest gap, so at least that many calls.
			cycle := w.span + lat.max + time.Second/time.Duration(max(rps, 1))
			if got, want := float64(len(calls)), 0.9*float64(d)/float64(cycle)*float64(w.limit); got < want {
				t.Errorf("%s, rps %v: %v calls in %v, want at least %.0f", name, rps, got, d, want)
			}
			if w.inflight != 0 || !w.idle(d+time.Hour) {
				t.Errorf("%s, rps %v: %d in flight after all released, idle %v", name, rps, w.inflight, w.idle(d+time.Hour))
			}
		}
	}
}

// TestWindowSlowCallHoldsSlot: a call's slot is held while it is in flight
// and for a span after its release, not a span after its start.
func TestWindowSlowCallHoldsSlot(t *testing.T) {
	t.Parallel()
	w := newWindow(2)
	w.start() // at 0, slow
	w.start() // at 0, instant
	if got := w.allowedAt(); got != blocked {
		t.Fatalf("both slots in flight: allowedAt = %v, want blocked", got)
	}
	w.release(0)
	if got, want := w.allowedAt(), time.Second; got != want {
		t.Errorf("instant call released at 0: allowedAt = %v, want %v", got, want)
	}
	w.start() // at 1 s, in the instant call's slot
	w.release(1500 * time.Millisecond)
	w.release(1500 * time.Millisecond) // the slow call, 1.5 s late
	if got, want := w.allowedAt(), 2500*time.Millisecond; got != want {
		t.Errorf("slow call released at 1.5s: allowedAt = %v, want %v", got, want)
	}
	if w.idle(2400*time.Millisecond) || !w.idle(2500*time.Millisecond) {
		t.Errorf("idle at 2.4s = %v, at 2.5s = %v; want false, true", w.idle(2400*time.Millisecond), w.idle(2500*time.Millisecond))
	}
}

// TestWindowUnstart: a call given back before it is made holds no slot.
func TestWindowUnstart(t *testing.T) {
	t.Parallel()
	w := newWindow(1)
	w.start()
	w.unstart()
	if got := w.allowedAt(); got > 0 {
		t.Errorf("after unstart: allowedAt = %v, want now", got)
	}
	if !w.idle(0) {
		t.Error("after unstart: not idle")
	}
}

func TestWindowIdle(t *testing.T) {
	t.Parallel()
	w := newWindow(2)
	if !w.idle(0) {
		t.Fatal("fresh window not idle")
	}
	w.start()
	if w.idle(time.Hour) {
		t.Error("idle with a call in flight")
	}
	w.release(100 * time.Millisecond)
	if w.idle(time.Second) {
		t.Error("idle 900ms after a release in a 1s window")
	}
	if !w.idle(1100 * time.Millisecond) {
		t.Error("not idle 1s after its last release")
	}
}

// crowdedWindow reports the first i at which starts[i+limit] falls within
// span of starts[i], i.e. limit+1 instants in one half-open window of length
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
