package governor

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// sweepEvery is how often Acquire forgets idle token and app state, so a
// service that sees many merchants over months does not grow without bound.
const sweepEvery = time.Minute

// Local is the in-process clover.Governor: one instance's view of Clover's
// budget, per token and per app. Each of those has a rate limit of N slots
// and a limit on calls in flight. A call holds a rate slot from its start
// until one second after its release, so no more than N of its requests can
// arrive at Clover in any one second, however long the network takes to
// deliver them (see the package doc for why, and what it costs).
//
// Waiters queue per token by priority (clover.BudgetKey.Priority: money,
// then order syncs, then background), FIFO within one, and wait until
// their context ends. The app budget goes to every token's waiting money
// first, then order syncs, then the rest; within a class, tokens whose
// heads wait only for the shared app budget take it in round-robin order,
// so a merchant with a hundred queued calls cannot starve one with a single
// call; a token held back by its own budget never holds back another. A
// call that is not money leaves one slot of each budget (rate and in
// flight, token and app, when there are several) to money, so under
// overload a money movement starts at once instead of waiting behind
// background calls that hold every slot.
// The rotation is per token, not per clover.BudgetKey.Merchant: Clover
// budgets tokens, and a merchant normally has one token per app.
//
// All state sits behind one mutex; an Acquire that need not wait takes it
// once and starts no goroutine. Timers wake the queue when rate capacity
// returns. Time comes from the runtime's monotonic clock rather than an
// injectable Now, because waiting needs timers that agree with the clock;
// tests use testing/synctest. Create it with NewLocal; the zero value is not
// ready.
type Local struct {
	// Logger receives debug records about waits that end with the context.
	// Keys carry token fingerprints only. Defaults to discarding; nil
	// discards too.
	Logger *slog.Logger

	// OnWait, if set, is called after every successful Acquire with how
	// long it waited (zero when it did not), for a wait metric. It runs on
	// the caller's goroutine with no lock held.
	OnWait func(key clover.BudgetKey, waited time.Duration)

	// ArrivalMargin bounds how long after being written a request may
	// arrive at Clover, for AcquireSent (default 50ms): a call's rate slot
	// frees one second after the earlier of its release and its write
	// time plus the margin, instead of one second after its release, so a
	// slot costs one second plus the margin rather than one second plus
	// the call's latency. Zero or negative: from the release only.
	ArrivalMargin time.Duration

	mu        sync.Mutex
	budget    clover.Budget
	epoch     time.Time
	apps      map[string]*appState
	tokens    map[tokenKey]*tokenState
	lastSweep time.Duration
}

var _ clover.SentGovernor = (*Local)(nil)

// NewLocal returns a governor spending budget b for every app and token.
// Fields of b that are zero (or invalid) take clover.DefaultBudget's value;
// an RPS of +Inf means no rate limit.
func NewLocal(b clover.Budget) *Local {
	return &Local{
		Logger:        slog.New(slog.DiscardHandler),
		ArrivalMargin: 50 * time.Millisecond,
		budget:        normalize(b),
		epoch:         time.Now(),
		apps:          make(map[string]*appState),
		tokens:        make(map[tokenKey]*tokenState),
	}
}

// Acquire waits until a call for key may start within the token's and the
// app's budget, then returns a release func, to be called once the call's
// response has been read: it frees the call's concurrency slot at once and
// its rate slot one second later (calling it again does nothing). If ctx
// ends before Acquire returns it returns ctx's error, having spent nothing:
// no rate, no slot, no place that a later waiter would have to wait behind.
// That holds even if the call was granted as ctx ended, since such a call is
// never made; a ctx that ends after Acquire returns cannot be told apart from
// a call that was sent, so its release holds the rate slot as usual.
func (l *Local) Acquire(ctx context.Context, key clover.BudgetKey) (func(), error) {
	ts, err := l.acquire(ctx, key)
	if err != nil {
		return nil, err
	}
	rel := l.releaser(ts)
	return func() { rel(time.Time{}) }, nil
}

// AcquireSent is Acquire whose release func is told when the call's request
// was written: its rate slot then frees one second after the earlier of its
// release and wrote + ArrivalMargin (a zero wrote means the release).
func (l *Local) AcquireSent(ctx context.Context, key clover.BudgetKey) (func(wrote time.Time), error) {
	ts, err := l.acquire(ctx, key)
	if err != nil {
		return nil, err
	}
	return l.releaser(ts), nil
}

func (l *Local) acquire(ctx context.Context, key clover.BudgetKey) (*tokenState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	now := l.now()
	if now-l.lastSweep >= sweepEvery {
		l.sweep(now)
	}
	ts := l.token(key)
	as := ts.app
	if as.waiting > 0 {
		// Earlier waiters of other tokens go first if capacity has
		// just returned and their timer has not fired yet.
		l.dispatch(as, now)
	}
	if ts.head == nil {
		if ok, _ := ts.canStart(now, key.Priority); ok {
			ts.start()
			l.mu.Unlock()
			if l.OnWait != nil {
				l.OnWait(key, 0)
			}
			return ts, nil
		}
	}
	w := &waiter{prio: key.Priority, ready: make(chan struct{}), since: now}
	ts.push(w)
	as.waiting++
	if !ts.inRotation {
		ts.inRotation = true
		as.rotation = append(as.rotation, ts)
	}
	l.dispatch(as, now) // arms the timer if rate is what blocks
	l.mu.Unlock()

	select {
	case <-w.ready:
	case <-ctx.Done():
	}
	if err := ctx.Err(); err != nil {
		l.mu.Lock()
		if w.granted {
			// Admitted as ctx ended: the call will not be made, so
			// it gives back its slots rather than hold a rate slot
			// for a request that never arrives.
			ts.unstart()
		} else {
			ts.remove(w)
			as.waiting--
		}
		l.dispatch(as, l.now())
		l.mu.Unlock()
		if l.Logger != nil {
			l.Logger.DebugContext(ctx, "clover budget wait ended by context",
				slog.String("app", key.App), slog.String("token", key.Token),
				slog.Duration("waited", l.now()-w.since))
		}
		return nil, err
	}
	if l.OnWait != nil {
		l.OnWait(key, w.at-w.since)
	}
	return ts, nil
}

// releaser returns the release func for one started call of ts. The release
// time is read under l.mu.
func (l *Local) releaser(ts *tokenState) func(wrote time.Time) {
	done := false
	return func(wrote time.Time) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if done {
			return
		}
		done = true
		now := l.now()
		ref := now
		if !wrote.IsZero() && l.ArrivalMargin > 0 {
			ref = min(now, wrote.Sub(l.epoch)+l.ArrivalMargin)
		}
		ts.finish(now, ref)
		if ts.app.waiting > 0 {
			l.dispatch(ts.app, now)
		}
	}
}

// token returns key's state, creating it and its app's state if needed.
// l.mu must be held.
func (l *Local) token(key clover.BudgetKey) *tokenState {
	k := tokenKey{app: key.App, token: key.Token}
	if ts, ok := l.tokens[k]; ok {
		return ts
	}
	as, ok := l.apps[key.App]
	if !ok {
		as = &appState{
			rate: newWindow(l.budget.AppRPS),
			conc: l.budget.AppConcurrent,
		}
		l.apps[key.App] = as
	}
	rps, conc := l.budget.Token(key.Merchant)
	ts := &tokenState{app: as, rate: newWindow(rps), conc: conc}
	as.tokens++
	l.tokens[k] = ts
	return ts
}

// now is the time on the governor's monotonic clock. Whoever records a
// release reads it with l.mu held, so releases are recorded in time order.
func (l *Local) now() time.Duration { return time.Since(l.epoch) }
