package cloversim

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// oauthCodeTTL is how long an authorization code can be exchanged.
const oauthCodeTTL = 10 * time.Minute

// oauthCode is an issued, single-use authorization code and what it binds.
type oauthCode struct {
	ClientID, RedirectURI string
	MerchantID            string
	EmployeeID            string
	Challenge             string // S256 code_challenge, "" for high-trust apps
	Expires               time.Time
	Used                  bool
}

// oauthRefresh is a refresh token: single use, rotating.
type oauthRefresh struct {
	MerchantID, EmployeeID string
	Expires                time.Time
	Used                   bool
	// Access is the access token issued with it, which a refresh kills
	// when the revoke-on-refresh rule is on (refresh_rules.go).
	Access string
	// Seq orders the merchant's refresh tokens, oldest first; Capped
	// marks one invalidated by the cap on active tokens.
	Seq    int64
	Capped bool
}

// oauthIssued lists the live tokens of one (app, merchant, employee).
type oauthIssued struct {
	Access  []string
	Refresh []string
}

// registerOAuth serves OAuth v2 and the token admin endpoints.
func (s *Sim) registerOAuth() {
	s.mux.HandleFunc("GET /oauth/v2/authorize", s.authorizePage)
	// The consent form is Clover's own page: refuse cross-site posts.
	s.mux.Handle("POST /oauth/v2/authorize", http.NewCrossOriginProtection().Handler(http.HandlerFunc(s.authorizeSubmit)))
	s.mux.HandleFunc("POST /oauth/v2/token", s.oauthToken)
	s.mux.HandleFunc("POST /oauth/v2/refresh", s.oauthRefresh)
	s.mux.HandleFunc("POST /_sim/tokens/revoke", s.revokeTokens)
	s.mux.HandleFunc("POST /_sim/tokens/expire", s.expireToken)
	s.mux.HandleFunc("GET /_sim/oauth", s.adminGetRefreshRules)
	s.mux.HandleFunc("PUT /_sim/oauth", s.adminPutRefreshRules)
	s.registerWebhooks()
}

// oauthTokenRequest is the body of /oauth/v2/token and /oauth/v2/refresh.
type oauthTokenRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	Code         string `json:"code,omitempty"`
	CodeVerifier string `json:"code_verifier,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

func oauthBad(msg string) *apiError {
	return errf(http.StatusBadRequest, "invalid_request_error", "invalid_request", "%s", msg)
}

// readTokenRequest decodes the body of /oauth/v2/token or /oauth/v2/refresh
// and checks its client_id. On failure it has answered (400 for a bad body,
// the bare 401 for another app) and reports false.
func (s *Sim) readTokenRequest(w http.ResponseWriter, r *http.Request) (oauthTokenRequest, bool) {
	var req oauthTokenRequest
	if err := extDecode(r, &req); err != nil {
		writeAPIError(w, oauthBad(err.Error()))
		return req, false
	}
	if req.ClientID != s.app.ClientID {
		writeUnauthorized(w)
		return req, false
	}
	return req, true
}

// oauthToken exchanges an authorization code for a token pair. A high-trust
// app proves itself with client_secret; a code issued with a code_challenge
// also needs the matching code_verifier (RFC 7636).
func (s *Sim) oauthToken(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readTokenRequest(w, r)
	if !ok {
		return
	}
	if req.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(req.ClientSecret), []byte(s.app.ClientSecret)) != 1 {
		writeUnauthorized(w)
		return
	}
	if req.Code == "" {
		writeAPIError(w, oauthBad("code is required."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	c := s.ext.codes[req.Code]
	switch {
	case c == nil || c.ClientID != req.ClientID:
		writeAPIError(w, oauthBad("Invalid authorization code."))
		return
	case c.Used:
		writeAPIError(w, oauthBad("Authorization code has already been used."))
		return
	case !now.Before(c.Expires):
		writeAPIError(w, oauthBad("Authorization code has expired."))
		return
	}
	if c.Challenge != "" {
		if req.CodeVerifier == "" {
			writeAPIError(w, oauthBad("code_verifier is required."))
			return
		}
		sum := sha256.Sum256([]byte(req.CodeVerifier))
		if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(c.Challenge)) != 1 {
			writeAPIError(w, oauthBad("code_verifier does not match the code_challenge."))
			return
		}
	} else if req.ClientSecret == "" {
		writeUnauthorized(w)
		return
	}
	c.Used = true
	if _, ok := s.merchants[c.MerchantID]; !ok {
		writeUnauthorized(w) // the merchant went away since consent
		return
	}
	// A new authorization of the same (app, merchant, employee) replaces
	// every key that triple held (CLOVER.md §12).
	s.invalidateTripleLocked(c.MerchantID, c.EmployeeID)
	writeJSON(w, http.StatusOK, s.issueLocked(c.MerchantID, c.EmployeeID, r.URL.Query().Get("no_refresh_token") != "true", now))
}

// oauthRefresh rotates a refresh token: the old one is spent, a new pair is
// issued. The previous access token keeps working until its own expiry.
func (s *Sim) oauthRefresh(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readTokenRequest(w, r)
	if !ok {
		return
	}
	if req.RefreshToken == "" {
		writeAPIError(w, oauthBad("refresh_token is required."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	rt := s.ext.refresh[req.RefreshToken]
	switch {
	case rt == nil:
		writeUnauthorized(w)
		return
	case rt.Used:
		writeAPIError(w, oauthBad("Refresh token has already been used."))
		return
	case rt.Capped:
		writeAPIError(w, oauthBad("Refresh token is no longer valid: the app has newer active refresh tokens for this merchant."))
		return
	case !now.Before(rt.Expires):
		writeAPIError(w, oauthBad("Refresh token has expired."))
		return
	}
	rt.Used = true
	if s.ext.revokeOnRefresh {
		delete(s.grants, rt.Access) // the old access token dies with its refresh (refresh_rules.go)
	}
	writeJSON(w, http.StatusOK, s.issueLocked(rt.MerchantID, rt.EmployeeID, true, now))
}

// issueLocked creates an access token (a grant usable on every API) and,
// when withRefresh, a refresh token, both tracked under their triple.
func (s *Sim) issueLocked(mid, eid string, withRefresh bool, now time.Time) clover.OAuthToken {
	key := mid + "/" + eid
	iss := s.ext.issued[key]
	if iss == nil {
		iss = &oauthIssued{}
		s.ext.issued[key] = iss
	}
	t := clover.OAuthToken{AccessToken: randHex(24), AccessTokenExpiration: now.Add(s.opts.AccessTokenTTL).Unix()}
	s.grants[t.AccessToken] = &grant{MerchantID: mid, EmployeeID: eid, Expires: now.Add(s.opts.AccessTokenTTL)}
	iss.Access = append(iss.Access, t.AccessToken)
	if withRefresh {
		t.RefreshToken = randHex(24)
		t.RefreshTokenExpiration = now.Add(s.opts.RefreshTokenTTL).Unix()
		s.ext.refresh[t.RefreshToken] = &oauthRefresh{MerchantID: mid, EmployeeID: eid, Expires: now.Add(s.opts.RefreshTokenTTL),
			Access: t.AccessToken, Seq: s.nextRefreshSeqLocked(mid)}
		iss.Refresh = append(iss.Refresh, t.RefreshToken)
		s.capRefreshLocked(mid, now)
	}
	return t
}

// invalidateTripleLocked kills every token issued to (app, mid, eid).
func (s *Sim) invalidateTripleLocked(mid, eid string) {
	key := mid + "/" + eid
	if iss := s.ext.issued[key]; iss != nil {
		for _, a := range iss.Access {
			delete(s.grants, a)
		}
		for _, rt := range iss.Refresh {
			delete(s.ext.refresh, rt)
		}
		delete(s.ext.issued, key)
	}
}

// RevokeMerchant invalidates every access and refresh token of merchant mid,
// as an app uninstall or a permission change does, and sends the
// app-uninstall webhook ("A:<appId>" DELETE). It reports whether mid exists.
func (s *Sim) RevokeMerchant(mid string) bool {
	defer s.direct()()
	return s.revokeMerchant(mid)
}

func (s *Sim) revokeMerchant(mid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.merchants[mid]; !ok {
		return false
	}
	for tok, g := range s.grants {
		if g.MerchantID == mid {
			delete(s.grants, tok)
		}
	}
	for tok, rt := range s.ext.refresh {
		if rt.MerchantID == mid {
			delete(s.ext.refresh, tok)
		}
	}
	for code, c := range s.ext.codes {
		if c.MerchantID == mid {
			delete(s.ext.codes, code)
		}
	}
	for key := range s.ext.issued {
		if strings.HasPrefix(key, mid+"/") {
			delete(s.ext.issued, key)
		}
	}
	s.notify(mid, "A:"+s.app.ID, "DELETE")
	return true
}

func (s *Sim) revokeTokens(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MerchantID string `json:"merchant_id"`
	}
	if err := extDecode(r, &req); err != nil {
		writeAPIError(w, oauthBad(err.Error()))
		return
	}
	if !s.revokeMerchant(req.MerchantID) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "resource_missing", "Merchant with id "+req.MerchantID+" not found.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"revoked": true, "merchant_id": req.MerchantID})
}

// expireToken makes an access token expire now (for tests of refresh).
func (s *Sim) expireToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AccessToken string `json:"access_token"`
	}
	if err := extDecode(r, &req); err != nil {
		writeAPIError(w, oauthBad(err.Error()))
		return
	}
	s.mu.Lock()
	g := s.grants[req.AccessToken]
	if g != nil {
		g.Expires = s.nowLocked().Add(-time.Second)
	}
	s.mu.Unlock()
	if g == nil {
		writeError(w, http.StatusNotFound, "invalid_request_error", "resource_missing", "Access token not found.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"expired": true})
}

// oauthRedirect builds the consent callback URL, keeping c.RedirectURI's own
// query parameters.
func oauthRedirect(c *oauthCode, code, state string) string {
	u, _ := url.Parse(c.RedirectURI)
	q := u.Query()
	q.Set("merchant_id", c.MerchantID)
	q.Set("employee_id", c.EmployeeID)
	q.Set("client_id", c.ClientID)
	q.Set("code", code)
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
