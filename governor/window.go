package governor

import (
	"math"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// maxLog caps the number of slots a window has, so a budget raised far
// above Clover's documented one (or a benchmark's "unlimited" budget) cannot
// cost megabytes per token.
const maxLog = 256

// maxSpan is the longest window kept: one call a day.
const maxSpan = 24 * time.Hour

// never is a time so far in the past that it never limits anything, yet far
// enough from math.MinInt64 that adding a span cannot overflow.
const never = time.Duration(math.MinInt64 / 4)

// blocked is what allowedAt returns when no amount of waiting frees a slot:
// every slot is held by a call in flight, and only a release helps.
const blocked = time.Duration(math.MaxInt64)

// window is a rate limit that bounds when requests ARRIVE at Clover, though
// the governor only sees when calls start and when they are released. A call
// holds one of limit slots from the moment it starts until span after it is
// released; a start is allowed only while a slot is free. Because a request
// arrives after its start and before its release, every request arriving in
// (t-span, t] belongs to a call holding a slot at t, so no more than limit
// requests arrive in any span, whatever the network delays (see doc.go).
//
// It keeps the number of calls in flight and a ring of the release times
// whose slots are still held, oldest first; releases are recorded in time
// order, so the next slot to free is found by index.
//
// For a budget of N per second with N <= maxLog, there are N slots and span
// is one second: exact. Above maxLog the second is cut into m equal spans of
// k = floor(N/m) slots each; a request arriving in a one-second window
// arrives within one of m spans, each of which sees at most k, so at most
// m*k <= N. Below one per second there is one slot and span is 1/rps.
type window struct {
	limit    int             // slots; 0 means no rate limit
	span     time.Duration   // how long a slot stays held after its release
	inflight int             // calls started and not yet released
	ends     []time.Duration // ring of release times whose slots are held
	head, n  int             // oldest release in ends, and how many there are
}

// newWindow returns a window allowing at most floor(rps) requests to arrive
// in any one second (one per 1/rps seconds below 1). A non-finite or huge rps
// means no rate limit.
func newWindow(rps float64) window {
	switch {
	case math.IsInf(rps, 1) || rps >= float64(math.MaxInt32)*maxLog:
		return window{}
	case rps < 1:
		// Below one a day is treated as one a day, so the span fits a
		// Duration.
		span := math.Min(math.Ceil(float64(time.Second)/rps), float64(maxSpan))
		return newSlots(1, time.Duration(span))
	}
	n := int(rps)
	m := (n + maxLog - 1) / maxLog // spans per second
	k := n / m                     // slots per span
	span := (time.Second + time.Duration(m) - 1) / time.Duration(m)
	return newSlots(k, span)
}

func newSlots(k int, span time.Duration) window {
	return window{limit: k, span: span, ends: make([]time.Duration, k)}
}

// allowedAt returns the earliest time a new call may start (never if at
// once), or blocked if every slot is held by a call in flight.
func (w *window) allowedAt() time.Duration { return w.allowedAtKeeping(0) }

// allowedAtKeeping is allowedAt for a call that must leave keep slots free
// (for more urgent calls; keep < limit).
func (w *window) allowedAtKeeping(keep int) time.Duration {
	if w.limit == 0 {
		return never
	}
	limit := w.limit - keep
	if w.inflight >= limit {
		return blocked
	}
	// Slots held: inflight + n. For one to be free, the oldest
	// inflight+n-limit+1 released slots must have expired.
	i := w.inflight + w.n - limit
	if i < 0 {
		return never
	}
	return w.ends[(w.head+i)%len(w.ends)] + w.span
}

// keep is how many slots a call of priority p leaves free for money: one,
// when the limit has more than one, for any call that is not money, so a
// money movement finds a slot at once even while background work has taken
// all the others.
func keep(limit int, p clover.Priority) int {
	if p == clover.PriorityMoney || limit <= 1 {
		return 0
	}
	return 1
}

// start takes a slot for a call starting now.
func (w *window) start() { w.inflight++ }

// unstart gives back the slot of a call that was started but never made.
func (w *window) unstart() { w.inflight-- }

// release notes that a call in flight was released at now: its slot stays
// held until now+span.
func (w *window) release(now time.Duration) { w.releaseAt(now, now) }

// releaseAt notes that a call in flight was released at now: its slot stays
// held until ref+span, ref being no later than now (its release, or an
// earlier bound on its request's arrival). The ring stays sorted: a ref
// earlier than recorded ones is inserted in place.
func (w *window) releaseAt(now, ref time.Duration) {
	w.inflight--
	if w.limit == 0 {
		return
	}
	w.prune(now)
	if ref+w.span <= now {
		return // its slot is already free
	}
	if w.n == len(w.ends) {
		w.grow()
	}
	i := w.n
	for i > 0 && w.ends[(w.head+i-1)%len(w.ends)] > ref {
		w.ends[(w.head+i)%len(w.ends)] = w.ends[(w.head+i-1)%len(w.ends)]
		i--
	}
	w.ends[(w.head+i)%len(w.ends)] = ref
	w.n++
}

// prune forgets the releases whose slots are free at now.
func (w *window) prune(now time.Duration) {
	for w.n > 0 && w.ends[w.head]+w.span <= now {
		w.head++
		if w.head == len(w.ends) {
			w.head = 0
		}
		w.n--
	}
}

// grow doubles the ring, when more slots are held than it has room for.
func (w *window) grow() {
	ends := make([]time.Duration, max(1, 2*len(w.ends)))
	for i := range w.n {
		ends[i] = w.ends[(w.head+i)%len(w.ends)]
	}
	w.ends, w.head = ends, 0
}

// idle reports whether no slot is held at now, so forgetting the window
// changes nothing.
func (w *window) idle(now time.Duration) bool {
	if w.inflight != 0 {
		return false
	}
	if w.n == 0 {
		return true
	}
	last := w.ends[(w.head+w.n-1)%len(w.ends)]
	return last+w.span <= now
}
