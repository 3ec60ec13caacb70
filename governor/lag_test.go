package governor

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// TestLaggedHoldsConcurrencyForGrace: with one call allowed in flight, the
// next call starts only Grace after the previous release.
func TestLaggedHoldsConcurrencyForGrace(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := &Lagged{Governor: NewLocal(clover.Budget{TokenRPS: 1000, TokenConcurrent: 1, AppRPS: 1000, AppConcurrent: 10}), Grace: 25 * time.Millisecond}
		key := clover.BudgetKey{App: "app", Token: "tok"}
		rel, err := g.Acquire(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		released := time.Now()
		rel()
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		_, err = g.Acquire(ctx, key)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("call within the grace: %v, want to wait", err)
		}
		rel, err = g.Acquire(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(released); d != 25*time.Millisecond {
			t.Errorf("next call started %v after the release, want the 25ms grace", d)
		}
		rel()
		time.Sleep(time.Second) // let the lagged release run inside the bubble
	})
}
