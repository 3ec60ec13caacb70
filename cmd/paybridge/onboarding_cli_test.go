package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/paybridge/paybridge/apikey"
)

// TestKeysWithoutRestart drives `paybridge keys` against the database of
// a running server, which is never restarted: rotate makes the new signing
// key active there within the reload interval while keys of the old one
// keep verifying; retire makes them fail there; the active key cannot be
// retired; revoke (by jti, by the whole key, or through the operator API)
// refuses one key on the next request while the merchant's other keys
// keep working, and a key's jti presented under another merchant's claims
// is refused.
func TestKeysWithoutRestart(t *testing.T) {
	t.Parallel()
	o := startOnboarding(t, func(c *Config) { c.KeyringReload = 20 * time.Millisecond })
	e := o.sbx
	dir := e.m.Config.DataDir
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append(args, "--data-dir", dir), &out, &errb)
		return code, strings.TrimSpace(out.String()), errb.String()
	}
	whoami := func(key string) int {
		t.Helper()
		st, _ := e.callAs(key, "GET", "/v1/auth/whoami", nil)
		return st
	}
	mer := e.m.Sandbox.MerchantID
	issue := func() string {
		t.Helper()
		code, key, stderr := cli("keys", "issue", "--merchant", mer)
		if code != 0 || whoami(key) != 200 {
			t.Fatalf("keys issue = %d %q %s", code, key, stderr)
		}
		return key
	}
	oldKID := e.m.Keyring.ActiveKID()
	oldKey := issue()

	code, newKID, stderr := cli("keys", "rotate")
	if code != 0 || !strings.HasPrefix(newKID, "k_") || newKID == oldKID {
		t.Fatalf("keys rotate = %d %q %s", code, newKID, stderr)
	}
	eventually(t, 10*time.Second, "the running server signs with the rotated key", func() bool {
		return e.m.Keyring.ActiveKID() == newKID
	})
	if code, out, _ := cli("keys", "list"); code != 0 || !strings.Contains(out, "* "+newKID) || !strings.Contains(out, oldKID) || strings.Contains(out, "* "+oldKID) {
		t.Fatalf("keys list = %d %q", code, out)
	}
	newKey := issue()
	if whoami(oldKey) != 200 {
		t.Fatal("a key of the rotated-out signing key stopped verifying before retirement")
	}
	if code, _, _ := cli("keys", "retire", "--kid", newKID); code == 0 {
		t.Fatal("retiring the active key succeeded")
	}
	if code, _, stderr := cli("keys", "retire", "--kid", oldKID); code != 0 {
		t.Fatalf("keys retire = %d %s", code, stderr)
	}
	eventually(t, 10*time.Second, "the running server refuses keys of the retired signing key", func() bool {
		return whoami(oldKey) == 401
	})
	if whoami(newKey) != 200 {
		t.Fatal("retiring the old signing key stopped a key of the new one")
	}

	// Revoke one key at a time; the merchant's other keys keep working.
	k1, k2, k3 := issue(), issue(), issue()
	_, who := e.callAs(k1, "GET", "/v1/auth/whoami", nil)
	if code, out, stderr := cli("keys", "revoke", who["key_id"].(string)); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("keys revoke JTI = %d %q %s", code, out, stderr)
	}
	if code, _, stderr := cli("keys", "revoke", k2); code != 0 {
		t.Fatalf("keys revoke API_KEY = %d %s", code, stderr)
	}
	if st, out := e.callAs(k1, "GET", "/v1/auth/whoami", nil); st != 401 || out["code"] != "api_key_revoked" {
		t.Fatalf("revoked key = %d %v", st, out)
	}
	if whoami(k2) != 401 || whoami(k3) != 200 || whoami(newKey) != 200 {
		t.Fatalf("after revoking k1 and k2: k2 %d, k3 %d, newKey %d", whoami(k2), whoami(k3), whoami(newKey))
	}
	_, who = e.callAs(k3, "GET", "/v1/auth/whoami", nil)
	if st, out := e.callAs(o.secret, "POST", "/v1/api-keys/"+who["key_id"].(string)+"/revoke", nil); st != 200 || out["revoked"] != true {
		t.Fatalf("operator revoke = %d %v", st, out)
	}
	if whoami(k3) != 401 || whoami(newKey) != 200 {
		t.Fatalf("after the operator's revoke: k3 %d, newKey %d", whoami(k3), whoami(newKey))
	}
	if st, out := e.callAs(o.secret, "POST", "/v1/api-keys/00000000-0000-4000-8000-000000000000/revoke", nil); st != 404 {
		t.Fatalf("operator revoke of an unknown jti = %d %v", st, out)
	}
	if st, _ := e.callAs(newKey, "POST", "/v1/api-keys/"+who["key_id"].(string)+"/revoke", nil); st != 401 {
		t.Fatalf("a merchant's API key used the operator's revoke: %d", st)
	}
	if code, _, _ := cli("keys", "revoke", "no-such-jti"); code != 1 {
		t.Fatalf("revoking an unknown jti exited %d, want 1", code)
	}

	// A recorded jti under another merchant's claims: signed by the ring,
	// but the record binds the jti to its own merchant.
	_, other := e.callAs(newKey, "GET", "/v1/auth/whoami", nil)
	forged, err := e.m.Keyring.Issue(apikey.Claims{MerchantID: "mer_someoneelse"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := e.m.Keyring.Verify(forged)
	if err != nil {
		t.Fatal(err)
	}
	if gone, err := e.m.revoked(context.Background(), &apikey.Claims{MerchantID: "mer_someoneelse", RegisteredClaims: jwt.RegisteredClaims{ID: other["key_id"].(string)}}); err != nil || !gone {
		t.Fatalf("a recorded jti under another merchant's claims: revoked %t, %v", gone, err)
	}
	if whoami(forged) != 401 || claims.ID == "" {
		t.Fatal("an unrecorded key was accepted")
	}
	if code, _, _ := cli("keys", "bogus"); code != 2 {
		t.Fatalf("unknown subcommand exit = %d, want 2", code)
	}
}

// TestIntegrationsUnlinkCommand unlinks through the CLI while the server
// runs on the same database: the integration's keys stop at once.
func TestIntegrationsUnlinkCommand(t *testing.T) {
	t.Parallel()
	o := startOnboarding(t)
	mid, _, _ := o.m.Sim.AddMerchant("Unlink Me")
	id, connectURL := o.integration("crm-unlink", o.crm.URL+"/return")
	_, ho := o.handoff(id, o.connect(browser(t), connectURL, mid, ""))
	key := ho["api_key"].(string)
	if st, _ := o.callAs(key, "GET", "/v1/auth/whoami", nil); st != 200 {
		t.Fatalf("whoami before unlink = %d", st)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"integrations", "unlink", "--id", id, "--data-dir", o.m.Config.DataDir}, &out, &errb); code != 0 {
		t.Fatalf("integrations unlink = %d: %s", code, errb.String())
	}
	if st, body := o.callAs(key, "GET", "/v1/auth/whoami", nil); st != 401 {
		t.Fatalf("whoami after unlink = %d %v, want 401", st, body)
	}
	var errb2 bytes.Buffer
	if code := run(context.Background(), []string{"integrations", "unlink", "--id", "00000000-0000-4000-8000-000000000000",
		"--data-dir", o.m.Config.DataDir}, &out, &errb2); code != 1 {
		t.Fatalf("unlink of an unknown integration = %d, want 1", code)
	}
}
