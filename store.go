package paybridge

import (
	"context"
	"time"
)

// Store persists paybridge's state. Implementations (package store: SQLite
// and PostgreSQL) must make every method atomic and safe for concurrent use
// by many goroutines and many processes. Objects are always scoped by
// merchant: an id of another merchant is ENOTFOUND, exactly like an absent
// one. Unless stated, errors are *Error of kind ENOTFOUND, ECONFLICT or
// EINVALID, or an internal error.
//
// Methods that move money (Apply*) are compare-and-set transitions: they
// succeed only if the row is still in the expected state, and they update
// the payment, refund or return together with the invoice it belongs to in
// one transaction, so a crash between them is impossible.
type Store interface {
	// Merchants. CreateMerchant also stores the sealed Clover credentials
	// (opaque bytes from package seal; the store never sees plaintext).
	CreateMerchant(ctx context.Context, m *Merchant, sealedCreds []byte) error
	GetMerchant(ctx context.Context, id string) (*Merchant, error)
	// GetMerchantByCloverID finds the merchant for a Clover merchant UUID.
	GetMerchantByCloverID(ctx context.Context, cloverMerchantID string) (*Merchant, error)
	// MerchantCredentials returns the sealed credentials.
	MerchantCredentials(ctx context.Context, merchantID string) ([]byte, error)
	// MerchantWithCredentials is GetMerchant and MerchantCredentials in one.
	MerchantWithCredentials(ctx context.Context, id string) (*Merchant, []byte, error)
	// SetMerchantCredentials replaces the sealed credentials.
	SetMerchantCredentials(ctx context.Context, merchantID string, sealedCreds []byte) error
	// SetMerchantStatus changes a merchant's status.
	SetMerchantStatus(ctx context.Context, merchantID string, status MerchantStatus) error

	// Customers. ListCustomers returns a page, oldest first, and the cursor
	// of the next page ("" when none).
	CreateCustomer(ctx context.Context, c *Customer) error
	GetCustomer(ctx context.Context, merchantID, id string) (*Customer, error)
	UpdateCustomer(ctx context.Context, c *Customer) error
	ListCustomers(ctx context.Context, merchantID string, f CustomerFilter) ([]*Customer, string, error)

	// Invoices. CreateInvoice assigns Number (a per-merchant sequence,
	// "INV-000001"), stores the line items and sets Version to 1.
	// UpdateInvoice writes every mutable field only if Version still
	// matches (ECONFLICT otherwise) and increments it.
	CreateInvoice(ctx context.Context, inv *Invoice) error
	GetInvoice(ctx context.Context, merchantID, id string) (*Invoice, error)
	UpdateInvoice(ctx context.Context, inv *Invoice) error
	ListInvoices(ctx context.Context, merchantID string, f InvoiceFilter) ([]*Invoice, string, error)

	// Payments. CreatePayment persists a pending payment with its
	// idempotency key before Clover is called. At most one payment per
	// invoice may be in flight (pending or unknown): a second one gets
	// ECONFLICT with Code "payment_in_progress", which is what serialises
	// concurrent attempts on one invoice. In the same transaction it locks
	// the invoice row with a guarded write (e.g. UPDATE invoices SET
	// version = version WHERE id = $1 AND status IN ('open',
	// 'partially_paid') AND total - amount_paid >= $2) and fails with
	// ECONFLICT Code "invoice_not_payable" when the invoice is no longer
	// open for that amount: an attempt that read the invoice just before
	// another attempt paid it must not charge again.
	CreatePayment(ctx context.Context, p *Payment) error
	GetPayment(ctx context.Context, merchantID, id string) (*Payment, error)
	ListPayments(ctx context.Context, merchantID string, f PaymentFilter) ([]*Payment, string, error)
	// ApplyPayment moves p from status `from` to p.Status, writing p's
	// mutable fields (status, amounts, card, clover ids, failure, source,
	// attempts, next attempt); if p belongs to an invoice and the
	// transition took or released money, the invoice's amounts are
	// adjusted and Settle()d in the same transaction (captured money counts
	// as paid). ECONFLICT with Code "stale_state" if the payment is no
	// longer in `from`. It returns the invoice after the change (nil when
	// the payment has none).
	ApplyPayment(ctx context.Context, p *Payment, from PaymentStatus, now time.Time) (*Invoice, error)
	// DuePayments returns in-flight payments to reconcile, any merchant:
	// unknown ones whose NextAttemptAt ≤ now, and pending ones last updated
	// before staleBefore (a process died mid-call).
	DuePayments(ctx context.Context, now, staleBefore time.Time, limit int) ([]*Payment, error)

	// Refunds. CreateRefund reserves r.Amount on the payment atomically:
	// if captured − refunded − reserved < r.Amount it fails with EINVALID
	// Code "amount_too_large" and writes nothing.
	CreateRefund(ctx context.Context, r *Refund) error
	GetRefund(ctx context.Context, merchantID, id string) (*Refund, error)
	ListRefunds(ctx context.Context, merchantID string, f RefundFilter) ([]*Refund, string, error)
	// ApplyRefund moves r from `from` to r.Status. Succeeded: the
	// reservation becomes refunded on the payment (status partially_refunded
	// or refunded) and on its invoice. Failed: the reservation is released.
	ApplyRefund(ctx context.Context, r *Refund, from RefundStatus, now time.Time) (*Invoice, error)
	DueRefunds(ctx context.Context, now, staleBefore time.Time, limit int) ([]*Refund, error)

	// Returns. CreateReturn reserves the items' quantities on the invoice's
	// lines (never more than quantity − returned − reserved: EINVALID
	// "quantity_too_large") and the amount on the invoice.
	CreateReturn(ctx context.Context, r *Return) error
	GetReturn(ctx context.Context, merchantID, id string) (*Return, error)
	// ApplyReturn moves r from `from` to r.Status. Succeeded: line items'
	// QuantityReturned and the invoice's AmountReturned and AmountRefunded
	// grow; failed: reservations are released.
	ApplyReturn(ctx context.Context, r *Return, from RefundStatus, now time.Time) (*Invoice, error)
	ListReturns(ctx context.Context, merchantID, invoiceID string) ([]*Return, error)
	DueReturns(ctx context.Context, now, staleBefore time.Time, limit int) ([]*Return, error)

	// Audit log, newest first. AppendAudit stores entries in one
	// transaction (a batch costs one commit).
	AppendAudit(ctx context.Context, entries ...*AuditEntry) error
	ListAudit(ctx context.Context, merchantID string, f AuditFilter) ([]*AuditEntry, string, error)

	// Idempotency keys of the API. BeginIdempotent inserts rec as in flight
	// and returns (nil, nil); if the key exists it returns the stored record
	// instead (completed or still in flight) and inserts nothing.
	BeginIdempotent(ctx context.Context, rec *IdempotencyRecord) (*IdempotencyRecord, error)
	// CompleteIdempotent stores the response of an in-flight key.
	CompleteIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error
	// ReleaseIdempotent forgets an in-flight key whose request failed in a
	// way the client may retry (e.g. a 5xx before anything changed).
	ReleaseIdempotent(ctx context.Context, merchantID, key string) error
	// PurgeIdempotent deletes keys created before t; it returns how many.
	PurgeIdempotent(ctx context.Context, before time.Time) (int, error)

	// Ping checks the database is reachable (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}
