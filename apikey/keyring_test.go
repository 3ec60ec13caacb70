package apikey

import (
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/paybridge/paybridge"
)

func newTestKeyring(t *testing.T) (*Keyring, *time.Time) {
	t.Helper()
	kr, err := NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	kr.Now = func() time.Time { return now }
	return kr, &now
}

var testClaims = Claims{MerchantID: "mer_1", EmployeeID: "emp_1", AppID: "app_1", IntegrationID: "int_1"}

func TestIssueVerify(t *testing.T) {
	t.Parallel()
	kr, now := newTestKeyring(t)
	tok, err := kr.Issue(testClaims, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := kr.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.MerchantID != "mer_1" || c.EmployeeID != "emp_1" || c.AppID != "app_1" || c.IntegrationID != "int_1" {
		t.Errorf("claims = %+v", c)
	}
	if c.Issuer != Issuer || len(c.Audience) != 1 || c.Audience[0] != Audience {
		t.Errorf("iss/aud = %q/%v", c.Issuer, c.Audience)
	}
	if !c.ExpiresAt.Equal(now.Add(time.Hour)) || !c.IssuedAt.Equal(*now) {
		t.Errorf("iat/exp = %v/%v", c.IssuedAt, c.ExpiresAt)
	}
	if len(c.ID) != 36 || c.ID[14] != '4' {
		t.Errorf("jti %q is not a UUIDv4", c.ID)
	}
	// The JSON names are the documented ones, and kid is in the header.
	parts := strings.Split(tok, ".")
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if !strings.Contains(string(hdr), `"kid":"`+kr.ActiveKID()+`"`) || !strings.Contains(string(hdr), `"alg":"EdDSA"`) {
		t.Errorf("header = %s", hdr)
	}
	for _, name := range []string{`"merchant_id"`, `"employee_id"`, `"app_id"`, `"integration_id"`, `"jti"`} {
		if !strings.Contains(string(payload), name) {
			t.Errorf("payload %s lacks %s", payload, name)
		}
	}
	tok2, _ := kr.Issue(testClaims, time.Hour)
	c2, _ := kr.Verify(tok2)
	if c2.ID == c.ID {
		t.Error("two keys share a jti")
	}
}

func TestRotationAndRetire(t *testing.T) {
	t.Parallel()
	kr, _ := newTestKeyring(t)
	oldKID := kr.ActiveKID()
	oldTok, _ := kr.Issue(testClaims, time.Hour)
	newKID, err := kr.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if newKID == oldKID || kr.ActiveKID() != newKID {
		t.Fatalf("rotate: active %q, old %q, new %q", kr.ActiveKID(), oldKID, newKID)
	}
	newTok, _ := kr.Issue(testClaims, time.Hour)
	for name, tok := range map[string]string{"old": oldTok, "new": newTok} {
		if _, err := kr.Verify(tok); err != nil {
			t.Errorf("%s token after rotation: %v", name, err)
		}
	}
	if err := kr.Retire(newKID); err != ErrActiveKey {
		t.Errorf("retire active = %v, want ErrActiveKey", err)
	}
	if err := kr.Retire("k_nope"); err != ErrUnknownKey {
		t.Errorf("retire unknown = %v, want ErrUnknownKey", err)
	}
	if err := kr.Retire(oldKID); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Verify(oldTok); paybridge.ErrorCode(err) != "invalid_api_key" {
		t.Errorf("old token after retire: %v", err)
	}
	if _, err := kr.Verify(newTok); err != nil {
		t.Errorf("new token after retire: %v", err)
	}
}

// sign builds a token by hand with any method and key, for forgery tests.
func sign(t *testing.T, m jwt.SigningMethod, key any, kid string, c jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	kr, now := newTestKeyring(t)
	kid := kr.ActiveKID()
	good := func() *Claims {
		c := testClaims
		c.Issuer = Issuer
		c.Audience = jwt.ClaimStrings{Audience}
		c.IssuedAt = jwt.NewNumericDate(*now)
		c.ExpiresAt = jwt.NewNumericDate(now.Add(time.Hour))
		c.ID = "0b0f4c5e-5f4b-4c55-9e0e-8e4f6a0c2a11"
		return &c
	}
	priv := kr.keys[kid].priv
	pub := priv.Public().(ed25519.PublicKey)
	_, otherPriv, _ := ed25519.GenerateKey(nil)

	valid := sign(t, jwt.SigningMethodEdDSA, priv, kid, good())
	if _, err := kr.Verify(valid); err != nil {
		t.Fatalf("hand-made valid token refused: %v", err)
	}
	parts := strings.Split(valid, ".")
	sig := []byte(parts[2])
	sig[5] ^= 1
	tampered := parts[0] + "." + parts[1] + "." + string(sig)
	payloadSwap := parts[0] + "." + strings.Split(sign(t, jwt.SigningMethodEdDSA, priv, kid, func() *Claims { c := good(); c.MerchantID = "mer_2"; return c }()), ".")[1] + "." + parts[2]

	noneTok := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, good())
	hsTok := sign(t, jwt.SigningMethodHS256, []byte(pub), kid, good())

	cases := []struct {
		name, token, code string
	}{
		{"tampered signature", tampered, "invalid_api_key"},
		{"payload swapped", payloadSwap, "invalid_api_key"},
		{"alg none", noneTok, "invalid_api_key"},
		{"HS256 with the public key as secret", hsTok, "invalid_api_key"},
		{"other key", sign(t, jwt.SigningMethodEdDSA, otherPriv, kid, good()), "invalid_api_key"},
		{"unknown kid", sign(t, jwt.SigningMethodEdDSA, priv, "k_unknown", good()), "invalid_api_key"},
		{"no kid", sign(t, jwt.SigningMethodEdDSA, priv, "", good()), "invalid_api_key"},
		{"wrong aud", sign(t, jwt.SigningMethodEdDSA, priv, kid, func() *Claims { c := good(); c.Audience = jwt.ClaimStrings{"other"}; return c }()), "invalid_api_key"},
		{"no aud", sign(t, jwt.SigningMethodEdDSA, priv, kid, func() *Claims { c := good(); c.Audience = nil; return c }()), "invalid_api_key"},
		{"wrong iss", sign(t, jwt.SigningMethodEdDSA, priv, kid, func() *Claims { c := good(); c.Issuer = "evil"; return c }()), "invalid_api_key"},
		{"no exp", sign(t, jwt.SigningMethodEdDSA, priv, kid, func() *Claims { c := good(); c.ExpiresAt = nil; return c }()), "invalid_api_key"},
		{"expired", sign(t, jwt.SigningMethodEdDSA, priv, kid, func() *Claims { c := good(); c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Second)); return c }()), "api_key_expired"},
		{"issued in the future", sign(t, jwt.SigningMethodEdDSA, priv, kid, func() *Claims { c := good(); c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour)); return c }()), "invalid_api_key"},
		{"no jti", sign(t, jwt.SigningMethodEdDSA, priv, kid, func() *Claims { c := good(); c.ID = ""; return c }()), "invalid_api_key"},
		{"no merchant", sign(t, jwt.SigningMethodEdDSA, priv, kid, func() *Claims { c := good(); c.MerchantID = ""; return c }()), "invalid_api_key"},
		{"garbage", "not.a.jwt", "invalid_api_key"},
		{"empty", "", "invalid_api_key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := kr.Verify(tc.token)
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			if k := paybridge.ErrorKind(err); k != paybridge.EUNAUTHORIZED {
				t.Errorf("kind = %q", k)
			}
			if code := paybridge.ErrorCode(err); code != tc.code {
				t.Errorf("code = %q, want %q", code, tc.code)
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Error("error message contains the token")
			}
		})
	}
}

func TestExpiryFollowsClock(t *testing.T) {
	t.Parallel()
	kr, now := newTestKeyring(t)
	tok, _ := kr.Issue(testClaims, time.Minute)
	*now = now.Add(2 * time.Minute)
	if _, err := kr.Verify(tok); paybridge.ErrorCode(err) != "api_key_expired" {
		t.Errorf("after expiry: %v", err)
	}
}

func TestIssueRefusesBadInput(t *testing.T) {
	t.Parallel()
	kr, _ := newTestKeyring(t)
	if _, err := kr.Issue(testClaims, 0); err == nil {
		t.Error("ttl 0 accepted")
	}
	if _, err := kr.Issue(Claims{}, time.Hour); err == nil {
		t.Error("claims without merchant accepted")
	}
}

func TestLoadOrCreateSave(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	path := filepath.Join(dir, "keyring.json")
	kr, err := LoadOrCreateKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	tok, _ := kr.Issue(testClaims, time.Hour)
	if _, err := kr.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := kr.Save(path); err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.ActiveKID() != kr.ActiveKID() || len(again.KIDs()) != 2 {
		t.Errorf("reloaded active %q kids %v; want %q and 2 keys", again.ActiveKID(), again.KIDs(), kr.ActiveKID())
	}
	if _, err := again.Verify(tok); err != nil {
		t.Errorf("token signed before reload: %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"active":"k_x","keys":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKeyring(path); err == nil {
		t.Error("keyring without its active key loaded")
	}
}

// TestReplaceFollowsAnotherRing: a server's ring replaced with the shared
// ring's keys signs with its last key, keeps verifying the keys it still
// holds (tokens in the verified cache included) and stops verifying the
// ones it no longer holds; a malformed or empty list changes nothing.
func TestReplaceFollowsAnotherRing(t *testing.T) {
	t.Parallel()
	shared, _ := newTestKeyring(t)
	server, _ := newTestKeyring(t)
	oldKey, err := shared.Issue(Claims{MerchantID: "mer_a"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Replace(shared.Export()); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Verify(oldKey); err != nil { // now cached
		t.Fatalf("server does not verify the shared ring's key: %v", err)
	}
	oldKID := shared.ActiveKID()
	newKID, err := shared.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	exp := shared.Export()
	if len(exp) != 2 || exp[1].KID != newKID {
		t.Fatalf("Export %v does not end with the active key %s", exp, newKID)
	}
	if err := server.Replace(exp); err != nil {
		t.Fatal(err)
	}
	if server.ActiveKID() != newKID {
		t.Fatalf("active %s after Replace, want %s", server.ActiveKID(), newKID)
	}
	newKey, _ := server.Issue(Claims{MerchantID: "mer_a"}, time.Hour)
	if _, err := shared.Verify(newKey); err != nil {
		t.Fatalf("shared ring does not verify the server's new key: %v", err)
	}
	if err := shared.Retire(oldKID); err != nil {
		t.Fatal(err)
	}
	if err := server.Replace(shared.Export()); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Verify(oldKey); err == nil {
		t.Fatal("a token of a key gone from the ring still verifies (cache)")
	}
	if err := server.Replace(nil); err == nil {
		t.Fatal("Replace(nil) emptied the ring")
	}
	if err := server.Replace([]Seed{{KID: "k_bad", Seed: []byte("short")}}); err == nil {
		t.Fatal("Replace took a malformed seed")
	}
	if server.ActiveKID() != newKID {
		t.Fatalf("a refused Replace changed the ring: active %s", server.ActiveKID())
	}
}
