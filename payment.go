package paybridge

import "time"

// PaymentStatus is a payment's place in the state machine of DESIGN.md §4:
//
//	pending ──▶ succeeded ──▶ partially_refunded ──▶ refunded
//	   │   └──▶ authorized ──▶ captured ──▶ (partially_)refunded
//	   │                  └──▶ voided
//	   ├──▶ failed   (a definite decline or validation error)
//	   └──▶ unknown  (timeout, network error, 5xx: Clover may have charged)
//	unknown ──(same request, same idempotency key)──▶ succeeded | authorized | failed
type PaymentStatus string

// Payment statuses.
const (
	PaymentPending           PaymentStatus = "pending"
	PaymentSucceeded         PaymentStatus = "succeeded"
	PaymentAuthorized        PaymentStatus = "authorized"
	PaymentCaptured          PaymentStatus = "captured"
	PaymentVoided            PaymentStatus = "voided"
	PaymentFailed            PaymentStatus = "failed"
	PaymentUnknown           PaymentStatus = "unknown"
	PaymentPartiallyRefunded PaymentStatus = "partially_refunded"
	PaymentRefunded          PaymentStatus = "refunded"
)

var paymentTransitions = map[PaymentStatus][]PaymentStatus{
	PaymentPending:           {PaymentSucceeded, PaymentAuthorized, PaymentFailed, PaymentUnknown},
	PaymentUnknown:           {PaymentUnknown, PaymentSucceeded, PaymentAuthorized, PaymentFailed}, // unknown → unknown: one more reconciliation attempt
	PaymentAuthorized:        {PaymentCaptured, PaymentVoided},
	PaymentSucceeded:         {PaymentPartiallyRefunded, PaymentRefunded},
	PaymentCaptured:          {PaymentPartiallyRefunded, PaymentRefunded},
	PaymentPartiallyRefunded: {PaymentPartiallyRefunded, PaymentRefunded},
}

// CanTransition reports whether a payment may move from one status to another.
func CanTransition(from, to PaymentStatus) bool {
	for _, s := range paymentTransitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Settled reports whether money was taken (and so can be refunded).
func (s PaymentStatus) Settled() bool {
	return s == PaymentSucceeded || s == PaymentCaptured || s == PaymentPartiallyRefunded || s == PaymentRefunded
}

// InFlight reports whether the outcome is not yet definite.
func (s PaymentStatus) InFlight() bool { return s == PaymentPending || s == PaymentUnknown }

// PaymentMethod is how a payment is made.
type PaymentMethod string

// Payment methods.
const (
	MethodToken PaymentMethod = "token" // a single-use clv_ token from the iframe
	MethodCard  PaymentMethod = "card"  // a saved card (card on file)
	MethodCash  PaymentMethod = "cash"
	MethodCheck PaymentMethod = "check"
	// MethodExternal is a payment made outside paybridge (a device or the
	// Clover dashboard paid the invoice's order), recorded from Clover's
	// webhook so the invoice and its events follow.
	MethodExternal PaymentMethod = "external"
)

// PaymentRoute is which Clover call makes a payment: a full invoice payment
// pays the Clover order; a partial one (or a direct payment) is a charge.
type PaymentRoute string

// Payment routes.
const (
	RouteOrderPay PaymentRoute = "order_pay"
	RouteCharge   PaymentRoute = "charge"
)

// CardSummary is everything paybridge ever keeps of a card.
type CardSummary struct {
	Brand    string `json:"brand"`
	Last4    string `json:"last4"`
	ExpMonth string `json:"exp_month,omitempty"`
	ExpYear  string `json:"exp_year,omitempty"`
}

// Payment is one attempt to take money. It is persisted, with the
// idempotency key Clover will see, before Clover is called; every retry and
// every reconciliation reuses that key, so Clover charges at most once.
type Payment struct {
	ID             string        `json:"id"` // pay_…
	MerchantID     string        `json:"-"`
	InvoiceID      string        `json:"invoice_id,omitempty"`
	CustomerID     string        `json:"customer_id,omitempty"`
	Status         PaymentStatus `json:"status"`
	Method         PaymentMethod `json:"method"`
	Route          PaymentRoute  `json:"-"`
	Amount         int64         `json:"amount"` // excluding tip
	TipAmount      int64         `json:"tip_amount"`
	Currency       string        `json:"currency"`
	Capture        bool          `json:"capture"`
	AmountCaptured int64         `json:"amount_captured"`
	AmountRefunded int64         `json:"amount_refunded"`
	Card           *CardSummary  `json:"card,omitempty"`
	Description    string        `json:"description,omitempty"`
	// Source is the Clover source to charge: a clv_ token (single use, so
	// it is cleared once the outcome is definite), a saved card id or a
	// Clover customer id. Never a card number.
	Source         string    `json:"-"`
	CloverChargeID string    `json:"clover_charge_id,omitempty"`
	IdempotencyKey string    `json:"-"` // sent to Clover as idempotency-key
	FailureCode    string    `json:"failure_code,omitempty"`
	FailureMessage string    `json:"failure_message,omitempty"`
	ClientIP       string    `json:"-"` // x-forwarded-for to Clover
	Attempts       int       `json:"-"` // reconciliation attempts so far
	NextAttemptAt  time.Time `json:"-"`
	Version        int64     `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// PaymentFilter selects payments in a list.
type PaymentFilter struct {
	InvoiceID  string
	Status     PaymentStatus
	Cursor     string
	Limit      int
	CustomerID string
	Order      Order     // "" = the list's default
	Created    TimeRange // zero = any time
}
