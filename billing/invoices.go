package billing

import (
	"context"

	"github.com/paybridge/paybridge"
)

// CreateInvoice validates an invoice, computes its totals and stores it
// open, without calling Clover (DESIGN.md §4, local first): its Clover
// order is created by a job enqueued in the same transaction
// (SyncInvoiceOrder), paced by the governor, so neither a Clover outage nor
// an exhausted budget fails the invoice. Until then clover_order_id is
// null and clover_sync pending; a full payment creates the order first if
// the job has not yet.
func (s *Service) CreateInvoice(ctx context.Context, c Caller, in InvoiceInput) (*paybridge.Invoice, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	cu, err := s.Store.GetCustomer(ctx, c.MerchantID, in.CustomerID)
	if err != nil {
		if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
			return nil, paybridge.Errorf(paybridge.EINVALID, "customer_id", "no customer %s", in.CustomerID).WithCode("resource_missing")
		}
		return nil, err
	}
	m, _, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return nil, err
	}
	if err := merchantTakes(m, in.Currency); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	inv := &paybridge.Invoice{
		ID: paybridge.NewID(paybridge.PrefixInvoice), MerchantID: c.MerchantID, CustomerID: cu.ID,
		Status: paybridge.InvoiceOpen, Currency: in.Currency,
		AllowTip: in.AllowTip, AllowPartial: in.AllowPartial, MinimumPartialAmount: in.MinimumPartialAmount,
		DueDate: in.DueDate, Metadata: orEmpty(in.Metadata), CreatedAt: now, UpdatedAt: now,
		CloverSync: paybridge.CloverSync{Status: paybridge.CloverSyncPending},
	}
	for _, li := range in.LineItems {
		inv.LineItems = append(inv.LineItems, paybridge.LineItem{
			ID: paybridge.NewID(paybridge.PrefixLineItem), Description: li.Description,
			Quantity: li.Quantity, UnitAmount: li.UnitAmount, TaxRateBPS: li.TaxRateBPS,
		})
	}
	inv.ComputeTotals()
	if inv.Total <= 0 {
		return nil, invalid("line_items", "invalid_amount", "the invoice total must be positive")
	}
	if inv.Total > paybridge.MaxAmount {
		return nil, invalid("line_items", "amount_too_large", "the invoice total %d exceeds Clover's cap of %d", inv.Total, paybridge.MaxAmount)
	}
	if err := s.Store.CreateInvoice(ctx, inv); err != nil {
		return nil, err
	}
	return inv, nil
}

// GetInvoice returns one of the merchant's invoices.
func (s *Service) GetInvoice(ctx context.Context, c Caller, id string) (*paybridge.Invoice, error) {
	return s.Store.GetInvoice(ctx, c.MerchantID, id)
}

// ListInvoices lists invoices, optionally by status or customer.
func (s *Service) ListInvoices(ctx context.Context, c Caller, f paybridge.InvoiceFilter) ([]*paybridge.Invoice, string, error) {
	switch f.Status {
	case "", paybridge.InvoiceDraft, paybridge.InvoiceOpen, paybridge.InvoicePartiallyPaid, paybridge.InvoicePaid,
		paybridge.InvoiceVoid, paybridge.InvoicePartiallyRefunded, paybridge.InvoiceRefunded:
	default:
		return nil, "", invalid("status", "invalid_status", "unknown invoice status %q", f.Status)
	}
	return s.Store.ListInvoices(ctx, c.MerchantID, f)
}

// VoidInvoice voids an invoice nothing was paid on, locally: its Clover
// order, if made, stays unpaid (the ecommerce API has no order deletion),
// and one not made yet never will be. paybridge refuses any payment on a
// void invoice.
func (s *Service) VoidInvoice(ctx context.Context, c Caller, id string) (*paybridge.Invoice, error) {
	for try := 0; ; try++ {
		inv, err := s.Store.GetInvoice(ctx, c.MerchantID, id)
		if err != nil {
			return nil, err
		}
		switch {
		case inv.Status == paybridge.InvoiceVoid:
			return inv, nil
		case inv.AmountPaid > 0 || (inv.Status != paybridge.InvoiceOpen && inv.Status != paybridge.InvoiceDraft):
			return nil, paybridge.Errorf(paybridge.ECONFLICT, "", "invoice %s has payments; refund them instead", id).WithCode("invoice_has_payments")
		}
		now := s.Now().UTC()
		inv.Status, inv.VoidedAt, inv.UpdatedAt = paybridge.InvoiceVoid, &now, now
		err = s.Store.UpdateInvoice(ctx, inv)
		if paybridge.ErrorCode(err) == "stale_state" && try < 3 {
			// The version moved: the order's sync recorded its order, or
			// a payment began. Read again: a payment is then refused
			// above rather than voided over.
			continue
		}
		if err != nil {
			return nil, err
		}
		return inv, nil
	}
}
