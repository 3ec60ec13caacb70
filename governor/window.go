package governor

import (
	"math"
	"time"
)

// maxLog caps the number of start times a window remembers, so a budget
// raised far above Clover's documented one (or a benchmark's "unlimited"
// budget) cannot cost megabytes per token.
const maxLog = 256

// maxSpan is the longest window kept: one start a day.
const maxSpan = 24 * time.Hour

// never is a start time so far in the past that it never limits anything,
// yet far enough from math.MinInt64 that adding a span cannot overflow.
const never = time.Duration(math.MinInt64 / 4)

// window is a strict sliding-window rate limit: a start is allowed at now
// only if fewer than len(starts) starts happened in (now-span, now]. It keeps
// the last len(starts) start times in a ring, so the check is one comparison
// with the oldest of them.
//
// For a budget of N per second with N <= maxLog, the ring holds N starts and
// span is one second: exact. Above maxLog the second is cut into m equal
// spans of at most k = floor(N/m) starts each; any one-second window is
// covered by m spans, so it still sees at most m*k <= N starts. Below one per
// second the ring holds one start and span is 1/rps.
type window struct {
	starts []time.Duration // ring of the most recent start times; never if unused
	next   int             // index of the oldest start, overwritten next
	span   time.Duration
}

// newWindow returns a window allowing at most floor(rps) starts in any one
// second (one per 1/rps seconds below 1). A non-finite or huge rps means no
// rate limit.
func newWindow(rps float64) window {
	switch {
	case math.IsInf(rps, 1) || rps >= float64(math.MaxInt32)*maxLog:
		return window{}
	case rps < 1:
		// Below one a day is treated as one a day, so the span fits a
		// Duration.
		span := math.Min(math.Ceil(float64(time.Second)/rps), float64(maxSpan))
		return newRing(1, time.Duration(span))
	}
	n := int(rps)
	m := (n + maxLog - 1) / maxLog // spans per second
	k := n / m                     // starts per span
	span := (time.Second + time.Duration(m) - 1) / time.Duration(m)
	return newRing(k, span)
}

func newRing(k int, span time.Duration) window {
	w := window{starts: make([]time.Duration, k), span: span}
	for i := range w.starts {
		w.starts[i] = never
	}
	return w
}

// allowedAt returns the earliest time a new start fits in the window.
func (w *window) allowedAt() time.Duration {
	if len(w.starts) == 0 {
		return never
	}
	return w.starts[w.next] + w.span
}

// record notes a start at now, which must not be earlier than any recorded.
func (w *window) record(now time.Duration) {
	if len(w.starts) == 0 {
		return
	}
	w.starts[w.next] = now
	w.next++
	if w.next == len(w.starts) {
		w.next = 0
	}
}

// idle reports whether no recorded start still counts at now, so forgetting
// the window changes nothing.
func (w *window) idle(now time.Duration) bool {
	if len(w.starts) == 0 {
		return true
	}
	last := w.next - 1
	if last < 0 {
		last = len(w.starts) - 1
	}
	return w.starts[last]+w.span <= now
}

// resized returns a window with the limits of nw that keeps w's most recent
// starts, so changing a token's budget does not forget what it just spent.
func (w *window) resized(nw window) window {
	if len(w.starts) == 0 || len(nw.starts) == 0 {
		return nw
	}
	k := min(len(w.starts), len(nw.starts))
	// Copy the k newest starts, oldest first, into the tail of nw's ring,
	// whose oldest entries (at index 0 on) stay never.
	for i := range k {
		src := (w.next - k + i + len(w.starts)) % len(w.starts)
		nw.starts[len(nw.starts)-k+i] = w.starts[src]
	}
	nw.next = 0
	return nw
}
