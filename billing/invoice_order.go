package billing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// OrderSyncStore is what creating invoices' Clover orders needs beyond
// paybridge.Store (package store implements it).
type OrderSyncStore interface {
	RecordOrderSync(ctx context.Context, merchantID, invoiceID string, r paybridge.OrderSync) (*paybridge.Invoice, error)
}

// ErrOrderSyncRetry wraps a transient failure to create an invoice's Clover
// order (Clover down, the budget exhausted, the merchant to reconnect): the
// invoice stays pending and the caller tries again later.
var ErrOrderSyncRetry = errors.New("billing: Clover order not created yet; retry later")

// SyncInvoiceOrder creates the Clover order of a stored invoice that has
// none (DESIGN.md §4, local first) and records the outcome on the invoice.
// The order-sync job calls it, and so does a full payment of an invoice
// whose order is not made yet, so paying never waits for the job.
//
// It never creates two orders for one invoice: the creation's idempotency
// key is persisted with the invoice and sent on every attempt, by any
// process, so an order created just before a crash is returned again (not
// made again) and its id recorded; within one process, concurrent calls for
// one invoice share one Clover call.
//
// Outcomes: the invoice synced (it has its order, or it was voided before
// it needed one) or failed (Clover refused the order, or last is set and
// this transient failure was the last try), with a nil error; a transient
// failure wrapping ErrOrderSyncRetry, the invoice still pending with the
// error recorded; or another error (the database), nothing recorded.
func (s *Service) SyncInvoiceOrder(ctx context.Context, merchantID, invoiceID string, last bool) (*paybridge.Invoice, error) {
	v, err, _ := s.orders.Do(invoiceID, func() (any, error) {
		return s.syncInvoiceOrder(ctx, merchantID, invoiceID, last)
	})
	inv, _ := v.(*paybridge.Invoice)
	return inv, err
}

func (s *Service) syncInvoiceOrder(ctx context.Context, merchantID, invoiceID string, last bool) (*paybridge.Invoice, error) {
	oss, ok := s.Store.(OrderSyncStore)
	if !ok {
		return nil, paybridge.Errorf(paybridge.EINTERNAL, "", "the store records no order syncs")
	}
	inv, err := s.Store.GetInvoice(ctx, merchantID, invoiceID)
	if err != nil {
		return nil, err
	}
	if inv.CloverOrderID != "" || inv.CloverSync.Status == paybridge.CloverSyncSynced {
		return inv, nil
	}
	if inv.Status == paybridge.InvoiceVoid {
		// Voided before its order was made: Clover needs none.
		return oss.RecordOrderSync(ctx, merchantID, invoiceID, paybridge.OrderSync{Status: paybridge.CloverSyncSynced, At: s.Now().UTC()})
	}
	fail := func(err error) (*paybridge.Invoice, error) { return s.orderSyncFailed(ctx, oss, inv, err, last) }
	cu, err := s.Store.GetCustomer(ctx, merchantID, inv.CustomerID)
	if err != nil {
		return nil, err
	}
	_, auth, err := s.merchantAuth(ctx, merchantID, true)
	if err != nil {
		if paybridge.ErrorKind(err) == paybridge.EFORBIDDEN {
			return fail(err) // reconnecting the merchant lets it sync
		}
		return nil, err
	}
	ctx = clover.WithPriority(ctx, clover.PriorityOrderSync)
	items, err := s.orderItems(ctx, merchantID, auth, inv)
	if err != nil {
		return fail(err)
	}
	key := inv.CloverSync.Key
	if key == "" {
		key = derivedKey(inv.ID, "order")
	}
	order, err := s.Clover.CreateOrder(ctx, auth, clover.OrderParams{
		Currency: inv.Currency, Email: cu.Email, Items: items,
		Metadata: map[string]string{"paybridge_invoice_id": inv.ID},
	}, &clover.RequestOptions{IdempotencyKey: key})
	if err != nil {
		if clover.IsUnauthorized(err) {
			s.reauthorize(ctx, merchantID)
		}
		return fail(err)
	}
	var ids []string
	for _, it := range order.Items {
		if it.Type == "" || it.Type == "sku" {
			ids = append(ids, it.Parent)
		}
	}
	if len(ids) != len(inv.LineItems) {
		s.Logger.Error("Clover order items do not match the invoice", "invoice_id", inv.ID, "order_id", order.ID)
	}
	if order.Amount+order.TaxAmount != inv.Total {
		s.Logger.Warn("Clover order total differs from the invoice", "invoice_id", inv.ID,
			"order_total", order.Amount+order.TaxAmount, "invoice_total", inv.Total)
	}
	return oss.RecordOrderSync(ctx, merchantID, invoiceID, paybridge.OrderSync{
		Status: paybridge.CloverSyncSynced, OrderID: order.ID, ItemIDs: ids, At: s.Now().UTC()})
}

// orderFirst creates the Clover order of an invoice paid in full before its
// sync job made it, within the payment and as money (the payment waits on
// it), so the payment pays the order as usual. The job, in this process or
// another, cannot make a second order (SyncInvoiceOrder). Nothing is
// charged when the order cannot be made: Clover's refusal is a conflict
// with its reason, no answer a 503 that is safe to retry.
func (s *Service) orderFirst(ctx context.Context, inv *paybridge.Invoice) (*paybridge.Invoice, error) {
	ctx = clover.WithPriority(ctx, clover.PriorityMoney)
	for try := 1; ; try++ {
		got, err := s.SyncInvoiceOrder(ctx, inv.MerchantID, inv.ID, false)
		var ce *clover.Error
		switch {
		case err == nil && got.CloverSync.Status == paybridge.CloverSyncFailed:
			e := got.CloverSync.Error
			return nil, paybridge.Errorf(paybridge.ECONFLICT, "", "the invoice's Clover order could not be created: %s", e.Message).WithCode(e.Code)
		case err == nil:
			return got, payable(got)
		case errors.Is(err, ErrOrderSyncRetry) && errors.As(err, &ce) && ce.Status == http.StatusConflict && try < 5:
			// Another process is creating it with the same key.
			if !sleepCtx(ctx, time.Duration(try)*100*time.Millisecond) {
				return nil, ctx.Err()
			}
		case errors.Is(err, ErrOrderSyncRetry):
			return nil, unavailable("creating the invoice's Clover order")
		default:
			return nil, err
		}
	}
}

// orderSyncFailed records a failed attempt: failed for a definite refusal
// (Clover's 4xx, a tax rate the merchant does not have), or for a transient
// failure on the last try; otherwise pending with the error, and the error
// wrapped in ErrOrderSyncRetry.
func (s *Service) orderSyncFailed(ctx context.Context, oss OrderSyncStore, inv *paybridge.Invoice, cause error, last bool) (*paybridge.Invoice, error) {
	r := paybridge.OrderSync{Status: paybridge.CloverSyncFailed, At: s.Now().UTC(), Error: syncError(cause)}
	transient := transientSyncError(cause)
	if transient && !last {
		r.Status = paybridge.CloverSyncPending
	}
	var ce *clover.Error
	if !transient && errors.As(cause, &ce) {
		// Clover refused it: nothing was created, and the stored refusal
		// would answer the same key forever. The next try gets a new key.
		r.NextKey = newKey()
	}
	inv, err := oss.RecordOrderSync(ctx, inv.MerchantID, inv.ID, r)
	if err != nil {
		return nil, err
	}
	if r.Status == paybridge.CloverSyncPending {
		return inv, fmt.Errorf("%w: %w", ErrOrderSyncRetry, cause)
	}
	s.Logger.Warn("invoice's Clover order not created", "invoice_id", inv.ID, "code", r.Error.Code)
	return inv, nil
}

// transientSyncError reports whether an order's creation may succeed if
// simply repeated later: Clover gave no answer or a 5xx, the rate budget
// or Clover's rate limit said wait, the same key is still in flight
// elsewhere (409), or the merchant must reconnect first.
func transientSyncError(err error) bool {
	if clover.IsUnknownOutcome(err) || clover.IsUnauthorized(err) || paybridge.ErrorKind(err) == paybridge.EFORBIDDEN {
		return true
	}
	var ce *clover.Error
	if errors.As(err, &ce) {
		return ce.Status >= 500 || ce.Status == http.StatusTooManyRequests || ce.Status == http.StatusConflict
	}
	// Not Clover's answer: a paybridge refusal (a tax rate not in Clover)
	// is definite, anything else (the network before sending) is not.
	var pe *paybridge.Error
	if errors.As(err, &pe) {
		return pe.Kind != paybridge.EINVALID
	}
	return true
}

// syncError is what the invoice shows of a failed attempt: Clover's code
// and buyer-safe message, or paybridge's own; never internal detail.
func syncError(err error) *paybridge.SyncError {
	var ce *clover.Error
	var pe *paybridge.Error
	switch {
	case clover.IsUnknownOutcome(err):
		return &paybridge.SyncError{Code: "clover_unavailable", Message: "Clover did not answer; the order will be created when it does."}
	case errors.As(err, &ce):
		code, msg := ce.Code, ce.Message
		if code == "" {
			code = "clover_error"
		}
		if msg == "" {
			msg = "Clover refused the order."
		}
		return &paybridge.SyncError{Code: code, Message: msg}
	case errors.As(err, &pe):
		code := pe.Code
		if code == "" {
			code = string(pe.Kind)
		}
		return &paybridge.SyncError{Code: code, Message: pe.Message}
	}
	return &paybridge.SyncError{Code: "clover_unavailable", Message: "Clover could not be reached; the order will be created when it can."}
}

// sleepCtx waits d or until ctx ends; it reports whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
