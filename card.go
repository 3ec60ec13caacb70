package paybridge

import (
	"context"
	"time"
)

// Card is a customer's card on file. paybridge keeps only what a receipt
// shows (brand, last four digits, expiry) plus the Clover card id it charges
// and the customer's recorded consent; the card itself stays at Clover.
type Card struct {
	ID           string      `json:"id"` // card_…
	MerchantID   string      `json:"-"`
	CustomerID   string      `json:"customer_id"`
	Brand        string      `json:"brand"`
	Last4        string      `json:"last4"`
	ExpMonth     string      `json:"exp_month"`
	ExpYear      string      `json:"exp_year"`
	CloverCardID string      `json:"-"`
	Consent      CardConsent `json:"consent"`
	CreatedAt    time.Time   `json:"created_at"`
	// RemovedAt is set when the card was removed; the row stays, so the
	// consent it was saved under can still be shown.
	RemovedAt *time.Time `json:"-"`
}

// CardConsent is the customer's permission to keep and charge a card: who
// gave it (the actor of the request), when, the exact text shown, and the
// client's address. Card networks require it for stored credentials.
type CardConsent struct {
	Actor      string    `json:"actor"`
	Text       string    `json:"text"`
	ClientIP   string    `json:"client_ip"`
	RecordedAt time.Time `json:"recorded_at"`
}

// DefaultCardConsentText is shown next to "save this card" when a merchant
// has not set its own wording.
const DefaultCardConsentText = "I authorize the merchant to save this card and charge it for future payments I approve, " +
	"including automatic payments of my invoices and subscriptions, until I remove it."

// Autopay is a customer's choice to have new invoices charged to a saved
// card on their due date.
type Autopay struct {
	CustomerID string    `json:"customer_id"`
	Enabled    bool      `json:"enabled"`
	CardID     string    `json:"card_id,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// CardStore keeps cards on file and autopay choices. Implemented by
// package store.
type CardStore interface {
	// CreateCard stores a card with its consent (ENOTFOUND for a customer
	// of another merchant). A Clover card id is stored once per merchant:
	// saving it again returns the existing card (ECONFLICT code
	// "card_exists" with no write).
	CreateCard(ctx context.Context, c *Card) error
	// GetCard returns a card that was not removed.
	GetCard(ctx context.Context, merchantID, id string) (*Card, error)
	// ListCards returns a customer's cards that were not removed, oldest
	// first.
	ListCards(ctx context.Context, merchantID, customerID string) ([]*Card, error)
	// RemoveCard marks a card removed and turns autopay off when it used
	// that card; ENOTFOUND when absent or already removed.
	RemoveCard(ctx context.Context, merchantID, id string, now time.Time) error
	// SetPaymentSource records, on a still pending payment, the Clover
	// source it will be charged with (a card just saved from its token), so
	// reconciliation repeats the very same request.
	SetPaymentSource(ctx context.Context, merchantID, paymentID, source string) error

	// GetAutopay returns a customer's autopay (disabled when never set).
	GetAutopay(ctx context.Context, merchantID, customerID string) (*Autopay, error)
	// SetAutopay stores a customer's autopay; an enabled one needs a card
	// of that customer (EINVALID otherwise).
	SetAutopay(ctx context.Context, merchantID string, a *Autopay) error
}
