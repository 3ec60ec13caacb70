package governor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/paybridge/paybridge/clover"
)

// Redis is the clover.Governor shared by every paybridge instance of one
// deployment: the budget of each token and of the app lives in Redis, so N
// instances together stay inside Clover's limits (CLOVER.md §8).
//
// Rate: a call holds one of the budget's N slots from its grant until one
// second after a reference time that no later than the request's arrival at
// Clover can be: its release (arrival precedes the response), or, when the
// client reports when the request was written (clover.SentGovernor), the
// write time plus ArrivalMargin, whichever is earlier. Any request arriving
// in (t-1s, t] still holds its slot at t, so at most N arrive in any second
// (the argument of doc.go, with "release" replaced by a tighter bound). A
// GCRA limiter (redis_rate) bounds when calls start, not when they arrive,
// and lets a burst through on top of the rate, so it is not used.
//
// Concurrency: a lease per call in flight, with a deadline (LeaseTTL) so
// the leases of an instance that died free themselves, held ConcurrencyGrace
// past the release. Both checks and all
// bookkeeping run in one Lua script on Redis's clock (TIME).
//
// Waiting: calls of one token on one instance queue by priority (money,
// then order syncs, then background; FIFO within one) and only the head
// asks Redis, again when the script says a slot frees, when a call of the
// same app is released on this instance, or after PollEvery at the latest
// (for releases on other instances); a head Redis refused yields to a more
// urgent call that queued meanwhile. Across tokens the app budget is shared
// fairly (see acquireScript). A call that is not money leaves one slot of
// every budget to money in the script, which is what serves money first
// across instances: another instance's background calls can never take the
// last slot.
//
// Redis down: when a script call fails, the instance switches to a Local
// governor holding its share of the budget (1/n of every limit, n the
// number of live instances Redis last reported, at least MinInstances),
// logs a warning and calls OnFallback(true). Its first local grant waits
// until the slots taken through Redis have expired: two seconds, and one
// second (plus margin) after its own Redis-granted calls were released.
// While down it probes Redis, at most every ProbeEvery, when it has calls
// to make (an idle instance spends nothing, so it need not know); once
// Redis answers, calls pass both governors for a grace period, so the
// other instances still on their local share have time to notice too. A
// 429 from Clover is honoured by the client (Retry-After) whatever the
// governor's mode.
//
// Create it with NewRedis; the zero value is not ready.
type Redis struct {
	// Prefix starts every key (default "paybridge:gov").
	Prefix string
	// Instance names this instance in the live-instance count (default
	// random).
	Instance string
	// ArrivalMargin bounds how long after its write a request may arrive
	// at Clover (default 50ms). Zero or negative: rate slots count from
	// the release only, as Local does.
	ArrivalMargin time.Duration
	// ConcurrencyGrace is how long after its release a call still counts
	// as in flight (default 25ms): Clover's count of a request ends when
	// its handler returns, which can be after the client has read the
	// answer and started the next call.
	ConcurrencyGrace time.Duration
	// LeaseTTL bounds a call in flight; it must exceed the Clover client's
	// timeout (default 2m).
	LeaseTTL time.Duration
	// PollEvery is the longest a waiting head sleeps between asks (default
	// 20ms).
	PollEvery time.Duration
	// CallTimeout bounds one script call; past it Redis counts as down
	// (default 500ms).
	CallTimeout time.Duration
	// ProbeEvery is how often a fallen-back instance tries Redis again
	// (default 500ms).
	ProbeEvery time.Duration
	// MinInstances is the least number of instances the local share assumes
	// (default 1): set it to the deployment's size when Redis may be down
	// at start.
	MinInstances int
	// Logger receives mode changes (warn: fallen back; info: recovered).
	Logger *slog.Logger
	// OnWait is called after every successful Acquire with its wait.
	OnWait func(key clover.BudgetKey, waited time.Duration)
	// OnFallback is called with true when the instance falls back to its
	// local share and false when Redis is used again.
	OnFallback func(active bool)

	client redis.UniversalClient
	budget clover.Budget

	mu        sync.Mutex
	heads     map[tokenKey]*head
	wakes     map[string]chan struct{} // by app: closed on a local release
	instances int                      // live instances Redis last reported
	fallback  *Local                   // non-nil while down or in grace
	down      bool
	lastProbe time.Time
	graceEnd  time.Time
	quietEnd  time.Time // no local grant before (see fallBack)
	// Calls granted through Redis on this instance still in flight, and
	// when the last one was released: their rate slots are unknown to the
	// fallback Local.
	redisCalls   int
	redisRelease time.Time
}

var _ clover.SentGovernor = (*Redis)(nil)

// NewRedis returns a governor spending budget b (zero fields take
// clover.DefaultBudget's) through client.
func NewRedis(client redis.UniversalClient, b clover.Budget) *Redis {
	var id [8]byte
	_, _ = rand.Read(id[:])
	return &Redis{
		Prefix:           "paybridge:gov",
		Instance:         hex.EncodeToString(id[:]),
		ArrivalMargin:    50 * time.Millisecond,
		ConcurrencyGrace: 25 * time.Millisecond,
		LeaseTTL:         2 * time.Minute,
		PollEvery:        20 * time.Millisecond,
		CallTimeout:      500 * time.Millisecond,
		ProbeEvery:       500 * time.Millisecond,
		MinInstances:     1,
		Logger:           slog.New(slog.DiscardHandler),
		client:           client,
		budget:           normalize(b),
		heads:            map[tokenKey]*head{},
		wakes:            map[string]chan struct{}{},
	}
}

// Acquire is AcquireSent without a write time: the release bounds arrival.
func (g *Redis) Acquire(ctx context.Context, key clover.BudgetKey) (func(), error) {
	rel, err := g.AcquireSent(ctx, key)
	if err != nil {
		return nil, err
	}
	return func() { rel(time.Time{}) }, nil
}

// AcquireSent waits until a call for key may start within the token's and
// the app's budget across all instances, and returns its release func, to
// be called once with the request's write time (or zero) when the response
// has been read. If ctx ends first it returns ctx's error and spends
// nothing.
func (g *Redis) AcquireSent(ctx context.Context, key clover.BudgetKey) (func(wrote time.Time), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	fb, grace := g.mode(ctx)
	var localRel func()
	if fb != nil {
		if !grace {
			if err := g.quiet(ctx); err != nil {
				return nil, err
			}
		}
		rel, err := fb.Acquire(ctx, key)
		if err != nil {
			return nil, err
		}
		if !grace {
			g.waited(key, start)
			return func(time.Time) { rel() }, nil
		}
		localRel = rel // in grace: Redis must agree too
	}
	rel, err := g.acquireRedis(ctx, key)
	var re *redisError
	switch {
	case errors.As(err, &re):
		g.fallBack(re.err)
		if localRel != nil {
			g.waited(key, start)
			return func(time.Time) { localRel() }, nil
		}
		return g.AcquireSent(ctx, key) // now on the local share
	case err != nil:
		if localRel != nil {
			localRel()
		}
		return nil, err
	}
	g.waited(key, start)
	if localRel == nil {
		return rel, nil
	}
	return func(w time.Time) { rel(w); localRel() }, nil
}

func (g *Redis) waited(key clover.BudgetKey, start time.Time) {
	if g.OnWait != nil {
		g.OnWait(key, time.Since(start))
	}
}

// redisError marks a failure of Redis itself, as opposed to the context.
type redisError struct{ err error }

func (e *redisError) Error() string { return "governor: redis: " + e.err.Error() }
func (e *redisError) Unwrap() error { return e.err }

// keys are one call's Redis keys: token slots, token calls, app slots,
// app calls, waiting, instances.
func (g *Redis) keys(key clover.BudgetKey) []string {
	app := g.Prefix + ":{" + key.App + "}"
	tok := app + ":t:" + key.Token
	return []string{tok + ":slots", tok + ":calls", app + ":slots", app + ":calls", app + ":waiting", app + ":instances"}
}

// slots turns a rate into a number of slots and how long each stays held
// after its reference time, in µs (0 slots: no limit).
func slots(rps float64) (n int64, spanUS int64) {
	switch {
	case math.IsInf(rps, 1) || rps >= 1e9:
		return 0, int64(time.Second / time.Microsecond)
	case rps < 1:
		return 1, int64(math.Ceil(1e6 / rps))
	}
	return int64(rps), int64(time.Second / time.Microsecond)
}

// acquireRedis waits at the head of key's local queue, then asks Redis
// until granted. Errors are ctx's, or a *redisError.
func (g *Redis) acquireRedis(ctx context.Context, key clover.BudgetKey) (func(time.Time), error) {
	h := g.headFor(key)
	defer g.dropHead(key)
	if err := g.takeTurn(ctx, h, key.Priority); err != nil {
		return nil, err
	}
	holding := true
	defer func() {
		if holding {
			g.passTurn(h)
		}
	}()

	var id [12]byte
	_, _ = rand.Read(id[:])
	lease := hex.EncodeToString(id[:])
	keys := g.keys(key)
	trps, tconc := g.budget.Token(key.Merchant)
	tn, tspan := slots(trps)
	an, aspan := slots(g.budget.AppRPS)
	keepForMoney := 0
	if key.Priority != clover.PriorityMoney {
		keepForMoney = 1
	}
	args := []any{lease, tn, tconc, tspan, an, g.budget.AppConcurrent, aspan,
		g.LeaseTTL.Microseconds(), g.Instance, key.Token, (4 * g.PollEvery).Microseconds(), keepForMoney}
	for {
		wake := g.wakeFor(key.App)
		res, err := g.run(ctx, acquireScript, keys, args...)
		if err != nil {
			return nil, err
		}
		v, _ := res.([]any)
		if len(v) < 4 {
			return nil, &redisError{errors.New("unexpected script result")}
		}
		granted, _ := v[0].(int64)
		hint, _ := v[1].(int64)
		if n, _ := v[2].(int64); n > 0 {
			g.mu.Lock()
			g.instances = int(n)
			g.mu.Unlock()
		}
		if granted == 1 {
			if err := ctx.Err(); err != nil {
				// Granted as ctx ended: never made, give it all back.
				_, _ = g.run(context.WithoutCancel(ctx), unstartScript, keys[:4], lease)
				g.wakeApp(key.App)
				return nil, err
			}
			g.mu.Lock()
			g.redisCalls++
			g.mu.Unlock()
			return g.releaser(key, keys[:4], lease, tspan, aspan), nil
		}
		if yielded, err := g.yieldTurn(ctx, h, key.Priority); err != nil {
			holding = false
			return nil, err
		} else if yielded {
			continue // the turn came back: ask again at once
		}
		d := g.PollEvery
		if hint >= 0 {
			d = min(d, time.Duration(hint)*time.Microsecond+time.Millisecond)
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-wake:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}

// run calls a script with CallTimeout, telling ctx's end apart from Redis
// failing.
func (g *Redis) run(ctx context.Context, s *redis.Script, keys []string, args ...any) (any, error) {
	cctx, cancel := context.WithTimeout(ctx, g.CallTimeout)
	defer cancel()
	res, err := s.Run(cctx, g.client, keys, args...).Result()
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, &redisError{err}
}

// releaser returns the release func of a granted lease.
func (g *Redis) releaser(key clover.BudgetKey, keys []string, lease string, tspan, aspan int64) func(time.Time) {
	var once sync.Once
	return func(wrote time.Time) {
		once.Do(func() {
			now := time.Now()
			g.mu.Lock()
			g.redisCalls--
			g.redisRelease = now
			g.mu.Unlock()
			ref := now
			if !wrote.IsZero() && g.ArrivalMargin > 0 {
				if w := wrote.Add(g.ArrivalMargin); w.Before(ref) {
					ref = w
				}
			}
			back := now.Sub(ref).Microseconds()
			if _, err := g.run(context.Background(), releaseScript, keys, lease, tspan, aspan, back, g.ConcurrencyGrace.Microseconds()); err != nil {
				// The lease frees itself at its deadline: late, never early.
				g.Logger.Warn("clover budget: release not recorded in redis", "app", key.App, "token", key.Token, "err", err)
			}
			g.wakeApp(key.App)
		})
	}
}

func (g *Redis) headFor(key clover.BudgetKey) *head {
	k := tokenKey{app: key.App, token: key.Token}
	g.mu.Lock()
	defer g.mu.Unlock()
	h := g.heads[k]
	if h == nil {
		h = &head{}
		g.heads[k] = h
	}
	h.refs++
	return h
}

func (g *Redis) dropHead(key clover.BudgetKey) {
	k := tokenKey{app: key.App, token: key.Token}
	g.mu.Lock()
	defer g.mu.Unlock()
	if h := g.heads[k]; h != nil {
		if h.refs--; h.refs == 0 {
			delete(g.heads, k)
		}
	}
}

// wakeFor returns the channel closed at the app's next local release.
func (g *Redis) wakeFor(app string) <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	ch := g.wakes[app]
	if ch == nil {
		ch = make(chan struct{})
		g.wakes[app] = ch
	}
	return ch
}

func (g *Redis) wakeApp(app string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ch := g.wakes[app]; ch != nil {
		close(ch)
		delete(g.wakes, app)
	}
}
