package paybridge

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// PrefixLink is the prefix of payment-link ids (never the secret token).
const PrefixLink = "lnk_"

// MethodHosted is a payment Clover Hosted Checkout took on its own page;
// paybridge learns of it from the signed checkout webhook.
const MethodHosted PaymentMethod = "hosted"

// Checkout modes of a merchant's pay page.
const (
	CheckoutIframe = "iframe" // paybridge's page with Clover's iframe fields
	CheckoutHosted = "hosted" // a redirect to Clover Hosted Checkout
)

// PaymentLink lets whoever holds its token pay one invoice on the hosted
// pay page until it expires or is revoked. Only the token's SHA-256 is
// stored, so a database leak yields no usable links.
type PaymentLink struct {
	ID         string     `json:"id"` // lnk_…
	MerchantID string     `json:"-"`
	InvoiceID  string     `json:"invoice_id"`
	TokenHash  string     `json:"-"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Usable reports whether the link may still open its invoice at now.
func (l *PaymentLink) Usable(now time.Time) bool {
	return l.RevokedAt == nil && now.Before(l.ExpiresAt)
}

// NewLinkToken returns a fresh 128-bit random link token (base64url, 22
// characters) and the hash the store keeps.
func NewLinkToken() (token, hash string) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashLinkToken(token)
}

// HashLinkToken is the stored form of a link token.
func HashLinkToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// LinkAttempt maps one rendering of the pay form (its random attempt key)
// to the payment it made, so a double click, a second tab or a reload of
// the submit replays the first result instead of paying again.
type LinkAttempt struct {
	LinkID     string
	AttemptKey string
	PaymentID  string // "" while the first submit is still running
	ErrorCode  string // a refusal that made no payment (e.g. amount_too_small)
	Lang       string // the page's locale when submitted: the receipt's language
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CheckoutSession is a Clover Hosted Checkout session created for a link,
// kept so the signed webhook (which names only the session) finds its
// invoice.
type CheckoutSession struct {
	ID         string // Clover's checkoutSessionId
	MerchantID string
	InvoiceID  string
	LinkID     string
	Amount     int64
	Lang       string // the page's locale: the receipt's language
	CreatedAt  time.Time
}

// WebSettings are a merchant's pay-page settings: the checkout mode and,
// for hosted checkout, the sealed webhook signing secret.
type WebSettings struct {
	MerchantID      string
	CheckoutMode    string // CheckoutIframe (default) or CheckoutHosted
	SealedHCOSecret []byte // opaque, from package seal
	UpdatedAt       time.Time
}

// LinkStore persists payment links, pay-form attempts, hosted checkout
// sessions and pay-page settings. Implemented by *store.DB on SQLite and
// PostgreSQL; errors are *Error as in Store.
type LinkStore interface {
	// CreatePaymentLink stores l (ID and CreatedAt are set when empty).
	// An invoice of another merchant is ENOTFOUND.
	CreatePaymentLink(ctx context.Context, l *PaymentLink) error
	// PaymentLinkByToken finds a link by its token hash, any merchant
	// (the token is the customer's only credential). Expired and revoked
	// links are returned too: the caller decides with Usable.
	PaymentLinkByToken(ctx context.Context, tokenHash string) (*PaymentLink, error)
	// RevokePaymentLinks revokes every unrevoked link of an invoice and
	// returns how many it revoked.
	RevokePaymentLinks(ctx context.Context, merchantID, invoiceID string, now time.Time) (int, error)

	// BeginLinkAttempt inserts a as in flight and returns (nil, nil); if
	// the (link, attempt key) exists it returns the stored attempt and
	// inserts nothing.
	BeginLinkAttempt(ctx context.Context, a *LinkAttempt) (*LinkAttempt, error)
	// CompleteLinkAttempt records the payment (or the refusal code) of an
	// attempt. A completed attempt is never changed again (first wins).
	CompleteLinkAttempt(ctx context.Context, linkID, attemptKey, paymentID, errorCode string, now time.Time) error
	// GetLinkAttempt returns one attempt.
	GetLinkAttempt(ctx context.Context, linkID, attemptKey string) (*LinkAttempt, error)

	// CreateCheckoutSession records a hosted checkout session.
	CreateCheckoutSession(ctx context.Context, s *CheckoutSession) error
	// GetCheckoutSession finds a session by Clover's id, any merchant.
	GetCheckoutSession(ctx context.Context, id string) (*CheckoutSession, error)
	// PaymentByCloverCharge finds a merchant's payment by Clover charge id
	// (ENOTFOUND when none): how webhooks dedupe.
	PaymentByCloverCharge(ctx context.Context, merchantID, chargeID string) (*Payment, error)

	// WebSettings returns a merchant's settings (defaults when never set).
	WebSettings(ctx context.Context, merchantID string) (*WebSettings, error)
	// SetWebSettings creates or replaces a merchant's settings.
	SetWebSettings(ctx context.Context, s *WebSettings) error
	// MerchantProfile returns a merchant's copied Clover profile; ENOTFOUND
	// when none was copied yet.
	MerchantProfile(ctx context.Context, merchantID string) (*MerchantProfile, error)
	// SetMerchantProfile creates or replaces a merchant's profile.
	SetMerchantProfile(ctx context.Context, p *MerchantProfile) error

	// ReceiptStore keeps the receipt of each payment to at most one mail.
	ReceiptStore
}

// ReceiptStore records receipt emails so that a payment settled by the pay
// page, the hosted-checkout webhook or the reconciler is receipted once,
// whichever of them (or several at once) gets there first.
type ReceiptStore interface {
	// ClaimReceipt takes the right to mail paymentID's receipt: true for
	// the first caller, false for every later one.
	ClaimReceipt(ctx context.Context, merchantID, paymentID string, now time.Time) (bool, error)
	// ReleaseReceipt gives an unsent claim back (the mail failed) so a
	// later sweep may try again.
	ReleaseReceipt(ctx context.Context, paymentID string) error
	// MarkReceiptSent records that the claimed receipt was mailed.
	MarkReceiptSent(ctx context.Context, paymentID string, now time.Time) error
	// LinkAttemptByPayment finds the pay-page attempt that made paymentID
	// (ENOTFOUND when the payment did not come from a pay page form).
	LinkAttemptByPayment(ctx context.Context, paymentID string) (*LinkAttempt, error)
	// GetPaymentLink returns a link by id, whatever its state.
	GetPaymentLink(ctx context.Context, id string) (*PaymentLink, error)
	// UnreceiptedAttempts lists up to limit pay-page attempts whose
	// payment is settled, was updated at or after since, and has no
	// receipt claim: the receipts the reconciler's settlements still owe.
	UnreceiptedAttempts(ctx context.Context, since time.Time, limit int) ([]*LinkAttempt, error)
}
