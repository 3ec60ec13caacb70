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
	// Retry counts earlier attempts at these notices (a retry job holds
	// only the notices that failed).
	Retry int `json:"retry,omitempty"`
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

// maxCloverRetries bounds how often a notice is retried (about two hours
// with the backoff of cloverBackoff); then it is logged and dropped.
const maxCloverRetries = 20

func (w *cloverWorker) Timeout(*river.Job[CloverArgs]) time.Duration { return 2 * time.Minute }

// cloverBackoff waits a little longer each time, from one second up to
// ten minutes: a sync usually waits on paybridge's own payment or refund
// settling.
func cloverBackoff(retry int) time.Duration {
	return min(time.Second<<min(max(retry-1, 0), 10), 10*time.Minute)
}

// NextRetry applies when the retry job itself could not be written.
func (w *cloverWorker) NextRetry(job *river.Job[CloverArgs]) time.Time {
	return w.r.Now().Add(cloverBackoff(job.Attempt))
}

// Work syncs each notice. The ones that fail (or must wait for
// paybridge's own operation) are retried later in a new job of their own,
// so the ones that succeeded are not synced again: each costs its Clover
// call once.
func (w *cloverWorker) Work(ctx context.Context, job *river.Job[CloverArgs]) error {
	var failed []paybridge.CloverNotice
	for _, n := range job.Args.Notices {
		if err := w.r.Service.SyncCloverObject(ctx, n); err != nil {
			if !errors.Is(err, billing.ErrSyncLater) {
				w.r.Logger.Error("sync Clover object", "object_id", n.ObjectID, "type", n.Type, "err", err)
			}
			failed = append(failed, n)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	retry := job.Args.Retry + 1
	if retry > maxCloverRetries {
		for _, n := range failed {
			w.r.Logger.Error("Clover object not synced after many attempts: needs attention",
				"clover_merchant_id", n.CloverMerchantID, "object_id", n.ObjectID, "type", n.Type)
		}
		return nil
	}
	err := w.r.q.Insert(ctx, []river.InsertManyParams{{Args: CloverArgs{Notices: failed, Retry: retry},
		InsertOpts: &river.InsertOpts{Queue: queueClover, MaxAttempts: 20, ScheduledAt: w.r.Now().Add(cloverBackoff(retry))}}})
	if err != nil {
		return fmt.Errorf("queue %d Clover notices for retry: %w", len(failed), err)
	}
	return nil
}
