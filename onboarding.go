package paybridge

import (
	"context"
	"time"
)

// Integration is one CRM instance that connects merchants to paybridge
// (DESIGN.md §3), found or created by (Type, ExternalKey) with the platform
// secret. The first merchant to connect binds it; only an operator unlinks.
type Integration struct {
	ID          string     `json:"id"` // UUIDv4
	Type        string     `json:"type"`
	ExternalKey string     `json:"external_key"`
	ReturnURL   string     `json:"return_url"`
	MerchantID  string     `json:"merchant_id,omitempty"` // bound merchant ("" until the first connect)
	UnlinkedAt  *time.Time `json:"unlinked_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// ConnectState is the server side of one OAuth authorization attempt. The
// store keeps only the SHA-256 of the state value sent to Clover, so a
// leaked database cannot complete a callback, and the PKCE verifier sealed.
type ConnectState struct {
	StateHash      string
	IntegrationID  string
	SealedVerifier []byte // "" for high-trust apps
	CRMState       string // opaque value echoed to the return URL
	ExpiresAt      time.Time
	CreatedAt      time.Time
}

// Handoff is a one-time code, redeemed by the CRM for an API key after a
// connect; like ConnectState only its hash is stored.
type Handoff struct {
	CodeHash      string
	IntegrationID string
	MerchantID    string
	EmployeeID    string
	AppID         string
	ExpiresAt     time.Time
	CreatedAt     time.Time
}

// APIKeyRecord is what paybridge remembers of an issued API key: never the
// key, only its jti and whom it acts for, so it can be revoked.
type APIKeyRecord struct {
	JTI           string
	MerchantID    string
	EmployeeID    string
	AppID         string
	IntegrationID string
	IssuedAt      time.Time
	ExpiresAt     time.Time
	RevokedAt     *time.Time
	// Standalone keys (issued by an operator with `paybridge keys issue`)
	// do not revoke the other keys of their (app, merchant, employee).
	Standalone bool
}

// Connection is the outcome of a successful OAuth callback, written in one
// transaction by OnboardingStore.Connect.
type Connection struct {
	Merchant      *Merchant // ID set; created or updated (status back to active)
	SealedCreds   []byte
	AccessExpires time.Time
	// RefreshExpires is zero when Clover issued no refresh token.
	RefreshExpires time.Time
	IntegrationID  string
	Handoff        *Handoff
}

// TokenUpkeep is the refresh bookkeeping of one merchant's Clover token
// pair. InflightFP is the fingerprint of a refresh token that was (maybe)
// sent to Clover: non-empty means a refresh began and did not finish.
type TokenUpkeep struct {
	MerchantID     string
	AccessExpires  time.Time
	RefreshExpires time.Time
	LeaseUntil     time.Time
	InflightFP     string
	InflightSince  time.Time
	LastError      string
}

// OnboardingStore persists integrations, connects, hand-offs, API-key
// records and token upkeep. Implemented by *store.DB on both engines. Errors
// are *Error of kind ENOTFOUND, ECONFLICT or EINVALID, or internal.
type OnboardingStore interface {
	// FindOrCreateIntegration returns the integration of (in.Type,
	// in.ExternalKey), creating it from in when absent; an existing one
	// gets in.ReturnURL registered. created reports which.
	FindOrCreateIntegration(ctx context.Context, in *Integration) (it *Integration, created bool, err error)
	GetIntegration(ctx context.Context, id string) (*Integration, error)
	// UnlinkIntegration clears the binding (the next merchant to connect
	// binds it), drops pending hand-offs and revokes every key issued
	// through the integration, in one transaction.
	UnlinkIntegration(ctx context.Context, id string, now time.Time) error

	CreateConnectState(ctx context.Context, s *ConnectState) error
	// ConsumeConnectState deletes and returns the state: ENOTFOUND when
	// unknown or already used, EINVALID code "state_expired" when expired
	// (deleted too). Two concurrent callers: exactly one gets it.
	ConsumeConnectState(ctx context.Context, stateHash string, now time.Time) (*ConnectState, error)

	// Connect stores a successful OAuth callback atomically: the merchant
	// (created, or updated and made active), its sealed credentials, its
	// token upkeep row (no refresh in flight), the integration bound to it
	// (ECONFLICT code "integration_bound_elsewhere" and nothing written
	// when bound to another merchant; an unlinked integration binds
	// again), every key of the same (app, merchant, employee) revoked,
	// that triple's unredeemed hand-offs dropped, and c.Handoff inserted.
	Connect(ctx context.Context, c *Connection, now time.Time) error

	// RedeemHandoff deletes and returns the hand-off of integrationID with
	// codeHash: ENOTFOUND when unknown, used or another integration's,
	// EINVALID "handoff_expired" when expired.
	RedeemHandoff(ctx context.Context, integrationID, codeHash string, now time.Time) (*Handoff, error)

	// RecordAPIKey stores k and revokes every other live key of the same
	// (app, merchant, employee), in one transaction.
	RecordAPIKey(ctx context.Context, k *APIKeyRecord) error
	// RevokeAPIKey revokes one key by jti (ENOTFOUND if never recorded).
	RevokeAPIKey(ctx context.Context, jti string, now time.Time) error
	// APIKeyRevoked reports whether the key with jti, presenting
	// merchantID and integrationID in its claims, must be refused: never
	// recorded, revoked, recorded for another merchant or integration than
	// it claims, or issued through an integration that is unlinked or no
	// longer bound to the key's merchant.
	APIKeyRevoked(ctx context.Context, jti, merchantID, integrationID string) (bool, error)

	// TokenUpkeep returns a merchant's refresh bookkeeping.
	TokenUpkeep(ctx context.Context, merchantID string) (*TokenUpkeep, error)
	// DueTokenRefreshes lists active merchants whose access token expires
	// before `before`, with no refresh in flight and no live lease.
	DueTokenRefreshes(ctx context.Context, before, now time.Time, limit int) ([]*TokenUpkeep, error)
	// StaleTokenRefreshes lists merchants whose refresh is in flight and
	// whose lease ran out before now (the process died, or the commit
	// failed): their refresh token may be spent.
	StaleTokenRefreshes(ctx context.Context, now time.Time, limit int) ([]*TokenUpkeep, error)
	// BeginTokenRefresh is the compare-and-set that makes one refresh per
	// merchant at a time: it durably records fp as in flight with a lease
	// until leaseUntil, only if no refresh is in flight, the merchant is
	// active and its stored credentials are still exactly sealedCreds. It
	// reports whether it won.
	BeginTokenRefresh(ctx context.Context, merchantID, fp string, sealedCreds []byte, leaseUntil, now time.Time) (bool, error)
	// CompleteTokenRefresh stores the new sealed pair and clears the
	// in-flight mark in one transaction, only if fp is still in flight
	// (ECONFLICT "stale_state" otherwise: nothing written).
	CompleteTokenRefresh(ctx context.Context, merchantID, fp string, sealedCreds []byte, accessExpires, refreshExpires, now time.Time) error
	// AbandonTokenRefresh clears the in-flight mark and lease of fp (the
	// request was definitely not consumed) and records reason.
	AbandonTokenRefresh(ctx context.Context, merchantID, fp, reason string, now time.Time) error
	// FailTokenRefresh clears fp's in-flight mark and records reason; the
	// caller marks the merchant reauthorization_required.
	FailTokenRefresh(ctx context.Context, merchantID, fp, reason string, now time.Time) error

	// PurgeOnboarding deletes connect states and hand-offs that expired
	// before t; it returns how many.
	PurgeOnboarding(ctx context.Context, before time.Time) (int, error)
}
