package main

// Onboarding's wiring (DESIGN.md §3): integrations, the Clover OAuth
// connect and callback, hand-off, whoami, key revocation and the token
// refresh job.

import (
	"context"
	"net/http"
	"time"

	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/httpapi"
	"github.com/paybridge/paybridge/onboarding"
)

// revoked reports whether an API key must be refused: its jti revoked or
// recorded under another merchant or integration than it claims, or its
// integration unlinked or bound to another merchant since (httpapi.Router
// calls it on every authenticated request, so a revocation reaches every
// instance at once).
func (m *Main) revoked(ctx context.Context, c *apikey.Claims) (bool, error) {
	return m.DB.APIKeyRevoked(ctx, c.ID, c.MerchantID, c.IntegrationID)
}

// onboardingRoutes builds the onboarding service and registers its routes:
// the platform-secret API and whoami (httpapi.Onboarding), the connect
// pages and the OAuth callback.
func (m *Main) onboardingRoutes(rt *httpapi.Router) {
	m.Onboarding = m.newOnboarding()
	// A 401 from Clover refreshes the merchant's token (single flight)
	// and retries the call once (clover.Config.Unauthorized).
	m.Clover.Unauthorized = m.Onboarding.FreshToken
	secret := m.Config.PlatformSecret
	if secret == "" && m.Sandbox != nil {
		secret = m.Sandbox.PlatformSecret
	}
	if secret == "" {
		m.Logger.Warn("PAYBRIDGE_PLATFORM_SECRET is not set: POST /v1/integrations refuses every call")
	}
	(&httpapi.Onboarding{Service: m.Onboarding, PlatformSecret: secret}).Routes(rt)
	o := m.Onboarding
	rt.HandlePublic("GET /connect/{id}", http.HandlerFunc(o.ConnectPage))
	rt.HandlePublic("GET /connect/{id}/start", http.HandlerFunc(o.StartConnect))
	rt.HandlePublic("GET /oauth/callback", http.HandlerFunc(o.OAuthCallback))
	rt.HandlePublic("GET /connect/assets/connect.css", http.HandlerFunc(o.Stylesheet))
}

func (m *Main) newOnboarding() *onboarding.Service {
	appID := m.Config.Clover.AppID
	if m.Sim != nil {
		appID = m.Sim.Options().AppID
	}
	o := onboarding.New(m.DB, m.Clover, m.Sealer, m.Keyring, m.Config.PublicURL, appID)
	o.Logger = m.Logger.With("component", "onboarding")
	o.KeyTTL = apiKeyTTL
	o.PKCE = m.Config.Sandbox() || m.Config.Clover.LowTrust || m.Config.Clover.AppSecret == ""
	o.AllowLoopbackHTTP = m.Config.Sandbox()
	o.Currencies = m.Currencies
	o.OnConnected = func(cloverMerchantID, merchantID string) {
		m.Service.FlushCloverCalls(cloverMerchantID, merchantID) // the connect's Clover calls, audited once its merchant exists
		m.refreshMerchantProfile(merchantID)
	}
	if m.Clock != nil {
		o.Now = m.Clock.Now // sandbox mode: cloversim's clock, as token lifetimes are
	}
	return o
}

// onboardingPeriodics is onboarding's background work: refreshing Clover
// tokens before they expire (safe in many instances at once).
func (m *Main) onboardingPeriodics() []Periodic {
	if m.Onboarding == nil {
		return nil
	}
	return []Periodic{{Name: "token-refresh", Every: max(m.Config.TokenRefreshInterval, time.Second), Run: m.Onboarding.RefreshDue}}
}
