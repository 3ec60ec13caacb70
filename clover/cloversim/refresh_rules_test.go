package cloversim

import (
	"fmt"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

// TestRefreshTokenCap: past the cap on active refresh tokens per app and
// merchant (every employee's count), the oldest become invalid with a 400
// that says so; spent ones do not count; -1 lifts the cap.
func TestRefreshTokenCap(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, func(o *Options) { o.RefreshTokenCap = 2 })
	cid := e.sim.Options().ClientID
	refresh := func(rt string) (clover.OAuthToken, extResp) {
		var tok clover.OAuthToken
		r := e.do("POST", "/oauth/v2/refresh", map[string]string{"client_id": cid, "refresh_token": rt})
		if r.Status == 200 {
			r.decode(t, &tok)
		}
		return tok, r
	}
	var toks []clover.OAuthToken
	for i := range 3 {
		toks = append(toks, e.exchange(e.authorize(e.mid, fmt.Sprintf("EMPLOYEE0000%d", i), "", "").Get("code")))
	}
	if _, r := refresh(toks[0].RefreshToken); r.Status != 400 || r.code(t) == "" {
		t.Fatalf("the oldest of 3 with a cap of 2: %d %s", r.Status, r.Body)
	}
	// A refresh spends one and issues one: the count stays at the cap.
	next, r := refresh(toks[1].RefreshToken)
	if r.Status != 200 {
		t.Fatalf("refresh within the cap: %d %s", r.Status, r.Body)
	}
	if _, r := refresh(toks[2].RefreshToken); r.Status != 200 {
		t.Fatalf("the other active token after a rotation: %d %s", r.Status, r.Body)
	}
	if _, r := refresh(next.RefreshToken); r.Status != 200 {
		t.Fatalf("the rotated token: %d %s", r.Status, r.Body)
	}

	free := newExtEnv(t, func(o *Options) { o.RefreshTokenCap = -1 })
	var first clover.OAuthToken
	for i := range DefaultRefreshTokenCap + 2 {
		tok := free.exchange(free.authorize(free.mid, fmt.Sprintf("EMPLOYEE0000%d", i), "", "").Get("code"))
		if i == 0 {
			first = tok
		}
	}
	if r := free.do("POST", "/oauth/v2/refresh", map[string]string{"client_id": free.sim.Options().ClientID, "refresh_token": first.RefreshToken}); r.Status != 200 {
		t.Fatalf("no cap: the oldest refresh = %d %s", r.Status, r.Body)
	}
}

// TestRevokeAccessOnRefresh: with the switch, a refresh kills the access
// token issued with the spent refresh token (and no other); without it,
// both live until they expire (TestRefreshRotates). PUT /_sim/oauth sets it.
func TestRevokeAccessOnRefresh(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	e.must(e.do("PUT", "/_sim/oauth", map[string]any{"revoke_access_on_refresh": true}), 200, nil)
	first := e.exchange(e.authorize(e.mid, "EMPLOYEE00001", "", "").Get("code"))
	other := e.exchange(e.authorize(e.mid, "EMPLOYEE00002", "", "").Get("code"))
	var second clover.OAuthToken
	e.must(e.do("POST", "/oauth/v2/refresh", map[string]string{"client_id": e.sim.Options().ClientID, "refresh_token": first.RefreshToken}), 200, &second)
	if e.works(first.AccessToken) || !e.works(second.AccessToken) || !e.works(other.AccessToken) {
		t.Fatal("after a refresh: want the old access token dead, the new one and another employee's alive")
	}
	var rules RefreshRules
	e.must(e.do("GET", "/_sim/oauth", nil), 200, &rules)
	if !rules.RevokeAccessOnRefresh || rules.RefreshTokenCap != DefaultRefreshTokenCap {
		t.Fatalf("rules %+v", rules)
	}
}
