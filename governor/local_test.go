package governor

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/paybridge/paybridge/clover"
)

func key(token string) clover.BudgetKey {
	return clover.BudgetKey{App: "app", Token: token, Merchant: "m-" + token}
}

// mustAcquire acquires without waiting on the bubble's clock, or fails t.
func mustAcquire(t *testing.T, g *Local, k clover.BudgetKey) func() {
	t.Helper()
	t0 := time.Now()
	release, err := g.Acquire(t.Context(), k)
	if err != nil {
		t.Fatalf("Acquire(%s): %v", k.Token, err)
	}
	if waited := time.Since(t0); waited != 0 {
		t.Fatalf("Acquire(%s) waited %v, want no wait", k.Token, waited)
	}
	return release
}

// acquireAsync starts an Acquire in a goroutine; the result arrives on the
// returned channel with the time (since the bubble's t0) it was admitted.
type result struct {
	release func()
	err     error
	at      time.Duration
}

func acquireAsync(ctx context.Context, g *Local, k clover.BudgetKey, t0 time.Time) <-chan result {
	ch := make(chan result, 1)
	go func() {
		release, err := g.Acquire(ctx, k)
		ch <- result{release, err, time.Since(t0)}
	}()
	return ch
}

// checkEmpty fails t if g still counts anything in flight or waiting.
func checkEmpty(t *testing.T, g *Local) {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, ts := range g.tokens {
		if ts.inflight != 0 || ts.head != nil {
			t.Errorf("token %v: %d in flight, waiting %v", k, ts.inflight, ts.head != nil)
		}
	}
	for name, as := range g.apps {
		if as.inflight != 0 || as.waiting != 0 {
			t.Errorf("app %s: %d in flight, %d waiting", name, as.inflight, as.waiting)
		}
	}
}

func TestFIFOPerToken(t *testing.T) {
	t.Parallel()
	for name, b := range map[string]clover.Budget{
		"concurrency": {TokenRPS: 1e6, TokenConcurrent: 1, AppRPS: 1e6, AppConcurrent: 100},
		"rate":        {TokenRPS: 1, TokenConcurrent: 100, AppRPS: 1e6, AppConcurrent: 100},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				g := NewLocal(b)
				held := mustAcquire(t, g, key("a"))
				var (
					mu    sync.Mutex
					order []int
					wg    sync.WaitGroup
				)
				for i := range 10 {
					wg.Go(func() {
						release, err := g.Acquire(t.Context(), key("a"))
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						order = append(order, i)
						mu.Unlock()
						release()
					})
					synctest.Wait() // waiter i is queued before i+1 arrives
				}
				held()
				wg.Wait()
				for i, got := range order {
					if got != i {
						t.Fatalf("admission order %v, want arrival order", order)
					}
				}
				if len(order) != 10 {
					t.Fatalf("%d of 10 waiters admitted", len(order))
				}
				checkEmpty(t, g)
			})
		})
	}
}

// TestDeadlineConsumesNothing: a waiter whose context ends gets its error
// and leaves no trace; the waiter behind it is admitted as if it had never
// been there.
func TestDeadlineConsumesNothing(t *testing.T) {
	t.Parallel()
	t.Run("rate", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			g := NewLocal(clover.Budget{TokenRPS: 1, TokenConcurrent: 5})
			t0 := time.Now()
			mustAcquire(t, g, key("a"))() // released at once: its slot frees at 1 s
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			timedOut := acquireAsync(ctx, g, key("a"), t0)
			synctest.Wait()
			next := acquireAsync(t.Context(), g, key("a"), t0)

			r := <-timedOut
			if !errors.Is(r.err, context.DeadlineExceeded) || r.release != nil {
				t.Fatalf("timed-out waiter got (%v, release %v), want DeadlineExceeded", r.err, r.release != nil)
			}
			if r.at != 500*time.Millisecond {
				t.Errorf("waiter gave up at %v, want at its deadline 500ms", r.at)
			}
			r = <-next
			if r.err != nil {
				t.Fatal(r.err)
			}
			// At 1/s the second call fits at 1 s; had the timed-out
			// waiter spent a start, it would be 2 s.
			if r.at != time.Second {
				t.Errorf("next waiter admitted at %v, want 1s", r.at)
			}
			r.release()
			checkEmpty(t, g)
		})
	})
	t.Run("concurrency", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			g := NewLocal(clover.Budget{TokenRPS: 1e6, TokenConcurrent: 1})
			t0 := time.Now()
			first := mustAcquire(t, g, key("a"))
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			timedOut := acquireAsync(ctx, g, key("a"), t0)
			synctest.Wait()
			next := acquireAsync(t.Context(), g, key("a"), t0)
			if r := <-timedOut; !errors.Is(r.err, context.DeadlineExceeded) {
				t.Fatalf("timed-out waiter got %v, want DeadlineExceeded", r.err)
			}
			time.Sleep(time.Second)
			first()
			r := <-next
			if r.err != nil || r.at != 2*time.Second {
				t.Fatalf("next waiter: (%v at %v), want admitted at release, 2s", r.err, r.at)
			}
			// The slot is the next waiter's alone: one more must wait.
			ctx2, cancel2 := context.WithTimeout(t.Context(), time.Millisecond)
			defer cancel2()
			if _, err := g.Acquire(ctx2, key("a")); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Acquire beyond 1 concurrent: %v, want DeadlineExceeded", err)
			}
			r.release()
			checkEmpty(t, g)
		})
	})
	t.Run("already ended", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			g := NewLocal(clover.Budget{TokenRPS: 1, TokenConcurrent: 1})
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if _, err := g.Acquire(ctx, key("a")); !errors.Is(err, context.Canceled) {
				t.Fatalf("Acquire with ended ctx: %v, want Canceled", err)
			}
			mustAcquire(t, g, key("a"))() // the only start of this second
		})
	})
}

func TestReleaseIsIdempotent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{TokenRPS: 1e6, TokenConcurrent: 1})
		release := mustAcquire(t, g, key("a"))
		release()
		release()
		held := mustAcquire(t, g, key("a"))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := g.Acquire(ctx, key("a")); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("second call in flight with TokenConcurrent 1 after a double release: %v", err)
		}
		held()
		checkEmpty(t, g)
	})
}

// TestTokensIndependent: a token out of its own budget, with callers queued
// behind it, does not delay another token while the app has budget left.
func TestTokensIndependent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{TokenRPS: 2, TokenConcurrent: 1})
		t0 := time.Now()
		a1 := mustAcquire(t, g, key("a")) // a: concurrency exhausted
		queued := acquireAsync(t.Context(), g, key("a"), t0)
		b1 := mustAcquire(t, g, key("b"))
		b1()
		mustAcquire(t, g, key("b"))() // b: rate exhausted (2/s)
		blocked := acquireAsync(t.Context(), g, key("b"), t0)
		mustAcquire(t, g, key("c"))()
		synctest.Wait()
		a1()
		if r := <-queued; r.err != nil || r.at != 0 {
			t.Errorf("a's waiter: (%v at %v), want admitted at once on release", r.err, r.at)
		} else {
			r.release()
		}
		if r := <-blocked; r.err != nil || r.at != time.Second {
			t.Errorf("b's waiter: (%v at %v), want admitted at 1s", r.err, r.at)
		} else {
			r.release()
		}
		checkEmpty(t, g)
	})
}

// TestAppBudgetRoundRobin: when the app budget is what everyone waits for, a
// token with one queued call is served next round, not after a busy token's
// whole queue.
func TestAppBudgetRoundRobin(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{TokenRPS: 1e6, TokenConcurrent: 100, AppRPS: 1e6, AppConcurrent: 1})
		held := mustAcquire(t, g, key("busy"))
		var (
			mu    sync.Mutex
			order []string
			wg    sync.WaitGroup
		)
		call := func(tok string) {
			wg.Go(func() {
				release, err := g.Acquire(t.Context(), key(tok))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				order = append(order, tok)
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
				release()
			})
			synctest.Wait()
		}
		for range 20 {
			call("busy")
		}
		call("quiet")
		held()
		wg.Wait()
		if len(order) != 21 {
			t.Fatalf("%d of 21 admitted", len(order))
		}
		for i, tok := range order {
			if tok == "quiet" && i > 1 {
				t.Fatalf("quiet token admitted %dth, after %d busy calls; want within the first round", i+1, i)
			}
		}
		checkEmpty(t, g)
	})
}

// TestMerchantBudget: a merchant's override sets its tokens' budget (a
// hand-made token allowed 1/s and 1 in flight), a field left zero keeps
// the default, and other merchants keep the default budget.
func TestMerchantBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := clover.DefaultBudget
		b.AppRPS = 1000 // only the tokens' budgets bind here
		b.Merchants = map[string]clover.TokenBudget{
			"m-handmade": {RPS: 1, Concurrent: 1},
			"m-raised":   {RPS: 40},
		}
		g := NewLocal(b)
		t0 := time.Now()
		release := mustAcquire(t, g, key("handmade"))
		waiter := acquireAsync(t.Context(), g, key("handmade"), t0)
		synctest.Wait()
		release()
		// Its second call waits for both its slot in flight and its rate.
		if r := <-waiter; r.err != nil || r.at != time.Second {
			t.Fatalf("second call at 1/s and 1 in flight: (%v at %v), want 1s", r.err, r.at)
		} else {
			r.release()
		}
		time.Sleep(time.Second)
		// The raised merchant: 40 calls in a second, 5 in flight (the
		// default it did not override).
		for range 8 {
			for range 5 {
				mustAcquire(t, g, key("raised"))()
			}
		}
		mustWaitASecond(t, g, key("raised"), "41st call at 40/s")
		time.Sleep(time.Second)
		var held []func()
		for range 5 {
			held = append(held, mustAcquire(t, g, key("raised")))
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
		defer cancel()
		if _, err := g.Acquire(ctx, key("raised")); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("6th call in flight for a merchant overriding only its rate: %v, want DeadlineExceeded", err)
		}
		for _, r := range held {
			r()
		}
		// Others: 16 in a second at once, the 17th a second later.
		for range 16 {
			mustAcquire(t, g, key("other"))()
		}
		mustWaitASecond(t, g, key("other"), "17th call of a merchant without override")
	})
}

// mustWaitASecond acquires for k, which must be admitted one second from
// now on the bubble's clock, then releases.
func mustWaitASecond(t *testing.T, g *Local, k clover.BudgetKey, what string) {
	t.Helper()
	r := <-acquireAsync(t.Context(), g, k, time.Now())
	if r.err != nil || r.at != time.Second {
		t.Fatalf("%s: (%v at %v), want 1s", what, r.err, r.at)
	}
	r.release()
}

func TestOnWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{TokenRPS: 1})
		var waits []time.Duration
		g.OnWait = func(k clover.BudgetKey, waited time.Duration) {
			if k != key("a") {
				t.Errorf("OnWait key %v, want %v", k, key("a"))
			}
			waits = append(waits, waited)
		}
		mustAcquire(t, g, key("a"))()
		release, err := g.Acquire(t.Context(), key("a"))
		if err != nil {
			t.Fatal(err)
		}
		release()
		if len(waits) != 2 || waits[0] != 0 || waits[1] != time.Second {
			t.Fatalf("OnWait reported %v, want [0s 1s]", waits)
		}
	})
}

func TestIdleStateIsForgotten(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{AppRPS: math.Inf(1)})
		for _, tok := range tokenNames(1000) {
			mustAcquire(t, g, key(tok))()
		}
		busy := mustAcquire(t, g, clover.BudgetKey{App: "other", Token: "busy"})
		if n := len(g.tokens); n != 1001 {
			t.Fatalf("%d token states, want 1001", n)
		}
		time.Sleep(sweepEvery)
		mustAcquire(t, g, key("fresh"))()
		g.mu.Lock()
		tokens, apps := len(g.tokens), len(g.apps)
		g.mu.Unlock()
		// "fresh" and the still-busy token remain; both apps are in use.
		if tokens != 2 || apps != 2 {
			t.Errorf("after a sweep: %d token states, %d apps; want 2 and 2", tokens, apps)
		}
		busy()
		time.Sleep(sweepEvery)
		mustAcquire(t, g, clover.BudgetKey{App: "third", Token: "x"})()
		g.mu.Lock()
		tokens, apps = len(g.tokens), len(g.apps)
		g.mu.Unlock()
		if tokens != 1 || apps != 1 {
			t.Errorf("after the last sweep: %d token states, %d apps; want 1 and 1", tokens, apps)
		}
	})
}
