package jobs

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/seal"
	"github.com/paybridge/paybridge/store"
	"github.com/paybridge/paybridge/webhook"
)

// Periodic is work River runs every Every, one instance at a time.
type Periodic struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) error
}

// Runner owns the River client and paybridge's workers. Set the exported
// fields, then Start; defaults are filled by New.
type Runner struct {
	DB      *store.DB
	Service *billing.Service
	Sealer  *seal.Sealer
	Sender  *webhook.Sender
	Logger  *slog.Logger
	Now     func() time.Time

	// Delivery retries: RetryBase·2^(n−1), capped at RetryCap, for
	// MaxAttempts attempts (defaults 5 s, 6 h, 24: about three days).
	RetryBase   time.Duration
	RetryCap    time.Duration
	MaxAttempts int
	// DisableAfter disables an endpoint that has failed without a success
	// for this long (default 72 h), with a webhook_endpoint.disabled event.
	DisableAfter time.Duration
	// SecretOverlap is how long a rotated-out secret keeps signing.
	SecretOverlap time.Duration
	// PollInterval is how often idle workers look for jobs (SQLite has no
	// LISTEN/NOTIFY); default 100 ms.
	PollInterval time.Duration
	// Workers is the delivery concurrency (default 20).
	Workers   int
	Periodics []Periodic
	// OrderSyncBackoff is the first wait before retrying an invoice's
	// Clover order, doubling each time up to OrderSyncBackoffCap (defaults
	// 1 s and 1 h); tests shorten them.
	OrderSyncBackoff    time.Duration
	OrderSyncBackoffCap time.Duration
	// OnDelivery observes every delivery attempt with its outcome
	// (DeliveryDelivered, …) and latency; optional (see DeliveryMetrics).
	OnDelivery func(outcome string, d time.Duration)

	q          queue
	accepts    chan acceptReq // AcceptClover → acceptLoop
	stopped    chan struct{}  // closed by Stop
	acceptDone chan struct{}  // closed when acceptLoop returns
}

// New returns a Runner with defaults.
func New(db *store.DB, svc *billing.Service, sealer *seal.Sealer, sender *webhook.Sender) *Runner {
	return &Runner{DB: db, Service: svc, Sealer: sealer, Sender: sender, Logger: slog.Default(), Now: time.Now,
		RetryBase: 5 * time.Second, RetryCap: 6 * time.Hour, MaxAttempts: 24, DisableAfter: 72 * time.Hour,
		SecretOverlap: 24 * time.Hour, PollInterval: 100 * time.Millisecond, Workers: 20,
		OrderSyncBackoff: time.Second, OrderSyncBackoffCap: time.Hour}
}

// Queues of paybridge's jobs: deliveries apart so a slow receiver never
// delays Clover syncs or reconciliation, and invoices' orders apart so a
// monthly billing run's thousand orders never delay either.
const (
	queueWebhooks = "webhooks"
	queueClover   = "clover"
	queueOrders   = "orders"
)

// Start migrates River's tables, hooks event fan-out into the store's
// transactions and starts working.
func (r *Runner) Start(ctx context.Context) error {
	workers := river.NewWorkers()
	river.AddWorker(workers, &fanoutWorker{r: r})
	river.AddWorker(workers, &deliverWorker{r: r})
	river.AddWorker(workers, &cloverWorker{r: r})
	river.AddWorker(workers, &orderSyncWorker{r: r})
	byName := map[string]Periodic{}
	var periodic []*river.PeriodicJob
	periodics := append(slices.Clip(r.Periodics),
		Periodic{Name: "pending-fanouts", Every: pendingFanoutEvery, Run: r.sweepPendingFanouts},
		Periodic{Name: "order-sync-sweep", Every: sweepEvery, Run: r.sweepOrderSyncs})
	for _, p := range periodics {
		byName[p.Name] = p
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(p.Every),
			func() (river.JobArgs, *river.InsertOpts) {
				return PeriodicArgs{Name: p.Name}, &river.InsertOpts{MaxAttempts: 1,
					UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{rivertype.JobStateAvailable,
						rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled, rivertype.JobStateRetryable}}}
			}, &river.PeriodicJobOpts{ID: p.Name, RunOnStart: true}))
	}
	river.AddWorker(workers, &periodicWorker{r: r, byName: byName})
	cfg := &river.Config{
		Logger:            r.Logger,
		Workers:           workers,
		PeriodicJobs:      periodic,
		FetchPollInterval: r.PollInterval,
		FetchCooldown:     min(r.PollInterval, 20*time.Millisecond),
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 4},
			queueWebhooks:      {MaxWorkers: r.Workers},
			queueClover:        {MaxWorkers: 4},
			// As many as the app's calls in flight: the governor, not
			// the workers, paces them.
			queueOrders: {MaxWorkers: 10},
		},
		// A job acts outside the database (webhooks, Clover, email): it
		// starts only once every commit before it is on disk, deferred
		// ones included (store/defer.go).
		Middleware: []rivertype.Middleware{river.WorkerMiddlewareFunc(
			func(ctx context.Context, _ *rivertype.JobRow, doInner func(context.Context) error) error {
				if err := r.DB.SyncCommits(ctx); err != nil {
					return err
				}
				return doInner(ctx)
			})},
		JobTimeout:                  time.Minute,
		CompletedJobRetentionPeriod: time.Hour,
		RescueStuckJobsAfter:        5 * time.Minute,
	}
	// River's client id is the process's lease id (store.HoldLease): the
	// jobs a killed process was running are told by its lease and rescued
	// at once (store.DB.RescueJobs), here and in every recovery pass.
	cfg.ID = r.DB.Instance
	q, err := newQueue(ctx, r.DB, cfg)
	if err != nil {
		return err
	}
	if r.DB.Instance != "" {
		if n, err := r.DB.RescueJobs(ctx); err != nil {
			return err
		} else if n > 0 {
			r.Logger.Info("rescued the jobs of dead processes", "count", n)
		}
	}
	r.q = q
	r.DB.OnEvents, r.DB.OnOrderSync = r.enqueueFanout, r.enqueueOrderSync
	if err := q.Start(ctx); err != nil {
		r.DB.OnEvents, r.DB.OnOrderSync = nil, nil
		return err
	}
	// Events committed before the hook was set are pending fan-outs now
	// (the periodic sweep takes any a later hook-less writer leaves).
	if err := r.sweepPendingFanouts(ctx); err != nil {
		r.Logger.Warn("jobs: pending fan-outs at start; the periodic sweep retries", "err", err)
	}
	r.accepts, r.stopped, r.acceptDone = make(chan acceptReq), make(chan struct{}), make(chan struct{})
	go r.acceptLoop()
	return nil
}

// Stop stops fetching and lets running jobs finish until ctx ends. The
// store stays hooked: what commits after it is enqueued for the next start.
func (r *Runner) Stop(ctx context.Context) error {
	if r.q == nil {
		return nil
	}
	if r.stopped != nil { // a second Stop is a no-op here
		close(r.stopped)
		<-r.acceptDone
		r.stopped = nil
	}
	return r.q.Stop(ctx)
}

// enqueueFanout is the store's commit hook: one fan-out job per event, in
// the event's own transaction. The store calls it only with events of
// merchants that have an enabled webhook endpoint, read by the event's
// own INSERT (store.EventsFunc): most merchants of a sandbox or a fresh
// install have none, and a job per event would put background writes on
// every payment's path for nothing.
func (r *Runner) enqueueFanout(ctx context.Context, tx store.Tx, events []*paybridge.Event) error {
	params := make([]river.InsertManyParams, len(events))
	for i, ev := range events {
		params[i] = river.InsertManyParams{Args: FanoutArgs{EventID: ev.ID, MerchantID: ev.MerchantID},
			InsertOpts: &river.InsertOpts{Queue: queueWebhooks}}
	}
	return r.q.InsertTx(ctx, tx, params)
}

// ErrNotStarted is returned by enqueueing methods before Start.
var ErrNotStarted = errors.New("jobs: runner not started")
