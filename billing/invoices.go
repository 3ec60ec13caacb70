package billing

import (
	"context"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// CreateInvoice validates an invoice, computes its totals, creates its
// Clover order (DESIGN.md §4) and stores it open, in one commit. The order
// comes first: if Clover's answer is lost, or the process dies before the
// insert, the worst left behind is an unpaid Clover order, which moves no
// money — whereas a stored invoice without an order could not be paid.
// The order's idempotency key is derived from the invoice id, so repeating
// the creation of one invoice creates one order.
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
	m, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
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
	items, err := s.orderItems(ctx, c.MerchantID, auth, inv)
	if err != nil {
		return nil, err
	}
	order, err := s.Clover.CreateOrder(ctx, auth, clover.OrderParams{
		Currency: inv.Currency, Email: cu.Email, Items: items,
		Metadata: map[string]string{"paybridge_invoice_id": inv.ID},
	}, &clover.RequestOptions{IdempotencyKey: derivedKey(inv.ID, "order"), ForwardedFor: c.ClientIP, MaxBudgetWait: s.NewWorkBudgetWait})
	if err != nil {
		if clover.IsUnauthorized(err) {
			s.reauthorize(ctx, c.MerchantID)
		}
		if clover.IsUnknownOutcome(err) {
			return nil, unavailable("creating the invoice's Clover order")
		}
		return nil, cloverError("line_items", err)
	}
	var skus []clover.OrderItem
	for _, it := range order.Items {
		if it.Type == "" || it.Type == "sku" {
			skus = append(skus, it)
		}
	}
	if len(skus) != len(inv.LineItems) {
		s.Logger.Error("Clover order items do not match the invoice", "invoice_id", inv.ID, "order_id", order.ID)
	}
	for i := range inv.LineItems {
		if i < len(skus) {
			inv.LineItems[i].CloverItemID = skus[i].Parent
		}
	}
	if order.Amount+order.TaxAmount != inv.Total {
		s.Logger.Warn("Clover order total differs from the invoice", "invoice_id", inv.ID,
			"order_total", order.Amount+order.TaxAmount, "invoice_total", inv.Total)
	}
	inv.CloverOrderID = order.ID
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

// VoidInvoice voids an invoice nothing was paid on. Its Clover order stays
// unpaid (the ecommerce API has no order deletion); paybridge refuses any
// payment on a void invoice.
func (s *Service) VoidInvoice(ctx context.Context, c Caller, id string) (*paybridge.Invoice, error) {
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
	if err := s.Store.UpdateInvoice(ctx, inv); err != nil {
		// A payment raced the void (the version moved): report the
		// conflict rather than void a paid invoice.
		return nil, err
	}
	return inv, nil
}
