package governor

import (
	"time"

	"github.com/paybridge/paybridge/clover"
)

// tokenKey names one token's state. The app is part of the key because
// Clover counts a token's budget for the app that holds it.
type tokenKey struct {
	app, token string
}

// appState is one app's shared budget and the tokens queueing for it.
type appState struct {
	rate     window
	conc     int
	inflight int
	waiting  int // waiters across all of the app's tokens
	tokens   int // token states that point here, for garbage collection

	// rotation holds the tokens that have waiters, in round-robin order:
	// the shared app budget goes to their heads in turn, so one busy token
	// cannot starve the others. A token leaves lazily, when dispatch finds
	// its queue empty.
	rotation []*tokenState

	timer   *time.Timer   // wakes dispatch when rate capacity returns
	timerAt time.Duration // when timer fires, if armed
	armed   bool
}

// tokenState is one token's budget and its FIFO queue of waiters.
type tokenState struct {
	app        *appState
	rate       window
	conc       int
	inflight   int
	head, tail *waiter
	inRotation bool
}

// waiter is one blocked Acquire. Its fields after prev/next are written
// under Local.mu; ready is closed once granted is set.
type waiter struct {
	prev, next *waiter
	prio       clover.Priority
	ready      chan struct{}
	granted    bool
	since, at  time.Duration // when it queued and when it was admitted
}

// push queues w behind every waiter of its priority or a more urgent one
// and ahead of every less urgent one: the queue is FIFO within a priority.
func (ts *tokenState) push(w *waiter) {
	at := ts.tail
	for at != nil && at.prio > w.prio {
		at = at.prev
	}
	w.prev = at
	if at == nil {
		w.next = ts.head
		ts.head = w
	} else {
		w.next = at.next
		at.next = w
	}
	if w.next == nil {
		ts.tail = w
	} else {
		w.next.prev = w
	}
}

func (ts *tokenState) remove(w *waiter) {
	if w.prev == nil {
		ts.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		ts.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next = nil, nil
}

// canStart reports whether a call of priority p for ts may start at now
// without exceeding the token's or the app's budget, less what it must
// leave to money (keep), and if not, when rate capacity returns (0 when
// only a release can help).
func (ts *tokenState) canStart(now time.Duration, p clover.Priority) (ok bool, retryAt time.Duration) {
	as := ts.app
	if ts.inflight >= ts.conc-keep(ts.conc, p) || as.inflight >= as.conc-keep(as.conc, p) {
		return false, 0
	}
	at := max(ts.rate.allowedAtKeeping(keep(ts.rate.limit, p)), as.rate.allowedAtKeeping(keep(as.rate.limit, p)))
	switch {
	case at == blocked:
		return false, 0
	case at > now:
		return false, at
	}
	return true, 0
}

// start spends one call of ts's and its app's budget: a concurrency slot
// and a rate slot of each.
func (ts *tokenState) start() {
	ts.inflight++
	ts.app.inflight++
	ts.rate.start()
	ts.app.rate.start()
}

// finish ends a started call, released at now: its concurrency slots free
// at once, its rate slots one span after ref (now, or an earlier bound on
// when its request arrived).
func (ts *tokenState) finish(now, ref time.Duration) {
	ts.inflight--
	ts.app.inflight--
	ts.rate.releaseAt(now, ref)
	ts.app.rate.releaseAt(now, ref)
}

// unstart gives back everything start spent, for a call that was granted
// but will never be made: no request can arrive, so no rate slot stays held.
func (ts *tokenState) unstart() {
	ts.inflight--
	ts.app.inflight--
	ts.rate.unstart()
	ts.app.rate.unstart()
}

// idle reports whether forgetting ts changes nothing: no calls in flight,
// nobody waiting and no rate slot still held by a released call.
func (ts *tokenState) idle(now time.Duration) bool {
	return ts.inflight == 0 && ts.head == nil && ts.rate.idle(now)
}

func (as *appState) idle(now time.Duration) bool {
	return as.tokens == 0 && as.inflight == 0 && as.waiting == 0 && as.rate.idle(now)
}

// normalize fills the unset or invalid fields of b from clover.DefaultBudget.
func normalize(b clover.Budget) clover.Budget {
	d := clover.DefaultBudget
	if !(b.TokenRPS > 0) {
		b.TokenRPS = d.TokenRPS
	}
	if b.TokenConcurrent <= 0 {
		b.TokenConcurrent = d.TokenConcurrent
	}
	if !(b.AppRPS > 0) {
		b.AppRPS = d.AppRPS
	}
	if b.AppConcurrent <= 0 {
		b.AppConcurrent = d.AppConcurrent
	}
	return b
}
