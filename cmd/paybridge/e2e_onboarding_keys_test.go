package main

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
)

// TestOnboardingKeyAttacks forges, replays and misuses API keys against
// the running server: every one must get a 401 from whoami.
func TestOnboardingKeyAttacks(t *testing.T) {
	t.Parallel()
	o := startOnboarding(t)
	ctx := context.Background()
	mid, _, _ := o.m.Sim.AddMerchant("Keys Co")
	id, connectURL := o.integration("crm-keys", o.crm.URL+"/return")
	_, ho := o.handoff(id, o.connect(browser(t), connectURL, mid, ""))
	key := ho["api_key"].(string)
	merID := ho["merchant"].(map[string]any)["id"].(string)
	if st, _ := o.callAs(key, "GET", "/v1/auth/whoami", nil); st != 200 {
		t.Fatalf("genuine key = %d", st)
	}
	parts := strings.Split(key, ".")
	kid := o.m.Keyring.ActiveKID()
	pub, _ := o.m.Keyring.PublicKey(kid)
	claims := jwt.MapClaims{"merchant_id": merID, "integration_id": id, "iss": apikey.Issuer, "aud": apikey.Audience,
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(), "jti": "00000000-0000-4000-8000-000000000001"}

	// A copy of the server's keyring (same keys, own clock) signs keys the
	// server would accept but for the property under test.
	forger, err := apikey.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	if err := forger.Replace(o.m.Keyring.Export()); err != nil {
		t.Fatal(err)
	}
	forger.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	expired, err := forger.Issue(apikey.Claims{MerchantID: merID, IntegrationID: id}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := apikey.NewKeyring()
	unknownKid, _ := stranger.Issue(apikey.Claims{MerchantID: merID, IntegrationID: id}, time.Hour)

	none := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	none.Header["kid"] = kid
	algNone, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	hs.Header["kid"] = kid
	hsPub, _ := hs.SignedString([]byte(pub))
	// The genuine key's payload with merchant_id swapped, old signature.
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	swapped := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), merID, "mer_other", 1))) + "." + parts[2]

	// Revoked by jti.
	forger.Now = time.Now
	revokedKey, _ := forger.Issue(apikey.Claims{MerchantID: merID, IntegrationID: id, AppID: "other-app"}, time.Hour)
	rc, err := o.m.Keyring.Verify(revokedKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.m.DB.RecordAPIKey(ctx, &paybridge.APIKeyRecord{JTI: rc.ID, MerchantID: merID, AppID: "other-app",
		IntegrationID: id, ExpiresAt: rc.ExpiresAt.Time}); err != nil {
		t.Fatal(err)
	}
	if st, _ := o.callAs(revokedKey, "GET", "/v1/auth/whoami", nil); st != 200 {
		t.Fatalf("recorded key before revocation = %d, want 200", st)
	}
	if err := o.m.DB.RevokeAPIKey(ctx, rc.ID, time.Now()); err != nil {
		t.Fatal(err)
	}

	// Another integration's key: issued through an integration that is
	// bound to another merchant.
	otherMid, _, _ := o.m.Sim.AddMerchant("Other Co")
	otherID, otherURL := o.integration("crm-keys-2", o.crm.URL+"/return")
	_, ho2 := o.handoff(otherID, o.connect(browser(t), otherURL, otherMid, ""))
	if ho2["api_key"] == nil {
		t.Fatalf("second integration hand-off: %v", ho2)
	}
	crossKey, _ := forger.Issue(apikey.Claims{MerchantID: merID, IntegrationID: otherID, AppID: "x"}, time.Hour)
	cc, _ := o.m.Keyring.Verify(crossKey)
	if err := o.m.DB.RecordAPIKey(ctx, &paybridge.APIKeyRecord{JTI: cc.ID, MerchantID: merID, AppID: "x",
		IntegrationID: otherID, ExpiresAt: cc.ExpiresAt.Time}); err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct{ token, code string }{
		"alg none":                   {algNone, "invalid_api_key"},
		"HS256 with the public key":  {hsPub, "invalid_api_key"},
		"unknown kid":                {unknownKid, "invalid_api_key"},
		"expired":                    {expired, "api_key_expired"},
		"claims tampered":            {swapped, "invalid_api_key"},
		"revoked":                    {revokedKey, "api_key_revoked"},
		"another integration's key":  {crossKey, "api_key_revoked"},
		"truncated signature":        {key[:len(key)-4], "invalid_api_key"},
		"platform secret as api key": {o.secret, "invalid_api_key"},
	} {
		st, out := o.callAs(tc.token, "GET", "/v1/auth/whoami", nil)
		if st != 401 || out["code"] != tc.code {
			t.Errorf("%s: whoami = %d %v, want 401 %s", name, st, out, tc.code)
		}
	}

	// Unlink: every key of the integration stops at once; the next
	// merchant to connect binds it.
	if err := o.m.Onboarding.Unlink(ctx, id, "operator:test"); err != nil {
		t.Fatal(err)
	}
	if st, out := o.callAs(key, "GET", "/v1/auth/whoami", nil); st != 401 {
		t.Fatalf("key after unlink = %d %v, want 401", st, out)
	}
	newMid, _, _ := o.m.Sim.AddMerchant("New Owner")
	st, ho3 := o.handoff(id, o.connect(browser(t), connectURL, newMid, ""))
	if st != 200 || ho3["merchant"].(map[string]any)["clover_merchant_id"] != newMid {
		t.Fatalf("connect after unlink = %d %v", st, ho3)
	}
	if st, _ := o.callAs(ho3["api_key"].(string), "GET", "/v1/auth/whoami", nil); st != 200 {
		t.Fatalf("new owner's key = %d", st)
	}
	if st, _ := o.callAs(key, "GET", "/v1/auth/whoami", nil); st != 401 {
		t.Fatalf("old owner's key after rebinding = %d, want 401", st)
	}
}
