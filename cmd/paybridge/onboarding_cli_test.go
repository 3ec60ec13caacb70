package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/apikey"
)

// TestKeysRotateRetire drives `paybridge keys rotate|list|retire`: old keys
// verify until retired, then stop; the active key cannot be retired.
func TestKeysRotateRetire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	kr, err := apikey.LoadOrCreateKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	oldKID := kr.ActiveKID()
	oldKey, err := kr.Issue(apikey.Claims{MerchantID: "mer_1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(ctx, append(args, "--data-dir", dir), &out, &errb)
		return code, strings.TrimSpace(out.String()), errb.String()
	}
	code, newKID, stderr := cli("keys", "rotate")
	if code != 0 || !strings.HasPrefix(newKID, "k_") || newKID == oldKID {
		t.Fatalf("keys rotate = %d %q %s", code, newKID, stderr)
	}
	if code, out, _ := cli("keys", "list"); code != 0 || !strings.Contains(out, "* "+newKID) || !strings.Contains(out, oldKID) || strings.Contains(out, "* "+oldKID) {
		t.Fatalf("keys list = %d %q", code, out)
	}
	reloaded, err := apikey.LoadOrCreateKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reloaded.Verify(oldKey); err != nil {
		t.Fatalf("a key of the rotated-out signing key stopped verifying before retirement: %v", err)
	}
	if code, _, _ := cli("keys", "retire", "--kid", newKID); code == 0 {
		t.Fatal("retiring the active key succeeded")
	}
	if code, _, stderr := cli("keys", "retire", "--kid", oldKID); code != 0 {
		t.Fatalf("keys retire = %d %s", code, stderr)
	}
	reloaded, err = apikey.LoadOrCreateKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reloaded.Verify(oldKey); err == nil {
		t.Fatal("a key of a retired signing key still verifies")
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
