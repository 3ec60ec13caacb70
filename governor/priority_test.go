package governor

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/paybridge/paybridge/clover"
)

func classKey(token string, p clover.Priority) clover.BudgetKey {
	k := key(token)
	k.Priority = p
	return k
}

// TestPriorityServesMoneyFirst (Local): with every slot background work may
// take in use and background and order-sync calls queued, a money call
// starts at once (the slot kept for money); the next money call, queued
// last, is served before them, then order syncs, then background, FIFO
// within a class. Without priorities the queued background calls would go
// first.
func TestPriorityServesMoneyFirst(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{TokenRPS: 1e6, TokenConcurrent: 3, AppRPS: 1e6, AppConcurrent: 100})
		b1 := mustAcquire(t, g, classKey("a", clover.PriorityBackground))
		b2 := mustAcquire(t, g, classKey("a", clover.PriorityBackground))
		t0 := time.Now()
		b3 := acquireAsync(t.Context(), g, classKey("a", clover.PriorityBackground), t0)
		synctest.Wait()
		o1 := acquireAsync(t.Context(), g, classKey("a", clover.PriorityOrderSync), t0)
		synctest.Wait()
		m1 := mustAcquire(t, g, classKey("a", clover.PriorityMoney)) // the slot kept for money
		m2 := acquireAsync(t.Context(), g, classKey("a", clover.PriorityMoney), t0)
		synctest.Wait()
		pending := func(ch <-chan result) bool { return len(ch) == 0 }
		if !pending(b3) || !pending(o1) || !pending(m2) {
			t.Fatal("a call started beyond the budget")
		}
		b1()
		synctest.Wait()
		if pending(m2) || !pending(o1) || !pending(b3) {
			t.Fatalf("after a release: money waiting %v, order sync waiting %v, background waiting %v; want money served", pending(m2), pending(o1), pending(b3))
		}
		m1()
		synctest.Wait()
		if !pending(o1) {
			t.Fatal("an order sync took the slot kept for money")
		}
		r := <-m2
		r.release()
		synctest.Wait()
		if pending(o1) || !pending(b3) {
			t.Fatalf("order sync waiting %v, background waiting %v; want the order sync first", pending(o1), pending(b3))
		}
		b2()
		synctest.Wait()
		if pending(b3) {
			t.Fatal("background never served")
		}
		(<-o1).release()
		(<-b3).release()
		checkEmpty(t, g)
	})
}

// TestPriorityAcrossTokens (Local): the shared app budget goes to another
// token's waiting money before this token's queued order syncs.
func TestPriorityAcrossTokens(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{TokenRPS: 1e6, TokenConcurrent: 10, AppRPS: 1e6, AppConcurrent: 3})
		m0 := mustAcquire(t, g, classKey("a", clover.PriorityMoney))
		m1 := mustAcquire(t, g, classKey("a", clover.PriorityMoney))
		m2 := mustAcquire(t, g, classKey("a", clover.PriorityMoney))
		t0 := time.Now()
		sync := acquireAsync(t.Context(), g, classKey("a", clover.PriorityOrderSync), t0)
		synctest.Wait()
		money := acquireAsync(t.Context(), g, classKey("b", clover.PriorityMoney), t0)
		synctest.Wait()
		m0()
		synctest.Wait()
		if len(money) != 1 || len(sync) != 0 {
			t.Fatalf("after a release: money served %v, order sync served %v", len(money) == 1, len(sync) == 1)
		}
		m1()
		m2()
		synctest.Wait()
		(<-money).release()
		(<-sync).release()
		checkEmpty(t, g)
	})
}
