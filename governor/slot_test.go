package governor

// Tests of when a call's rate slot is held: from its start until a second
// after its release, and not at all if the call is never made.

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// TestSlowCallDelaysNextStart: a call holds its rate slot while in flight
// and for a second after its release, so a slow call delays the start that
// would reuse its slot; a start-time window would admit it a second after
// the slow call started.
func TestSlowCallDelaysNextStart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := NewLocal(clover.Budget{TokenRPS: 2, TokenConcurrent: 10})
		t0 := time.Now()
		slow := mustAcquire(t, g, key("a"))
		mustAcquire(t, g, key("a"))() // instant: its slot frees at 1 s
		third := acquireAsync(t.Context(), g, key("a"), t0)
		synctest.Wait()
		fourth := acquireAsync(t.Context(), g, key("a"), t0)
		synctest.Wait()
		time.Sleep(600 * time.Millisecond)
		slow() // released at 0.6 s: its slot frees at 1.6 s
		r := <-third
		if r.err != nil || r.at != time.Second {
			t.Fatalf("third call: (%v at %v), want the instant call's slot at 1s", r.err, r.at)
		}
		r.release()
		if r := <-fourth; r.err != nil || r.at != 1600*time.Millisecond {
			t.Fatalf("fourth call: (%v at %v), want the slow call's slot at 1.6s", r.err, r.at)
		} else {
			r.release()
		}

		// A call longer than the window: the next start waits for its
		// release plus a second, not for a timer.
		g = NewLocal(clover.Budget{TokenRPS: 1, TokenConcurrent: 10})
		t0 = time.Now()
		slow = mustAcquire(t, g, key("a"))
		next := acquireAsync(t.Context(), g, key("a"), t0)
		time.Sleep(2500 * time.Millisecond)
		slow()
		if r := <-next; r.err != nil || r.at != 3500*time.Millisecond {
			t.Fatalf("after a 2.5s call at 1/s: (%v at %v), want 3.5s", r.err, r.at)
		} else {
			r.release()
		}
		checkEmpty(t, g)
	})
}

// grantingCtx is a context that is live until the select in Acquire asks
// for its Done channel; then it releases the call holding the only slot,
// which grants the waiter, and ends. Acquire then finds both its grant and
// the context's end ready, the race a real context's deadline can hit.
type grantingCtx struct {
	context.Context
	release func()
	done    chan struct{}
	once    sync.Once
	ended   atomic.Bool
}

func (c *grantingCtx) Done() <-chan struct{} {
	c.once.Do(func() {
		c.release()
		c.ended.Store(true)
		close(c.done)
	})
	return c.done
}

func (c *grantingCtx) Err() error {
	if c.ended.Load() {
		return context.Canceled
	}
	return nil
}

// TestGrantedAsContextEndsSpendsNothing: a call admitted as its context
// ends is never made, so Acquire returns the context's error and holds no
// concurrency slot and no rate slot; the next call starts at once. Select
// picks at random between the grant and the end, so it runs many times.
func TestGrantedAsContextEndsSpendsNothing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for range 32 {
			// Rate 2: the released call holds one slot until 1 s, the
			// other is the waiter's to spend or give back.
			g := NewLocal(clover.Budget{TokenRPS: 2, TokenConcurrent: 1})
			ctx := &grantingCtx{Context: t.Context(), release: mustAcquire(t, g, key("a")), done: make(chan struct{})}
			if release, err := g.Acquire(ctx, key("a")); !errors.Is(err, context.Canceled) || release != nil {
				t.Fatalf("Acquire granted as its ctx ended: (release %v, %v), want Canceled", release != nil, err)
			}
			mustAcquire(t, g, key("a"))() // the slot the ended call gave back
			checkEmpty(t, g)
		}
	})
}
