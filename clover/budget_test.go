package clover_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// blockingGovernor never grants: the budget stays exhausted.
type blockingGovernor struct{}

func (blockingGovernor) Acquire(ctx context.Context, _ clover.BudgetKey) (func(), error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestMaxBudgetWait: a call that cannot get budget in time is refused with
// a definite 429 budget_exhausted, and nothing reaches Clover.
func TestMaxBudgetWait(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c := clover.New(clover.Config{
		URLs: clover.URLs{Ecommerce: srv.URL}, Governor: blockingGovernor{}, MaxBudgetWait: 20 * time.Millisecond,
	})
	// The override runs on a client with no default bound, so only the
	// per-call MaxBudgetWait can refuse it (ignored, the call would wait out
	// its context and fail with a deadline instead).
	unbounded := clover.New(clover.Config{URLs: clover.URLs{Ecommerce: srv.URL}, Governor: blockingGovernor{}})
	a := clover.Auth{MerchantID: "M", AccessToken: "t"}
	for name, tc := range map[string]struct {
		c *clover.Client
		o *clover.RequestOptions
	}{
		"client default":    {c, nil},
		"per-call override": {unbounded, &clover.RequestOptions{MaxBudgetWait: 10 * time.Millisecond}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := tc.c.CreateCharge(ctx, a, clover.ChargeParams{Amount: 100, Currency: "usd", Source: "clv_x"}, withPayer(tc.o))
		cancel()
		var ce *clover.Error
		if !errors.As(err, &ce) || ce.Status != 429 || ce.Code != "budget_exhausted" || clover.IsUnknownOutcome(err) {
			t.Fatalf("%s: err = %v, want a definite 429 budget_exhausted", name, err)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("%d requests reached Clover", hits.Load())
	}
	// The caller's own deadline is not a budget refusal.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	_, err := c.GetCharge(ctx, a, "CH1")
	var ce *clover.Error
	if errors.As(err, &ce) {
		t.Fatalf("a caller's deadline reads as a Clover answer: %v", err)
	}
}
