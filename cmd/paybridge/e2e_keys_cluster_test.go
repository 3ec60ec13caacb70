package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/loadtest"
)

// TestKeysAcrossInstances: three running instances on one PostgreSQL,
// none restarted. One of a merchant's keys revoked through instance 0 is
// refused by instances 1 and 2 on their next request while the merchant's
// other key works everywhere; a rotation made in the database is followed
// by every instance within the reload interval, and retiring the old
// signing key stops its keys on all three.
func TestKeysAcrossInstances(t *testing.T) {
	t.Parallel()
	dsn := postgresSchema(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cl, err := startCluster(ctx, clusterOptions{Instances: 3, DatabaseURL: dsn, Dir: t.TempDir(),
		Tweak: func(c *Config) { c.KeyringReload = 20 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	m0 := cl.Mains[0]
	mer := cl.Merchants[0]
	whoami := func(m *Main, key string) int {
		t.Helper()
		st, _, err := loadtest.NewAPI(m.URL, nil).Call(ctx, key, http.MethodGet, "/v1/auth/whoami", nil, nil)
		if st == 0 {
			t.Fatal(err)
		}
		return st // an error names a non-2xx answer
	}
	var claims *apikey.Claims
	if claims, err = m0.Keyring.Verify(mer.Key); err != nil {
		t.Fatal(err)
	}
	second, err := issueKey(ctx, cl.Mains[1].Keyring, cl.Mains[1].DB, apikey.Claims{MerchantID: claims.MerchantID, AppID: claims.AppID}, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range cl.Mains {
		if whoami(m, mer.Key) != 200 || whoami(m, second) != 200 {
			t.Fatalf("instance %d refuses a live key", i)
		}
	}
	st, _, err := loadtest.NewAPI(m0.URL, nil).Call(ctx, m0.Config.PlatformSecret, http.MethodPost, "/v1/api-keys/"+claims.ID+"/revoke", nil, nil)
	if err != nil || st != 200 {
		t.Fatalf("revoke through instance 0 = %d %v", st, err)
	}
	for i, m := range cl.Mains {
		if got := whoami(m, mer.Key); got != 401 {
			t.Errorf("instance %d: the revoked key = %d, want 401", i, got)
		}
		if got := whoami(m, second); got != 200 {
			t.Errorf("instance %d: the merchant's other key = %d, want 200", i, got)
		}
	}

	oldKID := m0.Keyring.ActiveKID()
	newKID, err := rotateKeyring(ctx, m0.DB, m0.Sealer)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range cl.Mains {
		eventually(t, 10*time.Second, "instance follows the rotation", func() bool { return m.Keyring.ActiveKID() == newKID })
		if whoami(m, second) != 200 {
			t.Errorf("instance %d: a key of the rotated-out signing key stopped before retirement", i)
		}
	}
	third, err := issueKey(ctx, cl.Mains[2].Keyring, cl.Mains[2].DB, apikey.Claims{MerchantID: claims.MerchantID, AppID: claims.AppID}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := m0.DB.RetireSigningKey(ctx, oldKID, time.Now()); err != nil {
		t.Fatal(err)
	}
	for i, m := range cl.Mains {
		eventually(t, 10*time.Second, "instance refuses keys of the retired signing key", func() bool { return whoami(m, second) == 401 })
		if got := whoami(m, third); got != 200 {
			t.Errorf("instance %d: a key of the new signing key = %d", i, got)
		}
	}
}
