package governor

import (
	"context"

	"github.com/paybridge/paybridge/clover"
)

// head is one token's queue of waiters on this instance: only the waiter
// holding the turn asks Redis, and the turn passes by priority (money, then
// order syncs, then background), FIFO within one. A holder that Redis
// refuses yields the turn to a more urgent waiter that queued meanwhile.
// Its fields are guarded by Redis.mu.
type head struct {
	refs  int
	busy  bool    // a waiter holds the turn
	queue []*turn // waiting for the turn, by priority then arrival
}

// turn is one waiter's place in a head's queue; ch is closed when the
// turn is handed to it.
type turn struct {
	prio clover.Priority
	ch   chan struct{}
}

// enqueue puts a waiter of priority p in h's queue. g.mu must be held.
func (h *head) enqueue(p clover.Priority) *turn {
	t := &turn{prio: p, ch: make(chan struct{})}
	i := len(h.queue)
	for i > 0 && h.queue[i-1].prio > p {
		i--
	}
	h.queue = append(h.queue, nil)
	copy(h.queue[i+1:], h.queue[i:])
	h.queue[i] = t
	return t
}

// handOn gives the turn to the first waiter, or frees it. g.mu must be held.
func (h *head) handOn() {
	if len(h.queue) == 0 {
		h.busy = false
		return
	}
	t := h.queue[0]
	h.queue = h.queue[1:]
	close(t.ch)
}

// takeTurn waits until the caller holds h's turn, or ctx ends (then it
// holds nothing).
func (g *Redis) takeTurn(ctx context.Context, h *head, p clover.Priority) error {
	g.mu.Lock()
	if !h.busy {
		h.busy = true
		g.mu.Unlock()
		return nil
	}
	t := h.enqueue(p)
	g.mu.Unlock()
	return g.awaitTurn(ctx, h, t)
}

// awaitTurn waits for t to be handed the turn, or for ctx to end.
func (g *Redis) awaitTurn(ctx context.Context, h *head, t *turn) error {
	select {
	case <-t.ch:
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, q := range h.queue {
		if q == t {
			h.queue = append(h.queue[:i], h.queue[i+1:]...)
			return ctx.Err()
		}
	}
	h.handOn() // handed the turn as ctx ended: pass it on
	return ctx.Err()
}

// passTurn ends the caller's turn.
func (g *Redis) passTurn(h *head) {
	g.mu.Lock()
	h.handOn()
	g.mu.Unlock()
}

// yieldTurn hands the caller's turn to a more urgent waiter, if one is
// queued, and waits for the turn to come back. It reports whether it
// yielded; on an error the caller holds nothing.
func (g *Redis) yieldTurn(ctx context.Context, h *head, p clover.Priority) (bool, error) {
	g.mu.Lock()
	if len(h.queue) == 0 || h.queue[0].prio >= p {
		g.mu.Unlock()
		return false, nil
	}
	t := h.enqueue(p)
	h.handOn()
	g.mu.Unlock()
	return true, g.awaitTurn(ctx, h, t)
}
