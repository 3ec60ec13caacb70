package onboarding

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/seal"
)

// Store is what onboarding persists through: merchants, audit and
// credentials (paybridge.Store) plus its own tables. *store.DB is one.
type Store interface {
	paybridge.Store
	paybridge.OnboardingStore
}

// Service runs onboarding. Its exported fields are its dependencies and
// tunables; New sets the defaults. Set them before use, not during.
type Service struct {
	Store   Store
	Clover  *clover.Client
	Sealer  *seal.Sealer
	Keyring *apikey.Keyring
	Logger  *slog.Logger
	Now     func() time.Time
	Rand    io.Reader // states, PKCE verifiers' companions, hand-off codes

	// PublicURL is how browsers reach paybridge (no trailing slash); the
	// OAuth redirect_uri is PublicURL + "/oauth/callback".
	PublicURL string
	// AppID is the Clover app, an API-key claim.
	AppID string
	// PKCE sends a code_challenge (S256) and exchanges with the verifier:
	// what low-trust apps must do. High-trust apps use the client secret.
	PKCE bool
	// AllowLoopbackHTTP lets return URLs use http on loopback hosts
	// (sandbox mode only); otherwise they must be https.
	AllowLoopbackHTTP bool
	// Currencies gives a connecting merchant its currency (currency.go).
	Currencies Currencies

	// OnConnected, when set, is called once a connect has stored its
	// merchant (the wiring records the connect's Clover calls then).
	OnConnected func(cloverMerchantID, merchantID string)

	StateTTL   time.Duration // an authorization attempt (default 10 min)
	HandoffTTL time.Duration // a hand-off code (default 5 min)
	KeyTTL     time.Duration // an API key (default 5 years)
	// RefreshBefore refreshes access tokens expiring within it (default
	// 15 min); RefreshLease bounds one refresh attempt (default 2 min): a
	// refresh still in flight after it is presumed lost.
	RefreshBefore time.Duration
	RefreshLease  time.Duration

	flights sync.Map // merchant id → *sync.Mutex: FreshToken's single flight in this process
}

// New returns a Service with defaults over its dependencies.
func New(st Store, c *clover.Client, sealer *seal.Sealer, kr *apikey.Keyring, publicURL, appID string) *Service {
	return &Service{
		Store: st, Clover: c, Sealer: sealer, Keyring: kr, PublicURL: publicURL, AppID: appID,
		Logger: slog.New(slog.DiscardHandler), Now: time.Now, Rand: rand.Reader,
		StateTTL: 10 * time.Minute, HandoffTTL: 5 * time.Minute, KeyTTL: 5 * 365 * 24 * time.Hour,
		RefreshBefore: 15 * time.Minute, RefreshLease: 2 * time.Minute,
	}
}

// RedirectURI is the OAuth callback registered with Clover.
func (s *Service) RedirectURI() string { return s.PublicURL + "/oauth/callback" }

// secret returns a fresh 256-bit random value, base64url without padding.
func (s *Service) secret() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.Rand, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hash is how states and hand-off codes are stored: a leaked database row
// cannot be replayed.
func hash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// audit appends an onboarding audit entry; failures are logged, not fatal
// (the action itself already happened or was already refused).
func (s *Service) audit(ctx context.Context, e paybridge.AuditEntry) {
	if err := s.Store.AppendAudit(ctx, &e); err != nil {
		s.Logger.Error("onboarding audit", "action", e.Action, "err", err)
	}
}
