package paybridge

import (
	"context"
	"time"
)

// Plan is a price and a billing interval, mirrored as a Clover recurring
// plan.
type Plan struct {
	ID            string    `json:"id"` // plan_…
	MerchantID    string    `json:"-"`
	Name          string    `json:"name"`
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	Interval      string    `json:"interval"` // day | week | month | year
	IntervalCount int       `json:"interval_count"`
	Active        bool      `json:"active"`
	CloverPlanID  string    `json:"clover_plan_id"`
	CreatedAt     time.Time `json:"created_at"`
}

// Plan intervals.
var PlanIntervals = []string{"day", "week", "month", "year"}

// SubscriptionStatus is where a subscription stands; paybridge mirrors
// Clover's state (active or not) and adds why it stopped.
type SubscriptionStatus string

// Subscription statuses.
const (
	SubscriptionActive      SubscriptionStatus = "active"
	SubscriptionPastDue     SubscriptionStatus = "past_due"    // the last charge failed; Clover still tries
	SubscriptionDeactivated SubscriptionStatus = "deactivated" // Clover stopped it after 5 failures
	SubscriptionCanceled    SubscriptionStatus = "canceled"
)

// Subscription is a customer's subscription to a plan, mirrored as a
// Clover subscription that charges the customer's card on file.
type Subscription struct {
	ID                   string             `json:"id"` // sub_…
	MerchantID           string             `json:"-"`
	CustomerID           string             `json:"customer_id"`
	PlanID               string             `json:"plan_id"`
	Status               SubscriptionStatus `json:"status"`
	Amount               int64              `json:"amount"`
	Currency             string             `json:"currency"`
	StartDate            string             `json:"start_date"` // YYYY-MM-DD
	FailureCount         int                `json:"failure_count"`
	LastRunDate          string             `json:"last_run_date,omitempty"`
	CloverSubscriptionID string             `json:"clover_subscription_id"`
	// SyncedThrough is the creation time (Unix ms, Clover's clock) of the
	// newest Clover charge already turned into an invoice.
	SyncedThrough int64      `json:"-"`
	Version       int64      `json:"-"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	CanceledAt    *time.Time `json:"canceled_at,omitempty"`
}

// SubscriptionCharge links a Clover recurring charge to the invoice
// paybridge made of it, so each charge becomes exactly one invoice.
type SubscriptionCharge struct {
	MerchantID     string
	CloverChargeID string
	SubscriptionID string
	InvoiceID      string
	Paid           bool
	CreatedAt      time.Time
}

// Collection kinds: why paybridge is collecting an invoice by itself.
const (
	CollectAutopay      = "autopay"
	CollectSubscription = "subscription"
)

// Collection is paybridge's own collection of one invoice with a saved
// card: autopay on the due date, and dunning retries after a failure.
type Collection struct {
	InvoiceID      string
	MerchantID     string
	CustomerID     string
	Kind           string // autopay | subscription
	SubscriptionID string
	Failures       int
	// NextAttemptAt is when to charge again; zero when nothing is planned
	// (paid, void, or the dunning schedule is exhausted).
	NextAttemptAt time.Time
	LastError     string
	Done          bool
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// BillingSettings is a merchant's collection policy. Days are relative to
// an invoice's due date for reminders (negative before, 0 on, positive
// after) and to the first failure for dunning retries.
type BillingSettings struct {
	MerchantID   string    `json:"-"`
	ReminderDays []int     `json:"reminder_days"`
	DunningDays  []int     `json:"dunning_days"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// DefaultBillingSettings is the policy of a merchant that set none.
func DefaultBillingSettings(merchantID string) *BillingSettings {
	return &BillingSettings{MerchantID: merchantID, ReminderDays: []int{-3, 0, 3, 7}, DunningDays: []int{1, 3, 5, 7}}
}

// ReminderCandidate is an unpaid invoice with a due date that may be due
// for a reminder.
type ReminderCandidate struct {
	MerchantID string
	InvoiceID  string
	DueDate    string
}

// RecurringStore keeps plans, subscriptions, collections and reminders.
// Implemented by package store. Subscription and collection changes write
// their events in the same transaction.
type RecurringStore interface {
	CreatePlan(ctx context.Context, p *Plan) error
	GetPlan(ctx context.Context, merchantID, id string) (*Plan, error)
	ListPlans(ctx context.Context, merchantID string) ([]*Plan, error)

	// CreateSubscription stores s (Version 1) with a subscription.created
	// event.
	CreateSubscription(ctx context.Context, s *Subscription) error
	GetSubscription(ctx context.Context, merchantID, id string) (*Subscription, error)
	// ListSubscriptions lists the merchant's subscriptions, of one
	// customer when customerID is not "".
	ListSubscriptions(ctx context.Context, merchantID, customerID string) ([]*Subscription, error)
	// UpdateSubscription writes s if its Version still matches (ECONFLICT
	// "stale_state" otherwise), increments it, and writes an event of type
	// ev unless ev is "".
	UpdateSubscription(ctx context.Context, s *Subscription, ev EventType) error
	// LiveSubscriptions returns subscriptions of any merchant that Clover
	// may still charge (active, past_due).
	LiveSubscriptions(ctx context.Context, limit int) ([]*Subscription, error)

	// RecordSubscriptionCharge claims a Clover charge for an invoice;
	// ECONFLICT "charge_recorded" when it was claimed before (then the
	// stored claim is returned).
	RecordSubscriptionCharge(ctx context.Context, c *SubscriptionCharge) (*SubscriptionCharge, error)

	// CreateCollection starts collecting an invoice; ECONFLICT
	// "collection_exists" when one exists.
	CreateCollection(ctx context.Context, c *Collection) error
	GetCollection(ctx context.Context, merchantID, invoiceID string) (*Collection, error)
	// UpdateCollection writes c if its Version still matches (ECONFLICT
	// "stale_state") and writes evs in the same transaction.
	UpdateCollection(ctx context.Context, c *Collection, evs ...*Event) error
	// DueCollections returns unfinished collections whose NextAttemptAt ≤ now.
	DueCollections(ctx context.Context, now time.Time, limit int) ([]*Collection, error)
	// AutopayDue returns open invoices due on or before today (YYYY-MM-DD)
	// of customers with autopay on and no collection yet: (merchant, invoice).
	AutopayDue(ctx context.Context, today string, limit int) ([][2]string, error)

	// ReminderCandidates returns unpaid, non-void invoices with a due date
	// between from and to (inclusive, YYYY-MM-DD).
	ReminderCandidates(ctx context.Context, from, to string, limit int) ([]ReminderCandidate, error)
	// MarkReminder records that the reminder of day offset was sent for an
	// invoice; false when it had been already.
	MarkReminder(ctx context.Context, merchantID, invoiceID string, offset int, now time.Time) (bool, error)

	GetBillingSettings(ctx context.Context, merchantID string) (*BillingSettings, error)
	SetBillingSettings(ctx context.Context, s *BillingSettings) error
}
