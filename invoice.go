package paybridge

import "time"

// InvoiceStatus is where an invoice stands.
type InvoiceStatus string

// Invoice statuses (DESIGN.md §4).
const (
	InvoiceDraft             InvoiceStatus = "draft"
	InvoiceOpen              InvoiceStatus = "open"
	InvoicePartiallyPaid     InvoiceStatus = "partially_paid"
	InvoicePaid              InvoiceStatus = "paid"
	InvoiceVoid              InvoiceStatus = "void"
	InvoicePartiallyRefunded InvoiceStatus = "partially_refunded"
	InvoiceRefunded          InvoiceStatus = "refunded"
)

// LineItem is one line of an invoice. Amount = Quantity × UnitAmount; its tax
// is TaxRateBPS basis points of Amount, rounded half up.
type LineItem struct {
	ID               string `json:"id"` // li_…
	Description      string `json:"description"`
	Quantity         int64  `json:"quantity"`
	UnitAmount       int64  `json:"unit_amount"`
	TaxRateBPS       int64  `json:"tax_rate_bps"`
	Amount           int64  `json:"amount"`
	TaxAmount        int64  `json:"tax_amount"`
	QuantityReturned int64  `json:"quantity_returned"`
	// CloverItemID is the Clover order item's `parent`, which returns name.
	CloverItemID string `json:"-"`
}

// Invoice is what a customer owes; an open invoice has a Clover order.
// AmountPaid counts captured money (tips excluded); AmountRefunded counts
// refunds and returns. Version increments on every write so concurrent
// writers compare-and-set.
type Invoice struct {
	ID                   string            `json:"id"` // inv_…
	MerchantID           string            `json:"-"`
	CustomerID           string            `json:"customer_id"`
	Number               string            `json:"number"`
	Status               InvoiceStatus     `json:"status"`
	Currency             string            `json:"currency"`
	LineItems            []LineItem        `json:"line_items"`
	Subtotal             int64             `json:"subtotal"`
	TaxAmount            int64             `json:"tax_amount"`
	Total                int64             `json:"total"`
	AmountPaid           int64             `json:"amount_paid"`
	TipPaid              int64             `json:"tip_paid"`
	AmountRefunded       int64             `json:"amount_refunded"`
	AmountReturned       int64             `json:"amount_returned"`
	AllowTip             bool              `json:"allow_tip"`
	AllowPartial         bool              `json:"allow_partial"`
	MinimumPartialAmount int64             `json:"minimum_partial_amount"`
	DueDate              string            `json:"due_date,omitempty"` // YYYY-MM-DD
	Metadata             map[string]string `json:"metadata"`
	CloverOrderID        string            `json:"clover_order_id"`
	// OrderPaid is true once the Clover order itself was paid (a full
	// payment through /v1/orders/{id}/pay), which is what makes item
	// returns through Clover possible.
	OrderPaid bool       `json:"-"`
	Version   int64      `json:"version"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	PaidAt    *time.Time `json:"paid_at,omitempty"`
	VoidedAt  *time.Time `json:"voided_at,omitempty"`
}

// AmountDue is what remains to be paid.
func (inv *Invoice) AmountDue() int64 {
	if inv.Status == InvoiceVoid || inv.Status == InvoiceDraft {
		return 0
	}
	return max(inv.Total-inv.AmountPaid, 0)
}

// ComputeTotals fills each line's Amount and TaxAmount and the invoice's
// Subtotal, TaxAmount and Total. Tax is per line, half up, as Clover does.
func (inv *Invoice) ComputeTotals() {
	inv.Subtotal, inv.TaxAmount = 0, 0
	for i := range inv.LineItems {
		li := &inv.LineItems[i]
		li.Amount = li.Quantity * li.UnitAmount
		li.TaxAmount = (li.Amount*li.TaxRateBPS + 5_000) / 10_000
		inv.Subtotal += li.Amount
		inv.TaxAmount += li.TaxAmount
	}
	inv.Total = inv.Subtotal + inv.TaxAmount
}

// Settle derives Status from the amounts after money moved. A void invoice
// stays void; a draft stays draft.
func (inv *Invoice) Settle(now time.Time) {
	if inv.Status == InvoiceVoid || inv.Status == InvoiceDraft {
		return
	}
	switch {
	case inv.AmountRefunded > 0 && inv.AmountRefunded >= inv.AmountPaid && inv.AmountPaid >= inv.Total:
		inv.Status = InvoiceRefunded
	case inv.AmountRefunded > 0 && inv.AmountPaid >= inv.Total:
		inv.Status = InvoicePartiallyRefunded
	case inv.AmountPaid >= inv.Total:
		inv.Status = InvoicePaid
	case inv.AmountPaid > 0:
		inv.Status = InvoicePartiallyPaid
	default:
		inv.Status = InvoiceOpen
	}
	if inv.AmountPaid >= inv.Total && inv.PaidAt == nil {
		t := now
		inv.PaidAt = &t
	}
}

// InvoiceFilter selects invoices in a list.
type InvoiceFilter struct {
	Status     InvoiceStatus // "" = any
	CustomerID string
	Cursor     string
	Limit      int
	Order      Order     // "" = the list's default
	Created    TimeRange // zero = any time
}
