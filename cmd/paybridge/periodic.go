package main

import (
	"context"
	"time"

	"github.com/paybridge/paybridge"
)

// Periodic is background work that runs every Every, in one instance at a
// time (the job runner guarantees it across instances once it is River).
// Run must be safe to repeat: a crash mid-run means it runs again.
type Periodic struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) error
}

// periodics gathers every issue's periodic work.
func (m *Main) periodics() []Periodic {
	ps := []Periodic{{Name: "reconcile", Every: m.Config.ReconcileInterval, Run: m.recover}, {Name: "purge-idempotency-keys", Every: time.Hour, Run: func(ctx context.Context) error {
		// Keys are kept IdempotencyTTL (48 h, DESIGN.md §5 asks ≥ 24 h).
		n, err := m.DB.PurgeIdempotent(ctx, time.Now().Add(-paybridge.IdempotencyTTL))
		if n > 0 {
			m.Logger.Info("purged idempotency keys", "count", n)
		}
		return err
	}}}
	ps = append(ps, m.recurringPeriodics()...)
	return append(ps, m.onboardingPeriodics()...)
}
