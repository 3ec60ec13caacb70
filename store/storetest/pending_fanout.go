package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/paybridge/paybridge/store"
)

// With no hook, the listened events of a commit become pending fan-outs
// (the quiet merchant's do not), and concurrent takers take each exactly
// once.
func testPendingFanoutsTakenOnce(t *testing.T, db *store.DB) {
	ctx := context.Background()
	db.OnEvents = nil
	heard, quiet := newMerchant(t, db), newMerchant(t, db)
	Listen(t, db, heard, true)
	for range 5 {
		succeed(t, db, newPayment(t, db, heard, newInvoice(t, db, heard, newCustomer(t, db, heard)), 2550))
		succeed(t, db, newPayment(t, db, quiet, newInvoice(t, db, quiet, newCustomer(t, db, quiet)), 2550))
	}
	want := map[string]bool{}
	for _, ev := range eventsOf(t, db, heard, "") {
		want[ev.ID] = true
	}
	var mu sync.Mutex
	taken := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				var n int
				err := db.WithRiverTx(ctx, func(tx store.Tx) error {
					refs, err := db.TakePendingFanouts(ctx, tx, 2)
					mu.Lock()
					defer mu.Unlock()
					for _, r := range refs {
						if r.MerchantID != heard.ID {
							t.Errorf("pending fan-out of merchant %s, who has no endpoint", r.MerchantID)
						}
						taken[r.ID]++
					}
					n = len(refs)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if len(taken) != len(want) {
		t.Fatalf("took %d pending fan-outs, want the %d events of the listened merchant", len(taken), len(want))
	}
	for id, n := range taken {
		if !want[id] || n != 1 {
			t.Fatalf("event %s taken %d times (an event of the merchant: %v)", id, n, want[id])
		}
	}
}
