package jobs

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/store"
)

// OrderSyncArgs creates one invoice's Clover order (local-first invoices,
// DESIGN.md §4). The job is inserted in the invoice's own transaction.
type OrderSyncArgs struct {
	MerchantID string `json:"merchant_id"`
	InvoiceID  string `json:"invoice_id"`
}

// Kind is River's job kind.
func (OrderSyncArgs) Kind() string { return "invoice_order" }

// orderSyncAttempts bounds the tries of one order: with the default
// backoff (1 s doubling, capped at an hour), about fifteen hours; then
// the invoice's sync is failed and invoice.clover_sync_failed tells the
// CRM (a full payment still tries again).
const orderSyncAttempts = 25

// enqueueOrderSync is the store's OnOrderSync hook.
func (r *Runner) enqueueOrderSync(ctx context.Context, tx store.Tx, merchantID, invoiceID string) error {
	return r.q.InsertTx(ctx, tx, []river.InsertManyParams{orderSyncJob(merchantID, invoiceID)})
}

// orderSyncJob is the one job of an invoice's order: unique while it is
// queued, running or waiting to retry, so the sweep never doubles it.
func orderSyncJob(merchantID, invoiceID string) river.InsertManyParams {
	return river.InsertManyParams{Args: OrderSyncArgs{MerchantID: merchantID, InvoiceID: invoiceID},
		InsertOpts: &river.InsertOpts{Queue: queueOrders, MaxAttempts: orderSyncAttempts,
			UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{rivertype.JobStateAvailable,
				rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled, rivertype.JobStateRetryable}}}}
}

// sweepEvery is how often the sweep looks for pending invoices without
// their job.
const sweepEvery = time.Minute

// sweepOrderSyncs makes sure every invoice whose order is pending has its
// job: an invoice stored while no runner was hooked in (the sandbox's demo
// invoice, made before the jobs start; a tool writing to the store) would
// otherwise wait for ever. Invoices that have theirs are skipped by the
// job's uniqueness.
func (r *Runner) sweepOrderSyncs(ctx context.Context) error {
	pending, err := r.DB.PendingOrderSyncs(ctx, 1000)
	if err != nil || len(pending) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(pending))
	for i, p := range pending {
		params[i] = orderSyncJob(p[0], p[1])
	}
	return r.q.Insert(ctx, params)
}

type orderSyncWorker struct {
	river.WorkerDefaults[OrderSyncArgs]
	r *Runner
}

// Timeout covers a wait for the rate budget behind money movements.
func (w *orderSyncWorker) Timeout(*river.Job[OrderSyncArgs]) time.Duration { return 2 * time.Minute }

// NextRetry backs off exponentially from OrderSyncBackoff, jittered, up to
// OrderSyncBackoffCap.
func (w *orderSyncWorker) NextRetry(job *river.Job[OrderSyncArgs]) time.Time {
	d := min(w.r.OrderSyncBackoff<<min(max(job.Attempt-1, 0), 20), w.r.OrderSyncBackoffCap)
	d = d/2 + rand.N(d/2+1)
	return w.r.Now().Add(d)
}

// Work makes the order. A transient failure is returned, so River retries
// with NextRetry's backoff; the last attempt records the sync failed
// instead. Every attempt sends the same Clover idempotency key.
func (w *orderSyncWorker) Work(ctx context.Context, job *river.Job[OrderSyncArgs]) error {
	last := job.Attempt >= job.MaxAttempts
	_, err := w.r.Service.SyncInvoiceOrder(ctx, job.Args.MerchantID, job.Args.InvoiceID, last)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND && !errors.Is(err, billing.ErrOrderSyncRetry) {
		return river.JobCancel(err) // the invoice is gone (or never committed)
	}
	return err
}
