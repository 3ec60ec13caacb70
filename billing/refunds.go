package billing

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// CreateRefund refunds some or all of a settled payment. The amount is
// reserved on the payment when the refund is recorded, so concurrent
// refunds can never together exceed what was paid; the tip is not
// refundable through paybridge (it was never part of the amount).
func (s *Service) CreateRefund(ctx context.Context, c Caller, in RefundInput) (*paybridge.Refund, error) {
	ctx = s.bound(ctx)
	if in.PaymentID == "" {
		return nil, invalid("payment_id", "parameter_missing", "payment_id is required")
	}
	switch in.Reason {
	case "", "duplicate", "fraudulent", "requested_by_customer":
	default:
		return nil, invalid("reason", "invalid_reason", "reason must be duplicate, fraudulent or requested_by_customer")
	}
	p, err := s.Store.GetPayment(ctx, c.MerchantID, in.PaymentID)
	if err != nil {
		if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
			return nil, invalid("payment_id", "resource_missing", "no payment %s", in.PaymentID)
		}
		return nil, err
	}
	if !p.Status.Settled() {
		hint := ""
		if p.Status == paybridge.PaymentAuthorized {
			hint = "; void the authorization instead"
		}
		return nil, paybridge.Errorf(paybridge.ECONFLICT, "payment_id", "payment %s is %s%s", p.ID, p.Status, hint).WithCode("payment_not_refundable")
	}
	amount := p.AmountCaptured - p.AmountRefunded
	if in.Amount != nil {
		amount = *in.Amount
		if err := paybridge.ValidateAmount("amount", amount); err != nil {
			return nil, err
		}
	}
	if amount <= 0 {
		return nil, paybridge.Errorf(paybridge.ECONFLICT, "payment_id", "payment %s is already fully refunded", p.ID).WithCode("charge_already_refunded")
	}
	_, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	r := &paybridge.Refund{
		ID: paybridge.NewID(paybridge.PrefixRefund), MerchantID: c.MerchantID, PaymentID: p.ID, InvoiceID: p.InvoiceID,
		Amount: amount, Currency: p.Currency, Reason: in.Reason, Status: paybridge.RefundPending,
		IdempotencyKey: newKey(), CreatedAt: now, UpdatedAt: now,
	}
	if err := s.Store.CreateRefund(ctx, r); err != nil {
		return nil, err
	}
	return s.executeRefund(ctx, auth, r, p.CloverChargeID, false)
}

// executeRefund makes (or, reconciling, repeats) a refund's Clover call.
func (s *Service) executeRefund(ctx context.Context, auth clover.Auth, r *paybridge.Refund, chargeID string, repeating bool) (*paybridge.Refund, error) {
	ctx, cancel := s.detach(ctx)
	defer cancel()
	from := r.Status
	cr, err := s.Clover.CreateRefund(ctx, auth, clover.RefundParams{
		Charge: chargeID, Amount: r.Amount, Reason: r.Reason, ExternalReferenceID: externalRef(r.ID),
		Metadata: map[string]string{"paybridge_refund_id": r.ID},
	}, &clover.RequestOptions{IdempotencyKey: r.IdempotencyKey})
	var result error
	r.Status, r.FailureCode, r.FailureMessage = outcome(err, repeating, &r.Attempts, &r.NextAttemptAt, s.Now())
	switch {
	case err == nil:
		r.CloverRefundID = cr.ID
	case r.Status == paybridge.RefundFailed:
		result = s.followUpError(ctx, r.MerchantID, "", err)
	}
	r.UpdatedAt = s.Now().UTC()
	if _, aerr := s.Store.ApplyRefund(ctx, r, from, r.UpdatedAt); aerr != nil {
		if paybridge.ErrorCode(aerr) == "stale_state" {
			return s.Store.GetRefund(ctx, r.MerchantID, r.ID)
		}
		return nil, aerr
	}
	return r, result
}

// GetRefund returns one of the merchant's refunds.
func (s *Service) GetRefund(ctx context.Context, c Caller, id string) (*paybridge.Refund, error) {
	return s.Store.GetRefund(ctx, c.MerchantID, id)
}

// ListRefunds lists refunds, optionally of one payment or invoice.
func (s *Service) ListRefunds(ctx context.Context, c Caller, f paybridge.RefundFilter) ([]*paybridge.Refund, string, error) {
	return s.Store.ListRefunds(ctx, c.MerchantID, f)
}

// CreateReturn sends invoice items back through a Clover order return, so
// the order shows which items came back; Clover refunds them underneath.
// Only an invoice whose Clover order was paid can return items this way; an
// invoice paid in parts is refunded payment by payment instead.
func (s *Service) CreateReturn(ctx context.Context, c Caller, invoiceID string, in ReturnInput) (*paybridge.Return, error) {
	ctx = s.bound(ctx)
	inv, err := s.Store.GetInvoice(ctx, c.MerchantID, invoiceID)
	if err != nil {
		return nil, err
	}
	if !inv.OrderPaid {
		return nil, paybridge.Errorf(paybridge.ECONFLICT, "", "invoice %s was not paid through its Clover order (it was paid in parts or not at all); refund its payments instead", inv.ID).WithCode("return_requires_order_payment")
	}
	if len(in.Items) == 0 {
		return nil, invalid("items", "parameter_missing", "items must name at least one line item")
	}
	lines := map[string]*paybridge.LineItem{}
	for i := range inv.LineItems {
		lines[inv.LineItems[i].ID] = &inv.LineItems[i]
	}
	r := &paybridge.Return{
		ID: paybridge.NewID(paybridge.PrefixReturn), MerchantID: c.MerchantID, InvoiceID: inv.ID,
		Currency: inv.Currency, Status: paybridge.RefundPending, IdempotencyKey: newKey(),
	}
	seen := map[string]bool{}
	for i, it := range in.Items {
		p := "items[" + strconv.Itoa(i) + "]"
		li, ok := lines[it.LineItemID]
		if !ok || seen[it.LineItemID] {
			return nil, invalid(p+".line_item_id", "resource_missing", "%s.line_item_id must name a distinct line of invoice %s", p, inv.ID)
		}
		seen[it.LineItemID] = true
		qty := li.Quantity - li.QuantityReturned
		if it.Quantity != nil {
			qty = *it.Quantity
			if qty < 1 || qty > li.Quantity-li.QuantityReturned {
				return nil, invalid(p+".quantity", "quantity_too_large", "%s.quantity must be between 1 and %d", p, li.Quantity-li.QuantityReturned)
			}
		}
		if qty == 0 {
			return nil, invalid(p+".quantity", "quantity_too_large", "every unit of line %s was already returned", li.ID)
		}
		amount := qty*li.UnitAmount + (li.TaxAmount*qty+li.Quantity/2)/li.Quantity
		r.Items = append(r.Items, paybridge.ReturnItem{LineItemID: li.ID, Quantity: qty, Amount: amount})
		r.Amount += amount
	}
	_, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return nil, err
	}
	parents, err := s.returnParents(ctx, auth, inv)
	if err != nil {
		if clover.IsUnauthorized(err) {
			s.reauthorize(ctx, c.MerchantID)
		}
		if clover.IsUnknownOutcome(err) {
			return nil, unavailable("reading the invoice's Clover order")
		}
		return nil, cloverError("items", err)
	}
	var params clover.ReturnParams
	for i, it := range r.Items {
		if parents[it.LineItemID] == "" {
			return nil, paybridge.Errorf(paybridge.ECONFLICT, "items["+strconv.Itoa(i)+"].line_item_id",
				"line %s cannot be found in the invoice's Clover order; refund its payment instead", it.LineItemID).WithCode("clover_item_unknown")
		}
		params.Items = append(params.Items, clover.ReturnItem{Parent: parents[it.LineItemID], Quantity: it.Quantity})
	}
	r.CreatedAt = s.Now().UTC()
	r.UpdatedAt = r.CreatedAt
	if err := s.Store.CreateReturn(ctx, r); err != nil {
		return nil, err
	}
	return s.executeReturn(ctx, auth, r, string(inv.CloverOrderID), params, false)
}

// executeReturn makes (or repeats) a return's Clover call.
func (s *Service) executeReturn(ctx context.Context, auth clover.Auth, r *paybridge.Return, orderID string, params clover.ReturnParams, repeating bool) (*paybridge.Return, error) {
	ctx, cancel := s.detach(ctx)
	defer cancel()
	from := r.Status
	cr, err := s.Clover.ReturnOrder(ctx, auth, orderID, params, &clover.RequestOptions{IdempotencyKey: r.IdempotencyKey})
	var result error
	r.Status, r.FailureCode, r.FailureMessage = outcome(err, repeating, &r.Attempts, &r.NextAttemptAt, s.Now())
	switch {
	case err == nil:
		// The recorded answer's id is the order's own (CLOVER.md §13.3)
		// and its amount the order's, not this return's: both are kept
		// as Clover's reference only.
		r.CloverReturnID = cr.ID
	case r.Status == paybridge.RefundFailed:
		result = s.followUpError(ctx, r.MerchantID, "", err)
	}
	r.UpdatedAt = s.Now().UTC()
	if _, aerr := s.Store.ApplyReturn(ctx, r, from, r.UpdatedAt); aerr != nil {
		if paybridge.ErrorCode(aerr) == "stale_state" {
			return s.Store.GetReturn(ctx, r.MerchantID, r.ID)
		}
		return nil, aerr
	}
	return r, result
}

// ListReturns lists an invoice's returns.
func (s *Service) ListReturns(ctx context.Context, c Caller, invoiceID string) ([]*paybridge.Return, error) {
	if _, err := s.Store.GetInvoice(ctx, c.MerchantID, invoiceID); err != nil {
		return nil, err
	}
	return s.Store.ListReturns(ctx, c.MerchantID, invoiceID)
}

// outcome classifies a Clover answer for a refund or return.
// When repeating (reconciling a refund or return whose first try may have
// reached Clover), only success is definite: a refusal of this try says
// nothing of the first, and failing it would release money that may be gone.
func outcome(err error, repeating bool, attempts *int, next *time.Time, now time.Time) (paybridge.RefundStatus, string, string) {
	if err == nil {
		return paybridge.RefundSucceeded, "", ""
	}
	if clover.IsUnknownOutcome(err) || clover.IsCutShort(err) || repeating {
		*attempts++
		*next = now.Add(backoff(*attempts))
		return paybridge.RefundUnknown, "", ""
	}
	var ce *clover.Error
	if errors.As(err, &ce) {
		return paybridge.RefundFailed, ce.Code, ce.Message
	}
	return paybridge.RefundFailed, "processing_error", ""
}
