package paybridge

import (
	"context"
	"time"
)

// PrefixCardLink is the prefix of update-card link ids (never the token).
const PrefixCardLink = "cul_"

// CardLink lets whoever holds its token put one new card on file for one
// customer, once, until it expires: the "update your card" link of a
// failed-payment email. Only the token's SHA-256 is stored.
type CardLink struct {
	ID         string    `json:"id"` // cul_…
	MerchantID string    `json:"-"`
	CustomerID string    `json:"customer_id"`
	TokenHash  string    `json:"-"`
	ExpiresAt  time.Time `json:"expires_at"`
	// UsedAt is set when a card was saved through the link (or while a
	// save is under way); a used link opens nothing more.
	UsedAt    *time.Time `json:"used_at,omitempty"`
	CardID    string     `json:"card_id,omitempty"` // the card it saved
	CreatedAt time.Time  `json:"created_at"`
}

// Usable reports whether the link may still save a card at now.
func (l *CardLink) Usable(now time.Time) bool {
	return l.UsedAt == nil && now.Before(l.ExpiresAt)
}

// CardIntent is the consent of a payment that saves its card, recorded
// before Clover is called: if the charge's answer is lost and the
// reconciler settles the payment later, the card is still recorded with
// the consent the customer actually gave (who, when, the text, the client
// address), not the reconciler's.
type CardIntent struct {
	PaymentID    string
	MerchantID   string
	CustomerID   string
	CloverCardID string
	Consent      CardConsent
}

// CardUpdateStore keeps update-card links, the consent of card-saving
// payments in flight, and finds a customer's unfinished collections (so a
// new card retries them even after the dunning schedule ran out).
// Implemented by package store.
type CardUpdateStore interface {
	// CreateCardLink stores l (ID set when empty); ENOTFOUND for a
	// customer of another merchant.
	CreateCardLink(ctx context.Context, l *CardLink) error
	// CardLinkByToken returns the link of a token hash (ENOTFOUND).
	CardLinkByToken(ctx context.Context, tokenHash string) (*CardLink, error)
	// ClaimCardLink marks an unused link used at now; ECONFLICT
	// "link_used" when it was used (or claimed) already, so concurrent
	// submits save one card.
	ClaimCardLink(ctx context.Context, merchantID, id string, now time.Time) error
	// ReleaseCardLink undoes a claim whose save definitely failed (a
	// decline), so the customer may try another card.
	ReleaseCardLink(ctx context.Context, merchantID, id string) error
	// FinishCardLink records the card a claimed link saved.
	FinishCardLink(ctx context.Context, merchantID, id, cardID string) error

	// SaveCardIntent records the consent of a payment that saves its card
	// (one per payment; saving it again replaces nothing and is no error).
	SaveCardIntent(ctx context.Context, in *CardIntent) error
	// GetCardIntent returns a payment's card intent (ENOTFOUND).
	GetCardIntent(ctx context.Context, merchantID, paymentID string) (*CardIntent, error)

	// OpenCollections returns a customer's unfinished collections, with or
	// without a planned attempt, oldest first.
	OpenCollections(ctx context.Context, merchantID, customerID string) ([]*Collection, error)
}
