package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/webhook"
)

// FanoutArgs turns one event into one delivery job per endpoint that
// wants it.
type FanoutArgs struct {
	EventID    string `json:"event_id"`
	MerchantID string `json:"merchant_id"`
}

// Kind is River's job kind.
func (FanoutArgs) Kind() string { return "event_fanout" }

// DeliverArgs sends one event to one endpoint.
type DeliverArgs struct {
	EventID    string `json:"event_id"`
	MerchantID string `json:"merchant_id"`
	EndpointID string `json:"endpoint_id"`
	Manual     bool   `json:"manual,omitempty"` // a redelivery by hand: also to a disabled endpoint
}

// Kind is River's job kind.
func (DeliverArgs) Kind() string { return "webhook_deliver" }

type fanoutWorker struct {
	river.WorkerDefaults[FanoutArgs]
	r *Runner
}

func (w *fanoutWorker) Work(ctx context.Context, job *river.Job[FanoutArgs]) error {
	ev, err := w.r.DB.GetEvent(ctx, job.Args.MerchantID, job.Args.EventID)
	if err != nil {
		return err
	}
	params, err := w.r.deliveries(ctx, ev, "", false)
	if err != nil || len(params) == 0 {
		return err
	}
	return w.r.q.Insert(ctx, params)
}

// deliveries are the delivery jobs of ev: to endpointID only, or to every
// enabled endpoint that wants its type.
func (r *Runner) deliveries(ctx context.Context, ev *paybridge.Event, endpointID string, manual bool) ([]river.InsertManyParams, error) {
	eps, err := r.DB.ListWebhookEndpoints(ctx, ev.MerchantID)
	if err != nil {
		return nil, err
	}
	var params []river.InsertManyParams
	for _, e := range eps {
		if endpointID != "" && e.ID != endpointID {
			continue
		}
		// By hand, a disabled endpoint is retried (a person asked); an
		// endpoint that never subscribed to this event type is not.
		if (!manual && e.Disabled) || !e.Wants(ev.Type) {
			continue
		}
		params = append(params, river.InsertManyParams{
			Args:       DeliverArgs{EventID: ev.ID, MerchantID: ev.MerchantID, EndpointID: e.ID, Manual: manual},
			InsertOpts: &river.InsertOpts{Queue: queueWebhooks, MaxAttempts: r.MaxAttempts},
		})
	}
	return params, nil
}

// Redeliver queues ev again for every endpoint of the merchant that wants
// it (or only endpointID), disabled ones included: a person asked. It
// returns how many deliveries were queued.
func (r *Runner) Redeliver(ctx context.Context, merchantID, eventID, endpointID string) (int, error) {
	if r.q == nil {
		return 0, ErrNotStarted
	}
	ev, err := r.DB.GetEvent(ctx, merchantID, eventID)
	if err != nil {
		return 0, err
	}
	params, err := r.deliveries(ctx, ev, endpointID, true)
	if err != nil || len(params) == 0 {
		return 0, err
	}
	return len(params), r.q.Insert(ctx, params)
}

// Payload is the JSON body of a delivery: the event, with the object as
// the API shows it and its version, so a receiver can order what it gets.
func Payload(ev *paybridge.Event) ([]byte, error) { return json.Marshal(ev) }

type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	r *Runner
}

func (w *deliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration { return 30 * time.Second }

// NextRetry is exponential from RetryBase, capped at RetryCap, with ±10 %
// jitter so a recovering receiver is not hit by every retry at once.
func (w *deliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	d := w.r.RetryBase << min(max(job.Attempt-1, 0), 30)
	if d <= 0 || d > w.r.RetryCap {
		d = w.r.RetryCap
	}
	d += time.Duration((rand.Float64()*0.2 - 0.1) * float64(d))
	return w.r.Now().Add(d)
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	r, a := w.r, job.Args
	e, err := r.DB.GetWebhookEndpoint(ctx, a.MerchantID, a.EndpointID)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
		return nil // deleted: nothing to do
	} else if err != nil {
		return err
	}
	if e.Disabled && !a.Manual {
		return nil
	}
	ev, err := r.DB.GetEvent(ctx, a.MerchantID, a.EventID)
	if err != nil {
		return err
	}
	secrets, err := r.Secrets(e)
	if err != nil {
		return river.JobCancel(err)
	}
	body, err := Payload(ev)
	if err != nil {
		return river.JobCancel(err)
	}
	res, sendErr := r.Sender.Send(ctx, e.URL, ev.ID, body, secrets...)
	if r.OnDelivery != nil {
		r.OnDelivery(deliveryOutcome(res, sendErr), res.Duration)
	}
	disabled, err := r.DB.EndpointDelivered(ctx, a.MerchantID, e.ID, sendErr == nil, r.Now(), r.DisableAfter)
	if err != nil {
		r.Logger.Error("record webhook delivery", "endpoint_id", e.ID, "err", err)
	}
	if sendErr == nil {
		return nil
	}
	if disabled {
		r.Logger.Warn("webhook endpoint disabled after failing for days", "endpoint_id", e.ID)
		return river.JobCancel(sendErr)
	}
	if errors.Is(sendErr, webhook.ErrForbiddenTarget) {
		return river.JobCancel(sendErr)
	}
	return fmt.Errorf("deliver %s to %s (attempt %d): %w", ev.ID, e.ID, job.Attempt, sendErr)
}

// Secrets opens an endpoint's signing secrets: the current one, and the
// previous one while its overlap lasts.
func (r *Runner) Secrets(e *paybridge.WebhookEndpoint) ([]string, error) {
	cur, err := r.Sealer.Open(e.SealedSecret, webhook.SecretAAD(e.ID))
	if err != nil {
		return nil, fmt.Errorf("open endpoint secret: %w", err)
	}
	out := []string{string(cur)}
	if len(e.SealedOldSecret) > 0 && e.OldSecretExpiresAt != nil && r.Now().Before(*e.OldSecretExpiresAt) {
		old, err := r.Sealer.Open(e.SealedOldSecret, webhook.SecretAAD(e.ID))
		if err != nil {
			return nil, fmt.Errorf("open old endpoint secret: %w", err)
		}
		out = append(out, string(old))
	}
	return out, nil
}

// deliveryOutcome classifies one attempt for metrics.
func deliveryOutcome(res webhook.Result, err error) string {
	switch {
	case err == nil:
		return DeliveryDelivered
	case errors.Is(err, webhook.ErrForbiddenTarget):
		return DeliveryRefused
	case res.Status != 0:
		return DeliveryFailed
	}
	return DeliveryNoAnswer
}
