package clover

import (
	"context"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
)

// AuthorizeParams are the query of Clover's OAuth v2 consent page.
type AuthorizeParams struct {
	RedirectURI string
	// State is the single-use value the callback must echo (Clover's echo is
	// UNCONFIRMED; paybridge also keeps it server-side).
	State string
	// CodeChallenge is the S256 challenge of a PKCE verifier (low-trust
	// apps); "" for high-trust apps that use the client secret.
	CodeChallenge string
	// MerchantID preselects the merchant; "" lets the user choose.
	MerchantID string
}

// AuthorizeURL is where the merchant's browser goes to grant the app access.
func (c *Client) AuthorizeURL(p AuthorizeParams) string {
	q := url.Values{}
	q.Set("client_id", c.ClientID)
	q.Set("redirect_uri", p.RedirectURI)
	if p.State != "" {
		q.Set("state", p.State)
	}
	if p.CodeChallenge != "" {
		q.Set("code_challenge", p.CodeChallenge)
		q.Set("code_challenge_method", "S256")
	}
	if p.MerchantID != "" {
		q.Set("merchant_id", p.MerchantID)
	}
	return c.URLs.Web + "/oauth/v2/authorize?" + q.Encode()
}

// NewPKCE returns a fresh PKCE verifier (kept server-side with the state)
// and its S256 challenge (sent in the authorize URL).
func NewPKCE() (verifier, challenge string) {
	verifier = oauth2.GenerateVerifier()
	return verifier, oauth2.S256ChallengeFromVerifier(verifier)
}

// oauthRequest builds a call to the OAuth token host. The code or refresh
// token is consumed on arrival, so the call is single-use: it is retried
// only when Clover cannot have seen it (and on 429).
func (c *Client) oauthRequest(tmpl string, body any, secrets ...string) *request {
	return &request{
		method: http.MethodPost, base: c.URLs.API, path: tmpl, tmpl: tmpl, body: body,
		headers:   http.Header{},
		budget:    BudgetKey{App: c.AppID, Token: "oauth:" + TokenFingerprint(c.ClientID)},
		singleUse: true, secrets: secrets,
	}
}

// ExchangeCode trades an authorization code for a token pair. With a PKCE
// verifier it sends code_verifier (low-trust app); without, the client
// secret (high-trust app). Codes are single use, so like RefreshToken the
// call is never retried once it may have reached Clover.
func (c *Client) ExchangeCode(ctx context.Context, code, verifier string) (*OAuthToken, error) {
	body := map[string]string{"client_id": c.ClientID, "code": code}
	if verifier != "" {
		body["code_verifier"] = verifier
	} else {
		body["client_secret"] = c.ClientSecret
	}
	return get[OAuthToken](ctx, c, c.oauthRequest("/oauth/v2/token", body, code, verifier))
}

// RefreshToken trades a refresh token for a new pair. Refresh tokens are
// single use: the call is retried only on errors before sending, connection
// refused and 429, never after the request may have reached Clover. On
// IsUnknownOutcome the old refresh token may already be spent.
func (c *Client) RefreshToken(ctx context.Context, refreshToken string) (*OAuthToken, error) {
	body := map[string]string{"client_id": c.ClientID, "refresh_token": refreshToken}
	return get[OAuthToken](ctx, c, c.oauthRequest("/oauth/v2/refresh", body, refreshToken))
}
