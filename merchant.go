package paybridge

import "time"

// MerchantStatus is whether paybridge may act for a merchant in Clover.
type MerchantStatus string

// Merchant statuses. A merchant whose Clover token died (refresh failed,
// app uninstalled, employee lost permissions) is reauthorization_required:
// reads still work, writes are refused until it reconnects.
const (
	MerchantActive                  MerchantStatus = "active"
	MerchantReauthorizationRequired MerchantStatus = "reauthorization_required"
)

// Merchant is one Clover merchant connected to paybridge.
type Merchant struct {
	ID               string         `json:"id"`                 // mer_…
	CloverMerchantID string         `json:"clover_merchant_id"` // 13-character Clover merchant UUID
	Name             string         `json:"name"`
	Currency         string         `json:"currency"`
	Status           MerchantStatus `json:"status"`
	PAKMSKey         string         `json:"-"` // public iframe key; not secret, but not API output either
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
}

// Credentials are a merchant's Clover OAuth token pair. The store keeps them
// only sealed (encrypted, see package seal); this type exists in memory only.
type Credentials struct {
	AccessToken    string
	AccessExpires  time.Time
	RefreshToken   string
	RefreshExpires time.Time
}

// String keeps tokens out of logs and fmt output.
func (Credentials) String() string { return "Credentials{redacted}" }

// GoString keeps tokens out of %#v.
func (Credentials) GoString() string { return "Credentials{redacted}" }
