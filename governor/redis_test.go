package governor

import (
	"context"
	"errors"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/paybridge/paybridge/clover"
)

// redisSetup is one miniredis and a way to make governors (instances) on it.
type redisSetup struct {
	mr *miniredis.Miniredis
}

func newRedisSetup(t *testing.T) *redisSetup {
	t.Helper()
	return &redisSetup{mr: miniredis.RunT(t)}
}

func (s *redisSetup) gov(t *testing.T, b clover.Budget) *Redis {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.mr.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { c.Close() })
	return NewRedis(c, b)
}

// realRedis returns a client on PAYBRIDGE_TEST_REDIS_URL, or skips.
func realRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	u := os.Getenv("PAYBRIDGE_TEST_REDIS_URL")
	if u == "" {
		t.Skip("PAYBRIDGE_TEST_REDIS_URL not set: no real Redis test")
	}
	o, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis at PAYBRIDGE_TEST_REDIS_URL: %v", err)
	}
	return c
}

// spans records calls from after their Acquire returned until before their
// release, per token and for the app, and the most in flight.
type spans struct {
	mu       sync.Mutex
	calls    map[string][][2]time.Time // "" = the app
	inflight map[string]int
	maxIn    map[string]int
}

func newSpans() *spans {
	return &spans{calls: map[string][][2]time.Time{}, inflight: map[string]int{}, maxIn: map[string]int{}}
}

func (s *spans) begin(tok string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []string{tok, ""} {
		s.inflight[k]++
		s.maxIn[k] = max(s.maxIn[k], s.inflight[k])
	}
	return time.Now()
}

func (s *spans) end(tok string, start time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for _, k := range []string{tok, ""} {
		s.inflight[k]--
		s.calls[k] = append(s.calls[k], [2]time.Time{start, now})
	}
}

// maxArrivals is the most calls that could have arrived in one second: at
// each call's start t, the calls that started by t and were released after
// t-1s (a request arrives between its start and its release). A small
// epsilon absorbs the gap between Redis's clock and this process's, in the
// lenient direction (our start follows the grant, our end precedes the
// release).
func maxArrivals(calls [][2]time.Time) int {
	const eps = 5 * time.Millisecond
	most := 0
	for _, c := range calls {
		t := c[0]
		n := 0
		for _, d := range calls {
			if !d[0].After(t) && d[1].After(t.Add(-time.Second+eps)) {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// hammer runs workers per (governor, token) calling Acquire in a loop for d,
// each call taking hold.
func hammer(t *testing.T, govs []*Redis, tokens []string, workers int, d, hold time.Duration) *spans {
	t.Helper()
	sp := newSpans()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	var wg sync.WaitGroup
	for _, g := range govs {
		for _, tok := range tokens {
			key := clover.BudgetKey{App: "app", Token: tok, Merchant: "m-" + tok}
			for range workers {
				wg.Go(func() {
					for {
						rel, err := g.Acquire(ctx, key)
						if err != nil {
							if !errors.Is(err, context.DeadlineExceeded) {
								t.Errorf("Acquire: %v", err)
							}
							return
						}
						start := sp.begin(tok)
						time.Sleep(hold) // stands in for the call to Clover
						sp.end(tok, start)
						rel()
					}
				})
			}
		}
	}
	wg.Wait()
	return sp
}

func TestRedisKeepsBudgetAcrossInstances(t *testing.T) {
	t.Parallel()
	s := newRedisSetup(t)
	b := clover.Budget{TokenRPS: 8, TokenConcurrent: 3, AppRPS: 12, AppConcurrent: 4}
	govs := []*Redis{s.gov(t, b), s.gov(t, b), s.gov(t, b)}
	sp := hammer(t, govs, []string{"tokA", "tokB"}, 4, 2500*time.Millisecond, 30*time.Millisecond)
	checkBudget(t, sp, b, []string{"tokA", "tokB"})
	if n := len(sp.calls[""]); n < 12 {
		t.Errorf("only %d calls in 2.5 s: the governor barely grants", n)
	}
}

// TestRedisKeepsMerchantBudgets: a merchant's override binds its token
// across instances, and only its token.
func TestRedisKeepsMerchantBudgets(t *testing.T) {
	t.Parallel()
	s := newRedisSetup(t)
	b := clover.Budget{TokenRPS: 8, TokenConcurrent: 3, AppRPS: 20, AppConcurrent: 6,
		Merchants: map[string]clover.TokenBudget{"m-handmade": {RPS: 3, Concurrent: 1}}}
	govs := []*Redis{s.gov(t, b), s.gov(t, b), s.gov(t, b)}
	sp := hammer(t, govs, []string{"handmade", "tokB"}, 4, 2500*time.Millisecond, 30*time.Millisecond)
	checkBudget(t, sp, b, []string{"handmade", "tokB"})
	if n := len(sp.calls["handmade"]); n < 3 {
		t.Errorf("the overridden token made %d calls in 2.5 s", n)
	}
	if got := maxArrivals(sp.calls["tokB"]); got <= 3 {
		t.Errorf("another merchant's token made at most %d calls a second: the override bound it too", got)
	}
}

func TestRedisKeepsBudgetOnRealRedis(t *testing.T) {
	t.Parallel()
	c := realRedis(t)
	b := clover.Budget{TokenRPS: 8, TokenConcurrent: 3, AppRPS: 12, AppConcurrent: 4}
	prefix := "paybridge:test:" + t.Name() + ":" + time.Now().Format(time.RFC3339Nano)
	var govs []*Redis
	for range 3 {
		g := NewRedis(c, b)
		g.Prefix = prefix
		govs = append(govs, g)
	}
	sp := hammer(t, govs, []string{"tokA", "tokB"}, 4, 2500*time.Millisecond, 30*time.Millisecond)
	checkBudget(t, sp, b, []string{"tokA", "tokB"})
}

func checkBudget(t *testing.T, sp *spans, b clover.Budget, tokens []string) {
	t.Helper()
	for _, tok := range tokens {
		rps, conc := b.Token("m-" + tok) // hammer's merchant of tok
		if got := maxArrivals(sp.calls[tok]); got > int(rps) {
			t.Errorf("token %s: %d calls could arrive in one second, budget %v", tok, got, rps)
		}
		if got := sp.maxIn[tok]; got > conc {
			t.Errorf("token %s: %d calls in flight, budget %d", tok, got, conc)
		}
	}
	if got := maxArrivals(sp.calls[""]); got > int(b.AppRPS) {
		t.Errorf("app: %d calls could arrive in one second, budget %v", got, b.AppRPS)
	}
	if got := sp.maxIn[""]; got > b.AppConcurrent {
		t.Errorf("app: %d calls in flight, budget %d", got, b.AppConcurrent)
	}
}

// TestRedisWithoutBudgetExceeds proves checkBudget can fail: Unlimited
// governors under the same load break the budget.
func TestRedisCheckCanFail(t *testing.T) {
	t.Parallel()
	sp := newSpans()
	for range 10 {
		st := sp.begin("tok")
		sp.end("tok", st)
	}
	if maxArrivals(sp.calls["tok"]) != 10 || sp.maxIn["tok"] != 1 {
		t.Fatalf("maxArrivals = %d, maxIn = %d", maxArrivals(sp.calls["tok"]), sp.maxIn["tok"])
	}
}

// TestRedisSentFreesSlotEarly: with a write time, a call's rate slot frees
// one second after write + margin, not after its (later) release.
func TestRedisSentFreesSlotEarly(t *testing.T) {
	t.Parallel()
	s := newRedisSetup(t)
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	s.mr.SetTime(t0)
	g := s.gov(t, clover.Budget{TokenRPS: 1, TokenConcurrent: 1, AppRPS: 10, AppConcurrent: 10})
	key := clover.BudgetKey{App: "app", Token: "tok"}
	rel, err := g.AcquireSent(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	rel(time.Now().Add(-300 * time.Millisecond)) // written 300 ms before the release
	k := g.keys(key)[0]
	members, _ := s.mr.ZMembers(k)
	if len(members) != 1 {
		t.Fatalf("slots %v", members)
	}
	score, _ := s.mr.ZScore(k, members[0])
	frees := time.UnixMicro(int64(score))
	// write + 50 ms margin + 1 s = t0 + 750 ms (less the time the release
	// itself took)
	if want := t0.Add(750 * time.Millisecond); frees.After(want.Add(time.Millisecond)) || frees.Before(want.Add(-50*time.Millisecond)) {
		t.Errorf("slot frees at t0+%v, want about t0+750ms", frees.Sub(t0))
	}

	// Without a write time the release is the reference: t0 + 1 s.
	s.mr.SetTime(t0.Add(2 * time.Second))
	rel, err = g.AcquireSent(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	rel(time.Time{})
	members, _ = s.mr.ZMembers(k)
	score, _ = s.mr.ZScore(k, members[len(members)-1])
	if got := time.UnixMicro(int64(score)); !got.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("slot frees at t0+%v, want t0+3s", got.Sub(t0))
	}
}

// TestRedisCanceledWaitSpendsNothing: a wait ended by its context leaves no
// lease behind, so the next caller starts at once.
func TestRedisCanceledWaitSpendsNothing(t *testing.T) {
	t.Parallel()
	s := newRedisSetup(t)
	g := s.gov(t, clover.Budget{TokenRPS: 100, TokenConcurrent: 1, AppRPS: 100, AppConcurrent: 10})
	key := clover.BudgetKey{App: "app", Token: "tok"}
	rel, err := g.Acquire(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := g.Acquire(ctx, key)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled wait: %v", err)
	}
	rel()
	// Only the released call remains, for its concurrency grace.
	calls, _ := s.mr.ZMembers(g.keys(key)[1])
	if len(calls) != 1 {
		t.Errorf("calls counted after everything ended: %v, want the released one alone", calls)
	}
	rel2, err := g.Acquire(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	rel2()
}

// TestRedisFairAcrossMerchants: once a second token waits for the app
// budget, a busy token may only hold its fair share of it, so the waiting
// one gets through.
func TestRedisFairAcrossMerchants(t *testing.T) {
	t.Parallel()
	s := newRedisSetup(t)
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	s.mr.SetTime(t0)
	b := clover.Budget{TokenRPS: 4, TokenConcurrent: 10, AppRPS: 4, AppConcurrent: 10}
	g := s.gov(t, b)
	g.PollEvery = time.Second // the waiter stays registered across the clock jump below
	hot := clover.BudgetKey{App: "app", Token: "hot", Merchant: "busy"}
	cold := clover.BudgetKey{App: "app", Token: "cold", Merchant: "quiet"}
	for range 4 {
		rel, err := g.Acquire(t.Context(), hot)
		if err != nil {
			t.Fatal(err)
		}
		rel() // slots held until t0 + 1 s
	}
	coldDone := make(chan error, 1)
	go func() {
		rel, err := g.Acquire(t.Context(), cold)
		if err == nil {
			rel()
		}
		coldDone <- err
	}()
	waitKey := g.keys(cold)[4]
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m, _ := s.mr.ZMembers(waitKey); len(m) == 1 && m[0] == "cold" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cold token never registered as waiting for the app budget")
		}
		time.Sleep(2 * time.Millisecond) // polling miniredis with a deadline
	}
	// The app's slots free; the busy token asks first, over and over
	// (holding its calls, so no local release wakes the waiter early).
	s.mr.SetTime(t0.Add(1100 * time.Millisecond))
	granted := 0
	var held []func()
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		rel, err := g.Acquire(ctx, hot)
		cancel()
		if err != nil {
			break
		}
		held = append(held, rel)
		granted++
	}
	defer func() {
		for _, rel := range held {
			rel()
		}
	}()
	if granted != 2 {
		t.Errorf("busy token got %d of 4 freed app slots while another waited, want its fair share 2", granted)
	}
	select {
	case err := <-coldDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waiting token starved")
	}
}

// TestRedisFallsBackAndRecovers: with Redis gone, calls go on within the
// instance's share (half, as Redis last saw two instances), the change is
// reported, and Redis is used again once back.
func TestRedisFallsBackAndRecovers(t *testing.T) {
	t.Parallel()
	s := newRedisSetup(t)
	b := clover.Budget{TokenRPS: 10, TokenConcurrent: 4, AppRPS: 20, AppConcurrent: 8}
	g, other := s.gov(t, b), s.gov(t, b)
	g.ProbeEvery = 50 * time.Millisecond
	var changes []bool
	var mu sync.Mutex
	g.OnFallback = func(on bool) { mu.Lock(); changes = append(changes, on); mu.Unlock() }
	key := clover.BudgetKey{App: "app", Token: "tok"}
	for _, gv := range []*Redis{other, g} { // g last: it sees both instances
		rel, err := gv.Acquire(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		rel()
	}
	addr := s.mr.Addr()
	s.mr.Close()

	var inflight, most atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			rel, err := g.Acquire(ctx, key)
			if err != nil {
				t.Errorf("Acquire with Redis down: %v", err)
				return
			}
			n := inflight.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(10 * time.Millisecond)
			inflight.Add(-1)
			rel()
		})
	}
	wg.Wait()
	if !g.FallenBack() {
		t.Fatal("not fallen back with Redis down")
	}
	if m := most.Load(); m > 2 {
		t.Errorf("%d calls in flight on the local share, want ≤ 2 (4 ÷ 2 instances)", m)
	}

	if err := s.mr.StartAddr(addr); err != nil {
		t.Fatalf("restart miniredis: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for g.FallenBack() {
		if time.Now().After(deadline) {
			t.Fatal("never recovered")
		}
		rel, err := g.Acquire(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		rel()
		time.Sleep(20 * time.Millisecond) // polling recovery with a deadline
	}
	mu.Lock()
	defer mu.Unlock()
	if len(changes) != 2 || !changes[0] || changes[1] {
		t.Errorf("OnFallback calls %v, want [true false]", changes)
	}
}

func TestShare(t *testing.T) {
	t.Parallel()
	b := clover.DefaultBudget
	b.Merchants = map[string]clover.TokenBudget{"raised": {RPS: 60, Concurrent: 9}, "handmade": {RPS: 2}}
	got := Share(b, 3)
	want := clover.Budget{TokenRPS: 16.0 / 3, TokenConcurrent: 1, AppRPS: 50.0 / 3, AppConcurrent: 3,
		Merchants: map[string]clover.TokenBudget{"raised": {RPS: 20, Concurrent: 3}, "handmade": {RPS: 2.0 / 3, Concurrent: 1}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Share(default, 3) = %+v, want %+v", got, want)
	}
	if got := Share(b, 1); !reflect.DeepEqual(got, b) {
		t.Errorf("Share(default, 1) = %+v", got)
	}
}

// TestRedisConcurrencyGrace: a released call still counts as in flight for
// ConcurrencyGrace, as Clover's count ends only when its handler returns.
func TestRedisConcurrencyGrace(t *testing.T) {
	t.Parallel()
	s := newRedisSetup(t)
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	s.mr.SetTime(t0)
	g := s.gov(t, clover.Budget{TokenRPS: 100, TokenConcurrent: 1, AppRPS: 100, AppConcurrent: 10})
	key := clover.BudgetKey{App: "app", Token: "tok"}
	rel, err := g.Acquire(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	rel()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := g.Acquire(ctx, key); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second call within the grace: %v, want to wait", err)
	}
	s.mr.SetTime(t0.Add(g.ConcurrencyGrace + time.Millisecond))
	rel, err = g.Acquire(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	rel()
}

// BenchmarkRedisAcquireUncontended measures one grant and its release
// through Redis (two script calls): the real Redis at
// PAYBRIDGE_TEST_REDIS_URL if set, else miniredis.
//
//	go test -run XXX -bench RedisAcquire ./governor
func BenchmarkRedisAcquireUncontended(b *testing.B) {
	var c redis.UniversalClient
	if u := os.Getenv("PAYBRIDGE_TEST_REDIS_URL"); u != "" {
		o, err := redis.ParseURL(u)
		if err != nil {
			b.Fatal(err)
		}
		c = redis.NewClient(o)
	} else {
		mr := miniredis.RunT(b)
		c = redis.NewClient(&redis.Options{Addr: mr.Addr()})
	}
	defer c.Close()
	g := NewRedis(c, bigBudget)
	g.Prefix = "paybridge:bench:" + time.Now().Format(time.RFC3339Nano)
	ctx := context.Background()
	k := clover.BudgetKey{App: "app", Token: "tok", Merchant: "m"}
	b.ReportAllocs()
	for b.Loop() {
		rel, err := g.AcquireSent(ctx, k)
		if err != nil {
			b.Fatal(err)
		}
		rel(time.Now())
	}
}
