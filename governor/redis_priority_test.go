package governor

import (
	"context"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// TestRedisPriorityServesMoneyFirst: through Redis, with every slot that
// background work may take in use and a background call queued, a money
// call starts at once (the slot kept for money), and a second money call,
// queued after the background one, is served first when a slot frees.
func TestRedisPriorityServesMoneyFirst(t *testing.T) {
	t.Parallel()
	s := newRedisSetup(t)
	g := s.gov(t, clover.Budget{TokenRPS: 1e6, TokenConcurrent: 3, AppRPS: 1e6, AppConcurrent: 100})
	acq := func(p clover.Priority) func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		rel, err := g.Acquire(ctx, classKey("a", p))
		if err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		return rel
	}
	b1, b2 := acq(clover.PriorityBackground), acq(clover.PriorityBackground)
	got := make(chan clover.Priority, 2)
	rels := make(chan func(), 2)
	wait := func(p clover.Priority) {
		go func() {
			rel, err := g.Acquire(t.Context(), classKey("a", p))
			if err == nil {
				rels <- rel
				got <- p
			}
		}()
	}
	wait(clover.PriorityBackground)
	m1 := acq(clover.PriorityMoney)
	wait(clover.PriorityMoney)
	select {
	case p := <-got:
		t.Fatalf("%v started beyond the budget", p)
	case <-time.After(100 * time.Millisecond): // both still waiting
	}
	b1()
	if p := <-got; p != clover.PriorityMoney {
		t.Fatalf("a freed slot went to %v before waiting money", p)
	}
	m1()
	(<-rels)()
	if p := <-got; p != clover.PriorityBackground {
		t.Fatalf("then %v", p)
	}
	(<-rels)()
	b2()
}
