package loadtest

import (
	"context"
	"sync"
	"time"

	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/httpapi"
)

// Attribution splits each paybridge API request's time: inside Clover calls
// (from a call's grant to its release: the request, Clover's latency and
// the body read) and waiting for the Clover budget (from asking the
// governor to its grant). It wraps paybridge's governor, which every Clover
// attempt passes, and keys by the API request id (X-Request-Id), which the
// load tool sets.
type Attribution struct {
	mu sync.Mutex
	by map[string]*Spent
}

// Spent is one API request's time in Clover and in the budget queue.
type Spent struct {
	Clover, Budget time.Duration
	Calls          int
}

// NewAttribution returns an empty Attribution.
func NewAttribution() *Attribution { return &Attribution{by: map[string]*Spent{}} }

// Take returns and forgets what request id spent.
func (a *Attribution) Take(id string) Spent {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.by[id]
	delete(a.by, id)
	if s == nil {
		return Spent{}
	}
	return *s
}

func (a *Attribution) add(ctx context.Context, clover, budget time.Duration, calls int) {
	id := httpapi.RequestIDFrom(ctx)
	if id == "" {
		return // background work (jobs), not an API request
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.by[id]
	if s == nil {
		s = &Spent{}
		a.by[id] = s
	}
	s.Clover += clover
	s.Budget += budget
	s.Calls += calls
}

// Governor wraps g, keeping its clover.SentGovernor-ness.
func (a *Attribution) Governor(g clover.Governor) clover.Governor {
	if sg, ok := g.(clover.SentGovernor); ok {
		return &attribSent{a: a, g: sg}
	}
	return &attribGov{a: a, g: g}
}

type attribGov struct {
	a *Attribution
	g clover.Governor
}

func (w *attribGov) Acquire(ctx context.Context, key clover.BudgetKey) (func(), error) {
	t0 := time.Now()
	rel, err := w.g.Acquire(ctx, key)
	if err != nil {
		w.a.add(ctx, 0, time.Since(t0), 0)
		return nil, err
	}
	granted := time.Now()
	return func() {
		now := time.Now()
		rel()
		w.a.add(ctx, now.Sub(granted), granted.Sub(t0), 1)
	}, nil
}

type attribSent struct {
	a *Attribution
	g clover.SentGovernor
}

func (w *attribSent) Acquire(ctx context.Context, key clover.BudgetKey) (func(), error) {
	rel, err := w.AcquireSent(ctx, key)
	if err != nil {
		return nil, err
	}
	return func() { rel(time.Time{}) }, nil
}

func (w *attribSent) AcquireSent(ctx context.Context, key clover.BudgetKey) (func(time.Time), error) {
	t0 := time.Now()
	rel, err := w.g.AcquireSent(ctx, key)
	if err != nil {
		w.a.add(ctx, 0, time.Since(t0), 0)
		return nil, err
	}
	granted := time.Now()
	return func(wrote time.Time) {
		now := time.Now()
		rel(wrote)
		w.a.add(ctx, now.Sub(granted), granted.Sub(t0), 1)
	}, nil
}
