package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/onboarding"
)

// Onboarding serves the CRM side of onboarding (DESIGN.md §3): creating
// integrations and redeeming hand-off codes with the platform secret, and
// GET /v1/auth/whoami with an API key.
type Onboarding struct {
	Service *onboarding.Service
	// PlatformSecret authenticates the CRM platform; "" refuses every
	// platform call (it is never compared against an empty secret).
	PlatformSecret string
}

// Routes registers the onboarding API on rt.
func (o *Onboarding) Routes(rt *Router) {
	rt.HandlePublic("POST /v1/integrations", o.platform(o.createIntegration))
	rt.HandlePublic("POST /v1/integrations/{id}/handoff", o.platform(o.redeemHandoff))
	rt.HandleFunc("GET /v1/auth/whoami", o.whoami)
	rt.HandlePublic("POST /v1/api-keys/{jti}/revoke", o.platform(o.revokeKey))
}

// revokeKey is the operator's revocation of one API key (as `paybridge
// keys revoke`), authenticated with the platform secret.
func (o *Onboarding) revokeKey(w http.ResponseWriter, r *http.Request) {
	jti := r.PathValue("jti")
	if err := o.Service.RevokeKey(r.Context(), jti); err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, map[string]any{"jti": jti, "revoked": true})
}

// platform requires Authorization: Bearer <platform secret>, compared in
// constant time (of hashes, so the length leaks nothing either).
func (o *Onboarding) platform(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r)
		want := sha256.Sum256([]byte(o.PlatformSecret))
		got := sha256.Sum256([]byte(token))
		if !ok || o.PlatformSecret == "" || subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="paybridge-platform", error="invalid_token"`)
			WriteError(w, r, &paybridge.Error{Kind: paybridge.EUNAUTHORIZED, Code: "invalid_platform_secret",
				Message: "Send the platform secret as Authorization: Bearer <secret>."})
			return
		}
		next(w, r)
	})
}

// integrationResponse is an integration as the CRM sees it.
type integrationResponse struct {
	*paybridge.Integration
	ConnectURL string `json:"connect_url"`
}

func (o *Onboarding) createIntegration(w http.ResponseWriter, r *http.Request) {
	var in onboarding.IntegrationInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	it, connectURL, created, err := o.Service.CreateIntegration(r.Context(), in)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	WriteJSON(w, r, status, integrationResponse{Integration: it, ConnectURL: connectURL})
}

func (o *Onboarding) redeemHandoff(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Code string `json:"code"`
	}
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	res, err := o.Service.Redeem(r.Context(), r.PathValue("id"), in.Code)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, res)
}

// whoamiResponse is the claims of the API key that made the request.
type whoamiResponse struct {
	MerchantID    string    `json:"merchant_id"`
	IntegrationID string    `json:"integration_id"`
	EmployeeID    string    `json:"employee_id"`
	AppID         string    `json:"app_id"`
	KeyID         string    `json:"key_id"`
	ExpiresAt     time.Time `json:"expires_at"`
}

func (o *Onboarding) whoami(w http.ResponseWriter, r *http.Request) {
	c, ok := ClaimsFrom(r.Context())
	if !ok {
		WriteError(w, r, &paybridge.Error{Kind: paybridge.EUNAUTHORIZED, Code: "missing_api_key", Message: "No API key."})
		return
	}
	res := whoamiResponse{MerchantID: c.MerchantID, IntegrationID: c.IntegrationID, EmployeeID: c.EmployeeID,
		AppID: c.AppID, KeyID: c.ID}
	if c.ExpiresAt != nil {
		res.ExpiresAt = c.ExpiresAt.Time.UTC()
	}
	WriteJSON(w, r, http.StatusOK, res)
}
