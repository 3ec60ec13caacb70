package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/paybridge/paybridge/store"
)

// pendingFanoutEvery is how often the runner takes the fan-outs of events
// that a process without a runner committed (an operator command, a
// server's start-up or shutdown): at most this late, never lost.
const pendingFanoutEvery = 5 * time.Second

// sweepPendingFanouts enqueues the fan-out job of every pending fan-out
// (store.TakePendingFanouts), each batch in the transaction that takes
// it: a crash in between leaves the rows for the next sweep.
func (r *Runner) sweepPendingFanouts(ctx context.Context) error {
	if waiting, err := r.DB.HasPendingFanouts(ctx); err != nil || !waiting {
		return err
	}
	const batch = 500
	for {
		var n int
		err := r.DB.WithRiverTx(ctx, func(tx store.Tx) error {
			refs, err := r.DB.TakePendingFanouts(ctx, tx, batch)
			if err != nil || len(refs) == 0 {
				return err
			}
			n = len(refs)
			params := make([]river.InsertManyParams, len(refs))
			for i, ref := range refs {
				params[i] = river.InsertManyParams{Args: FanoutArgs{EventID: ref.ID, MerchantID: ref.MerchantID},
					InsertOpts: &river.InsertOpts{Queue: queueWebhooks}}
			}
			return r.q.InsertTx(ctx, tx, params)
		})
		if err != nil || n < batch {
			return err
		}
	}
}
