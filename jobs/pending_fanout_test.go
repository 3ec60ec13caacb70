package jobs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/jobs"
	"github.com/paybridge/paybridge/store"
	"github.com/paybridge/paybridge/webhook"
)

// Events committed while no runner is hooked into the store (a start-up
// step before the runner, an operator command in its own process, a write
// after Stop) are delivered once a runner starts, each exactly once: on
// both engines.
func TestEventsWithoutRunnerAreDelivered(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var mu sync.Mutex
		got := map[string]int{} // webhook-id → deliveries
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			got[r.Header.Get(webhook.HeaderID)]++
			mu.Unlock()
		}))
		defer srv.Close()

		// A first runner hooks and stops; then two events are written with
		// no runner working (the store stays hooked after Stop, so unhook it
		// as a process without a runner is).
		first := setup(t, db)
		first.endpoint(t, srv.URL)
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := first.r.Stop(stopCtx); err != nil {
			t.Fatal(err)
		}
		db.OnEvents = nil
		for _, st := range []paybridge.MerchantStatus{paybridge.MerchantReauthorizationRequired, paybridge.MerchantActive} {
			if err := db.SetMerchantStatus(ctx, first.m.ID, st); err != nil {
				t.Fatal(err)
			}
		}
		evs, _, err := db.ListEvents(ctx, first.m.ID, paybridge.EventFilter{})
		if err != nil || len(evs) != 2 {
			t.Fatalf("events = %d, %v; want 2", len(evs), err)
		}

		r := jobs.New(db, first.r.Service, first.sealer, webhook.NewSender(true))
		r.Logger, r.RetryBase, r.RetryCap, r.PollInterval = quiet, 10*time.Millisecond, 50*time.Millisecond, 20*time.Millisecond
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = r.Stop(ctx)
		})
		waitFor(t, "both events delivered", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return got[evs[0].ID] >= 1 && got[evs[1].ID] >= 1
		})
		// Nothing is left to take: a second sweep cannot deliver them again.
		err = db.WithRiverTx(ctx, func(tx store.Tx) error {
			left, err := db.TakePendingFanouts(ctx, tx, 10)
			if len(left) != 0 {
				t.Errorf("pending fan-outs left after the start sweep: %v", left)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
