package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// Finisher finishes Idempotency-Keys from their recovery points (see
// paybridge.PhaseStarted). Finish takes an in-flight key whose request
// cannot finish it (its process died, or it failed after creating its
// resource) and returns the key completed with the answer its request
// would have given, or nil after releasing a key that had created nothing
// (the retry then runs afresh). Refresh returns a completed 202 key
// answered from its payment as it is now, storing the final answer once
// there is one.
type Finisher interface {
	Finish(ctx context.Context, rec *paybridge.IdempotencyRecord) (*paybridge.IdempotencyRecord, error)
	Refresh(ctx context.Context, rec *paybridge.IdempotencyRecord) *paybridge.IdempotencyRecord
}

// OrphanStore lists the in-flight keys whose owner's lease has expired
// (store.DB).
type OrphanStore interface {
	OrphanedIdempotent(ctx context.Context, limit int) ([]*paybridge.IdempotencyRecord, error)
}

// Recovery is the Finisher of paybridge's API, and its recovery pass: a
// retry with the key of a request whose process died gets that request's
// answer within the payment bound, and Pass finishes the keys nobody
// retries (run at start-up and every few seconds), so none stays
// 409 idempotency_in_flight.
type Recovery struct {
	Keys    IdempotencyStore // where answers are stored (SealedIdempotency)
	Orphans OrphanStore
	Service *billing.Service
	Logger  *slog.Logger
}

var _ Finisher = (*Recovery)(nil)

// Finish implements Finisher. A payment or refund still in flight is
// driven on first (billing.ResumePayment: the same Clover request with its
// own idempotency key), so the answer is the final one when Clover gives
// it within the bound, else 202 with the payment processing.
func (rc *Recovery) Finish(ctx context.Context, rec *paybridge.IdempotencyRecord) (*paybridge.IdempotencyRecord, error) {
	// Under the dead request's claim: two finishers race harmlessly (one
	// stores, the other reads what it stored), and a request only thought
	// dead cannot commit under the key once it is finished or released.
	ctx = paybridge.WithRequestKey(ctx, paybridge.RequestKey{MerchantID: rec.MerchantID, Key: rec.Key, Claim: rec.Claim})
	if rec.Resource == "" {
		err := rc.Keys.ReleaseIdempotent(ctx, rec.MerchantID, rec.Key)
		if err == nil || paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
			rc.logger().Info("idempotency key released: its request died before creating anything", "key_merchant", rec.MerchantID)
			return nil, nil
		}
		if paybridge.ErrorCode(err) != "idempotency_created" {
			return rc.stored(ctx, rec, err)
		}
		// It created its resource meanwhile: finish from there.
		cur := *rec
		got, gerr := rc.Keys.BeginIdempotent(ctx, &cur)
		if gerr != nil || got == nil || got.Completed {
			return got, gerr
		}
		rec = got
	}
	status, body, err := rc.answer(ctx, rec.MerchantID, rec.Resource, true)
	if err != nil {
		return nil, err
	}
	if err := rc.Keys.CompleteIdempotent(ctx, rec.MerchantID, rec.Key, status, body); err != nil {
		return rc.stored(ctx, rec, err)
	}
	rc.logger().Info("idempotency key finished from its recovery point", "resource", rec.Resource, "status", status)
	done := *rec
	done.Completed, done.Status, done.Body, done.Phase = true, status, body, paybridge.PhaseAnswered
	return &done, nil
}

// stored is what another finisher stored when this one's write lost
// (err is ECONFLICT); other errors are returned.
func (rc *Recovery) stored(ctx context.Context, rec *paybridge.IdempotencyRecord, err error) (*paybridge.IdempotencyRecord, error) {
	if paybridge.ErrorKind(err) != paybridge.ECONFLICT {
		return nil, err
	}
	cur := *rec
	got, gerr := rc.Keys.BeginIdempotent(ctx, &cur)
	switch {
	case gerr != nil:
		return nil, gerr
	case got == nil: // gone, and now taken by this read: let it run
		_ = rc.Keys.ReleaseIdempotent(paybridge.WithRequestKey(ctx, paybridge.RequestKey{
			MerchantID: cur.MerchantID, Key: cur.Key, Claim: cur.Claim}), cur.MerchantID, cur.Key)
		return nil, nil
	case !got.Completed:
		return nil, inFlight()
	}
	return got, nil
}

// Refresh implements Finisher. It only reads: the payment is driven by
// the reconciler, not by each poll of the CRM.
func (rc *Recovery) Refresh(ctx context.Context, rec *paybridge.IdempotencyRecord) *paybridge.IdempotencyRecord {
	status, body, err := rc.answer(ctx, rec.MerchantID, rec.Resource, false)
	if err != nil {
		rc.logger().Error("refresh a processing answer", "resource", rec.Resource, "err", err)
		return rec
	}
	if status != http.StatusAccepted {
		if err := rc.Keys.CompleteIdempotent(ctx, rec.MerchantID, rec.Key, status, body); err != nil {
			rc.logger().Error("store the final answer of a processing payment", "resource", rec.Resource, "err", err)
		}
	}
	out := *rec
	out.Status, out.Body = status, body
	return &out
}

// answer renders the response a request that created resource gives (the
// handlers' own rendering), driving it on first when resume is set.
func (rc *Recovery) answer(ctx context.Context, merchantID, resource string, resume bool) (int, []byte, error) {
	w := &captureWriter{header: http.Header{}}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "/", nil)
	if err != nil {
		return 0, nil, err
	}
	switch {
	case strings.HasPrefix(resource, paybridge.PrefixPayment):
		var p *paybridge.Payment
		if resume {
			p, err = rc.Service.ResumePayment(ctx, merchantID, resource)
		} else {
			p, err = rc.Service.Store.GetPayment(ctx, merchantID, resource)
		}
		if err != nil {
			return 0, nil, err
		}
		var perr error
		if p.Status == paybridge.PaymentFailed {
			perr = billing.PaymentFailure(p)
		}
		writePayment(w, r, p, perr)
	case strings.HasPrefix(resource, paybridge.PrefixRefund):
		var re *paybridge.Refund
		if resume {
			re, err = rc.Service.ResumeRefund(ctx, merchantID, resource)
		} else {
			re, err = rc.Service.Store.GetRefund(ctx, merchantID, resource)
		}
		if err != nil {
			return 0, nil, err
		}
		var rerr error
		if re.Status == paybridge.RefundFailed {
			rerr = billing.RefundFailure(re)
		}
		writeRefund(w, r, re, rerr)
	case strings.HasPrefix(resource, paybridge.PrefixInvoice):
		inv, err := rc.Service.Store.GetInvoice(ctx, merchantID, resource)
		if err != nil {
			return 0, nil, err
		}
		WriteJSON(w, r, http.StatusCreated, invoiceOut(inv))
	default:
		return 0, nil, errors.New("httpapi: no answer known for resource " + resource)
	}
	return w.statusCode(), w.body.Bytes(), nil
}

// Pass finishes every orphaned key, a few at a time, and returns how many.
func (rc *Recovery) Pass(ctx context.Context) (int, error) {
	recs, err := rc.Orphans.OrphanedIdempotent(ctx, 500)
	if err != nil {
		return 0, err
	}
	var g errgroup.Group
	g.SetLimit(8)
	done := make([]bool, len(recs))
	for i, rec := range recs {
		g.Go(func() error {
			if _, err := rc.Finish(ctx, rec); err != nil {
				rc.logger().Error("finish orphaned idempotency key", "resource", rec.Resource, "err", err)
				return nil
			}
			done[i] = true
			return nil
		})
	}
	_ = g.Wait()
	n := 0
	for _, d := range done {
		if d {
			n++
		}
	}
	return n, nil
}

func (rc *Recovery) logger() *slog.Logger {
	if rc.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return rc.Logger
}
