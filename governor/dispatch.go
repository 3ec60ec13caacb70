package governor

import (
	"time"

	"github.com/paybridge/paybridge/clover"
)

// dispatch admits every waiter of as's tokens that may start at now, and
// arms as's timer for when rate capacity next returns to a blocked head.
// Only heads of token queues are admitted (each queue is ordered by
// priority, FIFO within one). The app budget goes by priority: every head
// of the most urgent class first, then the next class. Within a class it
// goes to tokens in round-robin order: each token visited, served or not,
// moves to the back of the rotation, so the next unit of app budget goes to
// the token after the last one visited, and a token held back by its own
// budget is skipped without holding back the others. Each pass admits at
// most one call per token. l.mu must be held.
//
// Invariant on return: no waiting head could start at now.
func (l *Local) dispatch(as *appState, now time.Duration) {
	wake := time.Duration(0) // earliest time a token's rate frees a head; 0 = none
	for class := range clover.Priority(clover.NumPriorities) {
		if !l.dispatchClass(as, now, class, &wake) {
			return
		}
	}
	if wake > 0 {
		l.arm(as, now, wake)
	} else if as.waiting == 0 && as.armed {
		as.timer.Stop()
		as.armed = false
	}
}

// dispatchClass admits the heads of priority class or more urgent that may
// start at now, lowering *wake to when a blocked one's token rate frees. It
// returns false if the app's budget is spent (nothing at all can start: the
// timer is armed, or a release will dispatch).
func (l *Local) dispatchClass(as *appState, now time.Duration, class clover.Priority, wake *time.Duration) bool {
	for {
		admitted := false
		for n := len(as.rotation); n > 0; n-- {
			if as.inflight >= as.conc {
				return false // only a release helps, and it dispatches
			}
			if at := as.rate.allowedAt(); at > now {
				if at != blocked {
					l.arm(as, now, at)
				} // else every app slot is in flight: a release dispatches
				return false
			}
			ts := as.rotation[0]
			as.rotation[0] = nil
			as.rotation = as.rotation[1:]
			if ts.head == nil {
				ts.inRotation = false
				continue
			}
			if ts.head.prio <= class {
				ok, at := ts.canStart(now, ts.head.prio)
				if ok {
					l.grant(ts, now)
					admitted = true
				} else if at > 0 && (*wake == 0 || at < *wake) {
					*wake = at
				}
			}
			if ts.head == nil {
				ts.inRotation = false
			} else {
				as.rotation = append(as.rotation, ts)
			}
		}
		if !admitted {
			return true
		}
	}
}

// grant starts the call of ts's head waiter and wakes it. l.mu must be held.
func (l *Local) grant(ts *tokenState, now time.Duration) {
	w := ts.head
	ts.remove(w)
	ts.app.waiting--
	ts.start()
	w.granted = true
	w.at = now
	close(w.ready)
}

// arm makes sure as's timer fires by at. An earlier armed time is kept: the
// dispatch it runs re-arms for whatever is still blocked. l.mu must be held.
func (l *Local) arm(as *appState, now, at time.Duration) {
	if as.armed && as.timerAt <= at {
		return
	}
	d := at - now
	if as.timer == nil {
		as.timer = time.AfterFunc(d, func() { l.wake(as) })
	} else {
		as.timer.Reset(d)
	}
	as.armed = true
	as.timerAt = at
}

// wake runs when as's timer fires.
func (l *Local) wake(as *appState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	as.armed = false
	l.dispatch(as, l.now())
}

// sweep forgets token and app state that is idle at now: nothing in flight,
// nobody waiting, no rate slot still held. A new call for a forgotten key
// starts from fresh state, which behaves exactly as the forgotten one would
// have. l.mu must be held.
func (l *Local) sweep(now time.Duration) {
	l.lastSweep = now
	for k, ts := range l.tokens {
		if ts.idle(now) {
			delete(l.tokens, k)
			ts.app.tokens--
		}
	}
	for name, as := range l.apps {
		if as.idle(now) {
			if as.timer != nil {
				as.timer.Stop()
			}
			delete(l.apps, name)
		}
	}
}
