package billing

import (
	"context"
	"fmt"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// syncOrder records an invoice's Clover order paid outside paybridge (on a
// device or the dashboard) as an "external" payment of route order_pay,
// through CreatePayment and ApplyPayment like any payment, so the invoice
// becomes paid and payment.succeeded and invoice.paid are emitted.
//
// It never counts a payment twice: an invoice whose order paybridge paid
// (or that has money already) is skipped without calling Clover; a payment
// in flight on the invoice (almost always paybridge's own, whose webhook
// this is) defers the sync; the order's charge is looked up among
// paybridge's payments before and after recording; and the store allows
// one in-flight payment per invoice, which serialises racing syncs.
func (s *Service) syncOrder(ctx context.Context, ss syncStore, merchantID, orderID string) error {
	inv, err := ss.InvoiceByCloverOrder(ctx, merchantID, orderID)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
		return nil // not a paybridge invoice's order
	} else if err != nil {
		return err
	}
	if inv.OrderPaid || inv.AmountPaid > 0 ||
		(inv.Status != paybridge.InvoiceOpen && inv.Status != paybridge.InvoicePartiallyPaid) {
		return nil
	}
	if p, err := s.paymentInFlight(ctx, merchantID, inv.ID); err != nil {
		return err
	} else if p != nil {
		if p.Method == paybridge.MethodExternal {
			// An earlier sync recorded it and stopped short of settling.
			return s.finishExternalPayment(ctx, ss, p)
		}
		return ErrSyncLater
	}
	_, auth, err := s.merchantAuth(ctx, merchantID, false)
	if err != nil {
		return err
	}
	o, err := s.Clover.GetOrder(ctx, auth, orderID)
	if err != nil {
		if clover.IsUnauthorized(err) {
			s.reauthorize(ctx, merchantID)
			return nil
		}
		return err
	}
	if o.Status != "paid" || o.Charge == "" {
		return nil
	}
	if _, err := ss.PaymentByCloverCharge(ctx, merchantID, o.Charge); err == nil {
		return nil // paybridge's own payment, settled since the checks above
	} else if paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
		return err
	}
	amount := o.AmountPaid
	if amount == 0 {
		amount = o.Amount + o.TaxAmount
	}
	now := s.Now().UTC()
	p := &paybridge.Payment{
		ID: paybridge.NewID(paybridge.PrefixPayment), MerchantID: merchantID, InvoiceID: inv.ID, CustomerID: inv.CustomerID,
		Status: paybridge.PaymentPending, Method: paybridge.MethodExternal, Route: paybridge.RouteOrderPay,
		Amount: amount, Currency: inv.Currency, Capture: true, CloverChargeID: o.Charge,
		IdempotencyKey: "external:" + o.Charge, Description: "Paid outside paybridge (Clover device or dashboard)",
		CreatedAt: now, UpdatedAt: now,
	}
	if o.Source != nil && o.Source.Last4 != "" {
		p.Card = &paybridge.CardSummary{Brand: o.Source.Brand, Last4: o.Source.Last4, ExpMonth: o.Source.ExpMonth, ExpYear: o.Source.ExpYear}
	}
	if err := s.Store.CreatePayment(ctx, p); err != nil {
		if paybridge.ErrorCode(err) == "payment_in_progress" {
			return ErrSyncLater // a payment began meanwhile: look again once it ends
		}
		return fmt.Errorf("record external payment of order %s: %w", orderID, err)
	}
	return s.finishExternalPayment(ctx, ss, p)
}

// finishExternalPayment settles a recorded external payment as succeeded
// (Clover said its order is paid), unless an earlier payment of paybridge
// holds the same charge: then this one is a duplicate and fails.
func (s *Service) finishExternalPayment(ctx context.Context, ss syncStore, p *paybridge.Payment) error {
	from := p.Status
	first, err := ss.PaymentByCloverCharge(ctx, p.MerchantID, p.CloverChargeID)
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	q := *p
	q.UpdatedAt = now
	if first.ID != p.ID {
		q.Status, q.FailureCode, q.FailureMessage = paybridge.PaymentFailed, "duplicate_external_payment",
			"the Clover charge is recorded by payment "+first.ID
	} else {
		q.Status, q.AmountCaptured = paybridge.PaymentSucceeded, q.Amount
	}
	if _, err := s.Store.ApplyPayment(ctx, &q, from, now); err != nil {
		if paybridge.ErrorCode(err) == "stale_state" {
			return nil // settled concurrently
		}
		return fmt.Errorf("settle external payment %s: %w", p.ID, err)
	}
	if q.Status == paybridge.PaymentSucceeded {
		s.Logger.Info("payment made outside paybridge recorded", "payment_id", p.ID, "invoice_id", p.InvoiceID, "amount", p.Amount)
	}
	return nil
}

// paymentInFlight returns the invoice's pending or unknown payment, if any
// (the store allows one at a time).
func (s *Service) paymentInFlight(ctx context.Context, merchantID, invoiceID string) (*paybridge.Payment, error) {
	cursor := ""
	for {
		ps, next, err := s.Store.ListPayments(ctx, merchantID, paybridge.PaymentFilter{InvoiceID: invoiceID, Cursor: cursor, Limit: 100})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.Status.InFlight() {
				return p, nil
			}
		}
		if next == "" {
			return nil, nil
		}
		cursor = next
	}
}
