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
// before are stored for deduplication and a sync job is inserted, in one
// transaction, before the webhook is answered. It returns how many items
// were new (0 for a replay). Concurrent calls share transactions (group
// commit), so a burst costs a few commits, not one per webhook.
func (r *Runner) AcceptClover(ctx context.Context, p *clover.WebhookPayload) (int, error) {
	var ns []paybridge.CloverNotice
	for mid, evs := range p.Merchants {
		for _, e := range evs {
			ns = append(ns, paybridge.CloverNotice{CloverMerchantID: mid, ObjectID: e.ObjectID, Type: e.Type, TS: e.TS})
		}
	}
	if len(ns) == 0 {
		return 0, nil
	}
	if r.accepts == nil {
		return 0, ErrNotStarted
	}
	req := acceptReq{ns: ns, done: make(chan acceptRes, 1)}
	select {
	case r.accepts <- req:
	case <-r.stopped:
		return 0, ErrNotStarted
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	select {
	case res := <-req.done:
		return res.n, res.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

type acceptReq struct {
	ns   []paybridge.CloverNotice
	done chan acceptRes
}

type acceptRes struct {
	n   int
	err error
}

// maxAcceptBatch bounds one group-commit transaction.
const maxAcceptBatch = 256

// acceptLoop commits waiting AcceptClover calls together: it takes one,
// then whatever else is already waiting (no added delay), and records them
// all with their sync jobs in one transaction.
func (r *Runner) acceptLoop() {
	defer close(r.acceptDone)
	for {
		var first acceptReq
		select {
		case first = <-r.accepts:
		case <-r.stopped:
			return
		}
		batch := []acceptReq{first}
	drain:
		for len(batch) < maxAcceptBatch {
			select {
			case q := <-r.accepts:
				batch = append(batch, q)
			default:
				break drain
			}
		}
		counts := make([]int, len(batch))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := r.DB.WithRiverTx(ctx, func(tx store.Tx) error {
			var all []paybridge.CloverNotice
			for i, q := range batch {
				fresh, err := r.DB.RecordCloverNotices(ctx, tx, q.ns)
				if err != nil {
					return err
				}
				counts[i] = len(fresh)
				all = append(all, fresh...)
			}
			if len(all) == 0 {
				return nil
			}
			// One sync job per batch: syncing is idempotent, so a retry of
			// the whole batch is safe.
			return r.q.InsertTx(ctx, tx, []river.InsertManyParams{{Args: CloverArgs{Notices: all},
				InsertOpts: &river.InsertOpts{Queue: queueClover, MaxAttempts: 20}}})
		})
		cancel()
		for i, q := range batch {
			if err != nil {
				q.done <- acceptRes{err: err}
			} else {
				q.done <- acceptRes{n: counts[i]}
			}
		}
	}
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
