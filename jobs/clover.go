package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/store"
)

// CloverArgs syncs the objects one Clover platform webhook named.
type CloverArgs struct {
	Notices []paybridge.CloverNotice `json:"notices"`
}

// Kind is River's job kind.
func (CloverArgs) Kind() string { return "clover_sync" }

// AcceptClover durably records a platform webhook: items never seen
// before are stored for deduplication and one sync job is inserted, in one
// transaction, before the webhook is answered. It returns how many items
// were new (0 for a replay).
func (r *Runner) AcceptClover(ctx context.Context, p *clover.WebhookPayload) (int, error) {
	if r.q == nil {
		return 0, ErrNotStarted
	}
	var ns []paybridge.CloverNotice
	for mid, evs := range p.Merchants {
		for _, e := range evs {
			ns = append(ns, paybridge.CloverNotice{CloverMerchantID: mid, ObjectID: e.ObjectID, Type: e.Type, TS: e.TS})
		}
	}
	if len(ns) == 0 {
		return 0, nil
	}
	return r.DB.AcceptCloverNotices(ctx, ns, func(ctx context.Context, tx store.Tx, fresh []paybridge.CloverNotice) error {
		return r.q.InsertTx(ctx, tx, []river.InsertManyParams{{Args: CloverArgs{Notices: fresh},
			InsertOpts: &river.InsertOpts{Queue: queueClover, MaxAttempts: 20}}})
	})
}

type cloverWorker struct {
	river.WorkerDefaults[CloverArgs]
	r *Runner
}

func (w *cloverWorker) Timeout(*river.Job[CloverArgs]) time.Duration { return 2 * time.Minute }

// NextRetry waits a little longer each time, from one second up to ten
// minutes: a sync usually waits on paybridge's own refund settling.
func (w *cloverWorker) NextRetry(job *river.Job[CloverArgs]) time.Time {
	d := time.Second << min(max(job.Attempt-1, 0), 10)
	return w.r.Now().Add(min(d, 10*time.Minute))
}

func (w *cloverWorker) Work(ctx context.Context, job *river.Job[CloverArgs]) error {
	var errs []error
	for _, n := range job.Args.Notices {
		if err := w.r.Service.SyncCloverObject(ctx, n.CloverMerchantID, n.ObjectID, n.Type); err != nil {
			if !errors.Is(err, billing.ErrSyncLater) {
				w.r.Logger.Error("sync Clover object", "object_id", n.ObjectID, "err", err)
			}
			errs = append(errs, fmt.Errorf("%s: %w", n.ObjectID, err))
		}
	}
	// Syncing is idempotent (known refunds are skipped), so retrying the
	// whole batch is safe.
	return errors.Join(errs...)
}
