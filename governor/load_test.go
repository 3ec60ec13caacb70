package governor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// load is a record of many goroutines calling Acquire in a loop: when each
// call started and was released, and the most calls ever in flight per token
// and per app, counted by the callers themselves.
type load struct {
	mu          sync.Mutex
	tokenCalls  map[string][]call
	appCalls    []call
	inflight    map[string]int // by token, and "" for the app
	maxInflight map[string]int
}

// runLoad runs perToken goroutines for each of tokens (all of one app), each
// calling Acquire, holding the slot for hold(n) and releasing, until d has
// passed on the bubble's clock. It must run inside a synctest bubble.
func runLoad(t *testing.T, g *Local, tokens []string, perToken int, d time.Duration, hold func(n int) time.Duration) *load {
	t.Helper()
	ld := &load{
		tokenCalls:  map[string][]call{},
		inflight:    map[string]int{},
		maxInflight: map[string]int{},
	}
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	var wg sync.WaitGroup
	for _, tok := range tokens {
		key := clover.BudgetKey{App: "app", Token: tok}
		for i := range perToken {
			wg.Go(func() {
				for n := i; ; n += perToken {
					release, err := g.Acquire(ctx, key)
					if err != nil {
						return
					}
					start := time.Since(t0)
					ld.started(tok)
					time.Sleep(hold(n))
					ld.ended(tok, call{start, time.Since(t0)})
					release()
				}
			})
		}
	}
	wg.Wait()
	return ld
}

func (ld *load) started(tok string) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	for _, k := range []string{tok, ""} {
		ld.inflight[k]++
		ld.maxInflight[k] = max(ld.maxInflight[k], ld.inflight[k])
	}
}

func (ld *load) ended(tok string, c call) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	ld.tokenCalls[tok] = append(ld.tokenCalls[tok], c)
	ld.appCalls = append(ld.appCalls, c)
	ld.inflight[tok]--
	ld.inflight[""]--
}

// checkRate fails t if more than limit calls are live in any one-second
// window (see crowdedCalls): calls in flight at its end plus calls released
// within it. That bounds arrivals wherever in its call each request
// arrived; to show it, it also places each arrival at a random point of its
// call and counts them.
func checkRate(t *testing.T, what string, calls []call, limit int) {
	t.Helper()
	if at, n, crowded := crowdedCalls(calls, limit, time.Second); crowded {
		t.Errorf("%s: %d calls live in the second before %v, want at most %d", what, n, at, limit)
	}
	r := rand.New(rand.NewPCG(uint64(len(calls)), uint64(limit)))
	arrivals := make([]time.Duration, len(calls))
	for i, c := range calls {
		arrivals[i] = c.start + time.Duration(r.Int64N(int64(c.end-c.start)+1))
	}
	if i, crowded := crowdedWindow(arrivals, limit, time.Second); crowded {
		t.Errorf("%s: %d arrivals within one second from the %dth", what, limit+1, i)
	}
}

// starts returns the calls' start times.
func starts(calls []call) []time.Duration {
	s := make([]time.Duration, len(calls))
	for i, c := range calls {
		s[i] = c.start
	}
	return s
}

func tokenNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("tok%02d", i)
	}
	return names
}

// TestTokenRateInEveryWindow: 200 callers on one token, calls lasting 0 to
// 60 ms. No one-second window sees more than 16 live calls, so no more than
// 16 arrivals, and the budget is still used: each of the 16 rate slots turns
// over within 1 s + 60 ms (the call) + 60 ms (waiting for a concurrency
// slot), so at least 9 times in 10 s, and at most 10 times, since a slot's
// next start is at least 1 s after its last.
func TestTokenRateInEveryWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{TokenRPS: 16, TokenConcurrent: 5, AppRPS: 1000, AppConcurrent: 1000})
		ld := runLoad(t, g, []string{"busy"}, 200, 10*time.Second, func(n int) time.Duration {
			return time.Duration(n%7) * 10 * time.Millisecond
		})
		calls := ld.tokenCalls["busy"]
		checkRate(t, "token", calls, 16)
		if n := countBefore(starts(calls), 10*time.Second); n < 9*16 || n > 10*16 {
			t.Errorf("%d starts in the first 10 s at 16/s, want 144..160", n)
		}
		if got := ld.maxInflight["busy"]; got > 5 {
			t.Errorf("%d calls in flight on one token, want at most 5", got)
		}
	})
}

// TestSlowCallsStayInBudget: calls of up to 1.4 s, some longer than the
// window itself. Still no window sees more than 16 live calls, and the rate
// is what the slots allow: a slot turns over once per 1 s + its call, never
// faster.
func TestSlowCallsStayInBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{TokenRPS: 16, TokenConcurrent: 16, AppRPS: 1000, AppConcurrent: 1000})
		hold := func(n int) time.Duration { return time.Duration(n%8) * 200 * time.Millisecond }
		ld := runLoad(t, g, []string{"busy"}, 50, 20*time.Second, hold)
		calls := ld.tokenCalls["busy"]
		checkRate(t, "token", calls, 16)
		// A slot turns over once per 1 s + its call (0..1.4 s), and 50
		// callers always want one: at least 20/2.4, so 8 turns per slot.
		// Calls average 0.7 s, so n*1.7 s ≲ 16*(20+2.4) s: n ≲ 211. A
		// window over start times would allow 320.
		n := countBefore(starts(calls), 20*time.Second)
		t.Logf("%d starts in 20 s", n)
		if n < 16*8 || n > 230 {
			t.Errorf("%d starts in 20 s at 16/s with calls of 0..1.4 s, want 128..230", n)
		}
	})
}

// TestTokenRateExactSchedule checks that the sliding window is exact: with
// 200 instant calls on one token at 16/s, call k starts at floor(k/16) s.
func TestTokenRateExactSchedule(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{TokenRPS: 16, TokenConcurrent: 1000, AppRPS: 1000, AppConcurrent: 1000})
		key := clover.BudgetKey{App: "app", Token: "busy"}
		t0 := time.Now()
		var (
			mu     sync.Mutex
			starts []time.Duration
			wg     sync.WaitGroup
		)
		for range 200 {
			wg.Go(func() {
				release, err := g.Acquire(t.Context(), key)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				starts = append(starts, time.Since(t0))
				mu.Unlock()
				release()
			})
		}
		wg.Wait()
		slices.Sort(starts)
		for k, at := range starts {
			if want := time.Duration(k/16) * time.Second; at != want {
				t.Fatalf("call %d started at %v, want %v", k, at, want)
			}
		}
	})
}

func TestConcurrencyPerTokenAndApp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{TokenRPS: 1e6, TokenConcurrent: 5, AppRPS: 1e6, AppConcurrent: 10})
		tokens := tokenNames(3)
		ld := runLoad(t, g, tokens, 20, 5*time.Second, func(n int) time.Duration {
			return time.Duration(1+n%5) * 20 * time.Millisecond
		})
		for _, tok := range tokens {
			if got := ld.maxInflight[tok]; got != 5 {
				t.Errorf("token %s: at most %d in flight, want exactly 5 (the limit, reached)", tok, got)
			}
		}
		if got := ld.maxInflight[""]; got != 10 {
			t.Errorf("app: at most %d in flight, want exactly 10 (the limit, reached)", got)
		}
	})
}

func TestAppBudgetAcrossManyTokens(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.DefaultBudget)
		tokens := tokenNames(20)
		ld := runLoad(t, g, tokens, 10, 10*time.Second, func(n int) time.Duration {
			return time.Duration(n%4) * 50 * time.Millisecond
		})
		checkRate(t, "app", ld.appCalls, 50)
		if n := countBefore(starts(ld.appCalls), 10*time.Second); n < 9*50 || n > 10*50 {
			t.Errorf("%d starts in the first 10 s at 50/s per app, want 450..500", n)
		}
		if got := ld.maxInflight[""]; got > 10 {
			t.Errorf("app: %d in flight, want at most 10", got)
		}
		for _, tok := range tokens {
			checkRate(t, "token "+tok, ld.tokenCalls[tok], 16)
			if got := ld.maxInflight[tok]; got > 5 {
				t.Errorf("token %s: %d in flight, want at most 5", tok, got)
			}
			// Round robin: each of 20 equally busy tokens gets about
			// a twentieth of 500.
			if n := len(ld.tokenCalls[tok]); n < 15 || n > 35 {
				t.Errorf("token %s: %d starts of about 500, want a fair share (15..35)", tok, n)
			}
		}
	})
}

// countBefore counts the starts before end. A load that stops at its
// context's deadline d can still see calls start at exactly d.
func countBefore(starts []time.Duration, end time.Duration) int {
	n := 0
	for _, at := range starts {
		if at < end {
			n++
		}
	}
	return n
}
