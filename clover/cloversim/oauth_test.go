package cloversim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

const oauthRedirectURI = "https://crm.example/oauth/callback?tenant=7"

// authorize runs the consent form for merchant mid and returns the callback
// URL's query.
func (e *extEnv) authorize(mid, employee, challenge, state string) url.Values {
	e.t.Helper()
	q := url.Values{"client_id": {e.sim.Options().ClientID}, "redirect_uri": {oauthRedirectURI}, "state": {state}}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	form := url.Values{"merchant_id": {mid}}
	if employee != "" {
		form.Set("employee_id", employee)
	}
	r := e.do("POST", "/oauth/v2/authorize?"+q.Encode(), form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if r.Status != http.StatusFound {
		e.t.Fatalf("authorize: status %d: %s", r.Status, r.Body)
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return loc.Query()
}

// exchange trades a code with the client secret.
func (e *extEnv) exchange(code string) clover.OAuthToken {
	e.t.Helper()
	var tok clover.OAuthToken
	e.must(e.do("POST", "/oauth/v2/token", map[string]string{
		"client_id": e.sim.Options().ClientID, "client_secret": e.sim.Options().ClientSecret, "code": code}), 200, &tok)
	return tok
}

// works reports whether an access token is accepted by the API.
func (e *extEnv) works(access string) bool {
	e.t.Helper()
	r := e.do("GET", "/pakms/apikey", nil, "Authorization", "Bearer "+access)
	if r.Status != 200 && r.Status != 401 {
		e.t.Fatalf("pakms: unexpected status %d: %s", r.Status, r.Body)
	}
	return r.Status == 200
}

func pkce(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestAuthorizePage(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	q := url.Values{"client_id": {e.sim.Options().ClientID}, "redirect_uri": {oauthRedirectURI}, "merchant_id": {e.mid}}
	r := e.do("GET", "/oauth/v2/authorize?"+q.Encode(), nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d type %q", r.Status, r.Header.Get("Content-Type"))
	}
	page := string(r.Body)
	for _, want := range []string{"Sandbox Plumbing Co.", `value="` + e.mid + `" checked`, `<form method="post">`, "Sandbox App " + e.sim.Options().AppID} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "src=") {
		t.Error("consent page loads a script or an external asset")
	}
	for name, bad := range map[string]url.Values{
		"unknown client":  {"client_id": {"NOPE"}, "redirect_uri": {oauthRedirectURI}},
		"no redirect":     {"client_id": {e.sim.Options().ClientID}},
		"plain challenge": {"client_id": {e.sim.Options().ClientID}, "redirect_uri": {oauthRedirectURI}, "code_challenge": {pkce("v")}, "code_challenge_method": {"plain"}},
		"bad challenge":   {"client_id": {e.sim.Options().ClientID}, "redirect_uri": {oauthRedirectURI}, "code_challenge": {"short"}},
	} {
		if r := e.do("GET", "/oauth/v2/authorize?"+bad.Encode(), nil); r.Status != 400 {
			t.Errorf("%s: status %d, want 400", name, r.Status)
		}
	}
}

func TestAuthorizeRedirectsWithCodeAndState(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	cb := e.authorize(e.mid, "", "", "st-123")
	for _, k := range []string{"merchant_id", "employee_id", "client_id", "code", "state", "tenant"} {
		if cb.Get(k) == "" {
			t.Errorf("callback lacks %s: %v", k, cb)
		}
	}
	if cb.Get("state") != "st-123" || cb.Get("merchant_id") != e.mid || cb.Get("client_id") != e.sim.Options().ClientID || cb.Get("tenant") != "7" {
		t.Errorf("callback = %v", cb)
	}
	// An unknown merchant is refused on the page, not redirected.
	q := url.Values{"client_id": {e.sim.Options().ClientID}, "redirect_uri": {oauthRedirectURI}}
	r := e.do("POST", "/oauth/v2/authorize?"+q.Encode(), "merchant_id=NOPE", "Content-Type", "application/x-www-form-urlencoded")
	if r.Status != 400 {
		t.Errorf("unknown merchant: status %d", r.Status)
	}
	// A cross-site form post (CSRF) never issues a code.
	r = e.do("POST", "/oauth/v2/authorize?"+q.Encode(), "merchant_id="+e.mid, "Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "cross-site")
	if r.Status != 403 || r.Header.Get("Location") != "" {
		t.Errorf("cross-site post: status %d", r.Status)
	}
}

func TestTokenExchangeWithSecret(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	code := e.authorize(e.mid, "", "", "s").Get("code")
	opts := e.sim.Options()
	if r := e.do("POST", "/oauth/v2/token", map[string]string{"client_id": opts.ClientID, "client_secret": "wrong", "code": code}); r.Status != 401 {
		t.Fatalf("wrong secret: status %d", r.Status)
	}
	tok := e.exchange(code)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	if tok.AccessTokenExpiration != now.Add(time.Hour).Unix() || tok.RefreshTokenExpiration != now.Add(365*24*time.Hour).Unix() {
		t.Errorf("expirations %d %d are not Unix seconds of now+TTL", tok.AccessTokenExpiration, tok.RefreshTokenExpiration)
	}
	if tok.RefreshToken == "" || !e.works(tok.AccessToken) {
		t.Fatalf("token %+v does not work", tok)
	}
	r := e.do("POST", "/oauth/v2/token", map[string]string{"client_id": opts.ClientID, "client_secret": opts.ClientSecret, "code": code})
	if r.Status != 400 || r.code(t) != "invalid_request" {
		t.Errorf("code reuse: status %d %s", r.Status, r.Body)
	}
	// The access token expires with the test clock.
	e.sim.AdvanceClock(time.Hour)
	if e.works(tok.AccessToken) {
		t.Error("access token works after its expiry")
	}
}

func TestTokenExchangeNoRefreshToken(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	code := e.authorize(e.mid, "", "", "").Get("code")
	r := e.do("POST", "/oauth/v2/token?no_refresh_token=true", map[string]string{
		"client_id": e.sim.Options().ClientID, "client_secret": e.sim.Options().ClientSecret, "code": code})
	var raw map[string]any
	e.must(r, 200, &raw)
	if _, ok := raw["refresh_token"]; ok {
		t.Errorf("refresh_token present: %s", r.Body)
	}
}

func TestTokenExchangePKCE(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	verifier := strings.Repeat("v3rifier-", 6)
	code := e.authorize(e.mid, "", pkce(verifier), "s").Get("code")
	cid := e.sim.Options().ClientID
	for name, body := range map[string]map[string]string{
		"no verifier":    {"client_id": cid, "code": code},
		"wrong verifier": {"client_id": cid, "code": code, "code_verifier": verifier + "x"},
	} {
		if r := e.do("POST", "/oauth/v2/token", body); r.Status != 400 {
			t.Errorf("%s: status %d %s", name, r.Status, r.Body)
		}
	}
	var tok clover.OAuthToken
	e.must(e.do("POST", "/oauth/v2/token", map[string]string{"client_id": cid, "code": code, "code_verifier": verifier}), 200, &tok)
	if !e.works(tok.AccessToken) {
		t.Error("PKCE token does not work")
	}
	// Without a challenge and without a secret nothing proves the client.
	code2 := e.authorize(e.mid, "", "", "s").Get("code")
	if r := e.do("POST", "/oauth/v2/token", map[string]string{"client_id": cid, "code": code2}); r.Status != 401 {
		t.Errorf("no proof: status %d", r.Status)
	}
}

func TestCodeExpires(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	code := e.authorize(e.mid, "", "", "").Get("code")
	e.sim.AdvanceClock(10*time.Minute + time.Second)
	r := e.do("POST", "/oauth/v2/token", map[string]string{"client_id": e.sim.Options().ClientID, "client_secret": e.sim.Options().ClientSecret, "code": code})
	if r.Status != 400 || !strings.Contains(string(r.Body), "expired") {
		t.Errorf("expired code: status %d %s", r.Status, r.Body)
	}
}

func TestRefreshRotates(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	first := e.exchange(e.authorize(e.mid, "", "", "").Get("code"))
	cid := e.sim.Options().ClientID
	var second clover.OAuthToken
	e.must(e.do("POST", "/oauth/v2/refresh", map[string]string{"client_id": cid, "refresh_token": first.RefreshToken}), 200, &second)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken || second.RefreshToken == "" {
		t.Fatalf("refresh did not rotate: %+v", second)
	}
	if r := e.do("POST", "/oauth/v2/refresh", map[string]string{"client_id": cid, "refresh_token": first.RefreshToken}); r.Status != 400 {
		t.Errorf("used refresh token: status %d %s", r.Status, r.Body)
	}
	if r := e.do("POST", "/oauth/v2/refresh", map[string]string{"client_id": cid, "refresh_token": "nope"}); r.Status != 401 {
		t.Errorf("unknown refresh token: status %d", r.Status)
	}
	if r := e.do("POST", "/oauth/v2/refresh", map[string]string{"client_id": "NOPE", "refresh_token": second.RefreshToken}); r.Status != 401 {
		t.Errorf("wrong client: status %d", r.Status)
	}
	// Chosen behaviour: the old access token lives until its own expiry.
	if !e.works(first.AccessToken) || !e.works(second.AccessToken) {
		t.Error("access tokens should both work until expiry")
	}
}

func TestReauthorizationInvalidatesTriple(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	const emp, other = "EMPLOYEE00001", "EMPLOYEE00002"
	old := e.exchange(e.authorize(e.mid, emp, "", "").Get("code"))
	keep := e.exchange(e.authorize(e.mid, other, "", "").Get("code"))
	fresh := e.exchange(e.authorize(e.mid, emp, "", "").Get("code"))
	if e.works(old.AccessToken) {
		t.Error("old access token of the triple still works")
	}
	if r := e.do("POST", "/oauth/v2/refresh", map[string]string{"client_id": e.sim.Options().ClientID, "refresh_token": old.RefreshToken}); r.Status == 200 {
		t.Error("old refresh token of the triple still works")
	}
	if !e.works(fresh.AccessToken) || !e.works(keep.AccessToken) {
		t.Error("the new token, or another employee's token, stopped working")
	}
}

func TestRevokeMerchant(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, func(o *Options) {})
	e.must(e.do("PUT", "/_sim/webhooks", map[string]string{"url": e.hooks.srv.URL}), 200, nil)
	tok := e.exchange(e.authorize(e.mid, "", "", "").Get("code"))
	e.must(e.do("POST", "/_sim/tokens/revoke", map[string]string{"merchant_id": e.mid}), 200, nil)
	if e.works(tok.AccessToken) || e.works(e.token) {
		t.Error("tokens work after revoke")
	}
	if r := e.do("POST", "/oauth/v2/refresh", map[string]string{"client_id": e.sim.Options().ClientID, "refresh_token": tok.RefreshToken}); r.Status != 401 {
		t.Errorf("refresh after revoke: status %d", r.Status)
	}
	h := e.hooks.next(t)
	var p clover.WebhookPayload
	if err := json.Unmarshal(h.Body, &p); err != nil {
		t.Fatal(err)
	}
	evs := p.Merchants[e.mid]
	if len(evs) != 1 || evs[0].ObjectID != "A:"+e.sim.Options().AppID || evs[0].Type != "DELETE" {
		t.Errorf("uninstall webhook = %s", h.Body)
	}
	if r := e.do("POST", "/_sim/tokens/revoke", map[string]string{"merchant_id": "NOPE"}); r.Status != 404 {
		t.Errorf("unknown merchant: status %d", r.Status)
	}
}

func TestExpireToken(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	tok := e.exchange(e.authorize(e.mid, "", "", "").Get("code"))
	e.must(e.do("POST", "/_sim/tokens/expire", map[string]string{"access_token": tok.AccessToken}), 200, nil)
	if e.works(tok.AccessToken) {
		t.Error("expired token works")
	}
	var next clover.OAuthToken
	e.must(e.do("POST", "/oauth/v2/refresh", map[string]string{"client_id": e.sim.Options().ClientID, "refresh_token": tok.RefreshToken}), 200, &next)
	if !e.works(next.AccessToken) {
		t.Error("refreshed token does not work")
	}
	if r := e.do("POST", "/_sim/tokens/expire", map[string]string{"access_token": "nope"}); r.Status != 404 {
		t.Errorf("unknown token: status %d", r.Status)
	}
}
