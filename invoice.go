package paybridge

import (
	"encoding/json"
	"time"
)

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

// Invoice is what a customer owes. Its Clover order is created after the
// invoice is stored (local first, DESIGN.md §4): CloverSync says where that
// stands, and CloverOrderID is empty until the order exists.
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
	CloverOrderID        OptionalID        `json:"clover_order_id"`
	CloverSync           CloverSync        `json:"clover_sync"`
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

// OptionalID is an id that may not be known yet: JSON null while empty.
type OptionalID string

// MarshalJSON writes null for an empty id.
func (id OptionalID) MarshalJSON() ([]byte, error) {
	if id == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(id))
}

// CloverSyncStatus is where an invoice's Clover order stands.
type CloverSyncStatus string

// Clover sync statuses. Pending: a job will create the order (Error, if
// set, is the last transient failure: Clover down, budget exhausted).
// Synced: Clover has what it needs (the order, or nothing for an invoice
// voided before its order was made). Failed: Clover refused the order
// (e.g. a tax rate the merchant does not have) or retries ran out; paying
// the invoice in full tries once more.
const (
	CloverSyncPending CloverSyncStatus = "pending"
	CloverSyncSynced  CloverSyncStatus = "synced"
	CloverSyncFailed  CloverSyncStatus = "failed"
)

// CloverSync is the state of an invoice's Clover order sync.
type CloverSync struct {
	Status   CloverSyncStatus `json:"status"`
	Attempts int              `json:"attempts"`
	Error    *SyncError       `json:"error,omitempty"`
	SyncedAt *time.Time       `json:"synced_at,omitempty"`
	// Key is the idempotency key of the order's creation, the same on
	// every attempt; "" means the one derived from the invoice id. It
	// changes only after Clover definitely refused the order (nothing was
	// created), so a retry after the cause is fixed is not answered with
	// the stored refusal.
	Key string `json:"-"`
}

// SyncError is why a sync attempt did not succeed: Clover's code and
// buyer-safe message, or paybridge's own (clover_unavailable).
type SyncError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// OrderSync is one sync attempt's result, for the store to record. OrderID
// and ItemIDs (the order items' ids, in line order) are set when the order
// exists.
type OrderSync struct {
	Status  CloverSyncStatus
	OrderID string
	ItemIDs []string
	Error   *SyncError
	At      time.Time
	// NextKey, when set, replaces CloverSync.Key (after a definite
	// refusal).
	NextKey string
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
