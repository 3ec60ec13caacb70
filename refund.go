package paybridge

import "time"

// RefundStatus is where a refund or return stands; unknown outcomes are
// reconciled with the same idempotency key, like payments.
type RefundStatus string

// Refund statuses.
const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
	RefundUnknown   RefundStatus = "unknown"
)

// Refund gives back some or all of a payment. Its amount is reserved on the
// payment when it is created, so concurrent refunds can never together
// exceed what was paid.
type Refund struct {
	ID             string       `json:"id"` // re_…
	MerchantID     string       `json:"-"`
	PaymentID      string       `json:"payment_id"`
	InvoiceID      string       `json:"invoice_id,omitempty"`
	ReturnID       string       `json:"return_id,omitempty"`
	Amount         int64        `json:"amount"`
	Currency       string       `json:"currency"`
	Reason         string       `json:"reason,omitempty"` // duplicate | fraudulent | requested_by_customer
	Status         RefundStatus `json:"status"`
	CloverRefundID string       `json:"clover_refund_id,omitempty"`
	IdempotencyKey string       `json:"-"`
	FailureCode    string       `json:"failure_code,omitempty"`
	FailureMessage string       `json:"failure_message,omitempty"`
	Attempts       int          `json:"-"`
	NextAttemptAt  time.Time    `json:"-"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
}

// Return sends invoice items back through a Clover order return, which
// refunds them underneath, so the Clover order shows what came back.
type Return struct {
	ID             string       `json:"id"` // ret_…
	MerchantID     string       `json:"-"`
	InvoiceID      string       `json:"invoice_id"`
	Items          []ReturnItem `json:"items"`
	Amount         int64        `json:"amount"` // including the items' tax
	Currency       string       `json:"currency"`
	Status         RefundStatus `json:"status"`
	CloverReturnID string       `json:"clover_return_id,omitempty"`
	IdempotencyKey string       `json:"-"`
	FailureCode    string       `json:"failure_code,omitempty"`
	FailureMessage string       `json:"failure_message,omitempty"`
	Attempts       int          `json:"-"`
	NextAttemptAt  time.Time    `json:"-"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
}

// ReturnItem is a quantity of one invoice line coming back.
type ReturnItem struct {
	LineItemID string `json:"line_item_id"`
	Quantity   int64  `json:"quantity"`
	Amount     int64  `json:"amount"` // this quantity's share of the line, tax included
}

// RefundFilter selects refunds in a list.
type RefundFilter struct {
	PaymentID string
	InvoiceID string
	Cursor    string
	Limit     int
	Status    RefundStatus // "" = any
	Order     Order        // "" = the list's default
	Created   TimeRange    // zero = any time
}
