package billing

import (
	"context"
	"encoding/json"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// backoff is the wait before reconciliation attempt n+1: exponential from
// one second, capped at five minutes.
func backoff(attempts int) time.Duration {
	d := time.Second << min(max(attempts-1, 0), 9)
	return min(d, 5*time.Minute)
}

// reconciler is the actor recorded for reconciliation's Clover calls.
var reconciler = Caller{Actor: "system:reconciler"}

// Reconcile makes one pass over every in-flight payment, refund and return
// whose time has come: unknown ones due for another attempt, and pending
// ones older than StaleAfter (their process died mid-call). Each is settled
// by repeating its Clover request with its own idempotency key, which Clover
// answers with the original outcome instead of moving money again. It
// returns how many objects reached a definite state.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	now := s.Now().UTC()
	stale := now.Add(-s.StaleAfter)
	settled := 0
	payments, err := s.Store.DuePayments(ctx, now, stale, 100)
	if err != nil {
		return 0, err
	}
	for _, p := range payments {
		if s.reconcilePayment(ctx, p) {
			settled++
		}
	}
	refunds, err := s.Store.DueRefunds(ctx, now, stale, 100)
	if err != nil {
		return settled, err
	}
	for _, r := range refunds {
		if s.reconcileRefund(ctx, r) {
			settled++
		}
	}
	returns, err := s.Store.DueReturns(ctx, now, stale, 100)
	if err != nil {
		return settled, err
	}
	for _, r := range returns {
		if s.reconcileReturn(ctx, r) {
			settled++
		}
	}
	return settled, nil
}

func (s *Service) reconcilePayment(ctx context.Context, p *paybridge.Payment) bool {
	if p.Method == paybridge.MethodExternal || p.Method == paybridge.MethodHosted {
		// Recorded from Clover's word that it was paid (a paid order, a
		// signed hosted-checkout webhook), never sent to Clover: the
		// recording stopped before settling it; finish it instead.
		if ss, ok := s.Store.(syncStore); ok {
			if err := s.finishExternalPayment(ctx, ss, p); err != nil {
				s.Logger.Error("reconcile external payment", "payment_id", p.ID, "err", err)
				return false
			}
			return true
		}
		return false
	}
	_, auth, err := s.merchantAuth(ctx, p.MerchantID, false)
	if err != nil {
		s.Logger.Error("reconcile payment: merchant", "payment_id", p.ID, "err", err)
		return false
	}
	orderID := ""
	if p.Route == paybridge.RouteOrderPay {
		inv, err := s.Store.GetInvoice(ctx, p.MerchantID, p.InvoiceID)
		if err != nil {
			s.Logger.Error("reconcile payment: invoice", "payment_id", p.ID, "err", err)
			return false
		}
		orderID = string(inv.CloverOrderID)
	}
	got, _ := s.execute(ctx, reconciler, auth, p, orderID)
	if got == nil || got.Status.InFlight() {
		if got != nil && got.Attempts >= horizon {
			s.Logger.Error("payment still unknown after many attempts: needs attention", "payment_id", p.ID, "attempts", got.Attempts)
			if got.Attempts == horizon {
				s.needsAttention(ctx, paybridge.EventPaymentNeedsAttention, "payment", got.MerchantID, got.ID, got.Version, got)
			}
		}
		return false
	}
	s.Logger.Info("payment reconciled", "payment_id", p.ID, "status", got.Status)
	return true
}

func (s *Service) reconcileRefund(ctx context.Context, r *paybridge.Refund) bool {
	_, auth, err := s.merchantAuth(ctx, r.MerchantID, false)
	if err != nil {
		return false
	}
	p, err := s.Store.GetPayment(ctx, r.MerchantID, r.PaymentID)
	if err != nil {
		return false
	}
	got, _ := s.executeRefund(ctx, auth, r, p.CloverChargeID, true)
	if got != nil && got.Status == paybridge.RefundUnknown && got.Attempts == horizon {
		s.needsAttention(ctx, paybridge.EventRefundNeedsAttention, "refund", got.MerchantID, got.ID, got.UpdatedAt.UnixMicro(), got)
	}
	return got != nil && got.Status != paybridge.RefundPending && got.Status != paybridge.RefundUnknown
}

// eventRecorder is the part of paybridge.EventStore reconciliation uses.
type eventRecorder interface {
	RecordEvent(ctx context.Context, ev *paybridge.Event) error
}

// needsAttention reports an outcome still unknown at the horizon: the
// retries go on, but a person should look (once, at the horizon).
func (s *Service) needsAttention(ctx context.Context, t paybridge.EventType, objType, merchantID, id string, version int64, obj any) {
	rec, ok := s.Store.(eventRecorder)
	if !ok {
		return
	}
	data, err := json.Marshal(obj)
	if err == nil {
		err = rec.RecordEvent(ctx, &paybridge.Event{MerchantID: merchantID, Type: t, ObjectType: objType,
			ObjectID: id, ObjectVersion: version, Data: data})
	}
	if err != nil {
		s.Logger.Error("record needs_attention event", "object_id", id, "err", err)
	}
}

func (s *Service) reconcileReturn(ctx context.Context, r *paybridge.Return) bool {
	_, auth, err := s.merchantAuth(ctx, r.MerchantID, false)
	if err != nil {
		return false
	}
	inv, err := s.Store.GetInvoice(ctx, r.MerchantID, r.InvoiceID)
	if err != nil {
		return false
	}
	lines, err := s.returnParents(ctx, auth, inv)
	if err != nil {
		return false
	}
	var params clover.ReturnParams
	for _, it := range r.Items {
		params.Items = append(params.Items, clover.ReturnItem{Parent: lines[it.LineItemID], Quantity: it.Quantity})
	}
	got, _ := s.executeReturn(ctx, auth, r, string(inv.CloverOrderID), params, true)
	return got != nil && got.Status != paybridge.RefundPending && got.Status != paybridge.RefundUnknown
}

// horizon is the attempt count after which an unknown outcome is reported
// as needing a person (about a day of capped backoff).
const horizon = 300
