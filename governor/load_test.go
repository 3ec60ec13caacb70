package governor

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// load is a record of many goroutines calling Acquire in a loop: when each
// call started, and the most calls ever in flight per token and per app,
// counted by the callers themselves.
type load struct {
	mu          sync.Mutex
	tokenStarts map[string][]time.Duration
	appStarts   []time.Duration
	inflight    map[string]int // by token, and "" for the app
	maxInflight map[string]int
}

// runLoad runs perToken goroutines for each of tokens (all of one app), each
// calling Acquire, holding the slot for hold(n) and releasing, until d has
// passed on the bubble's clock. It must run inside a synctest bubble.
func runLoad(t *testing.T, g *Local, tokens []string, perToken int, d time.Duration, hold func(n int) time.Duration) *load {
	t.Helper()
	ld := &load{
		tokenStarts: map[string][]time.Duration{},
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
					ld.started(tok, time.Since(t0))
					time.Sleep(hold(n))
					ld.ended(tok)
					release()
				}
			})
		}
	}
	wg.Wait()
	return ld
}

func (ld *load) started(tok string, at time.Duration) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	ld.tokenStarts[tok] = append(ld.tokenStarts[tok], at)
	ld.appStarts = append(ld.appStarts, at)
	for _, k := range []string{tok, ""} {
		ld.inflight[k]++
		ld.maxInflight[k] = max(ld.maxInflight[k], ld.inflight[k])
	}
}

func (ld *load) ended(tok string) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	ld.inflight[tok]--
	ld.inflight[""]--
}

// checkRate fails t if more than limit of starts fall in any one-second
// window.
func checkRate(t *testing.T, what string, starts []time.Duration, limit int) {
	t.Helper()
	if i, crowded := crowdedWindow(starts, limit, time.Second); crowded {
		t.Errorf("%s: %d starts within one second from %v", what, limit+1, i)
	}
}

func tokenNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("tok%02d", i)
	}
	return names
}

func TestTokenRateInEveryWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{TokenRPS: 16, TokenConcurrent: 5, AppRPS: 1000, AppConcurrent: 1000})
		ld := runLoad(t, g, []string{"busy"}, 200, 10*time.Second, func(n int) time.Duration {
			return time.Duration(n%7) * 10 * time.Millisecond
		})
		starts := ld.tokenStarts["busy"]
		checkRate(t, "token", starts, 16)
		// Nine full seconds of 16, and at most 16 more: the window paces,
		// it does not starve.
		if n := countBefore(starts, 10*time.Second); n < 9*16 || n > 10*16 {
			t.Errorf("%d starts in the first 10 s at 16/s, want 144..160", n)
		}
		if got := ld.maxInflight["busy"]; got > 5 {
			t.Errorf("%d calls in flight on one token, want at most 5", got)
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
		checkRate(t, "app", ld.appStarts, 50)
		if n := countBefore(ld.appStarts, 10*time.Second); n < 9*50 || n > 10*50 {
			t.Errorf("%d starts in the first 10 s at 50/s per app, want 450..500", n)
		}
		if got := ld.maxInflight[""]; got > 10 {
			t.Errorf("app: %d in flight, want at most 10", got)
		}
		for _, tok := range tokens {
			checkRate(t, "token "+tok, ld.tokenStarts[tok], 16)
			if got := ld.maxInflight[tok]; got > 5 {
				t.Errorf("token %s: %d in flight, want at most 5", tok, got)
			}
			// Round robin: each of 20 equally busy tokens gets about
			// a twentieth of 500.
			if n := len(ld.tokenStarts[tok]); n < 15 || n > 35 {
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
