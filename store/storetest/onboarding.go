package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paybridge/paybridge"
)

// OnboardingStore is a store with the onboarding tables and the API-key
// signing ring.
type OnboardingStore interface {
	paybridge.Store
	paybridge.OnboardingStore
	paybridge.SigningKeyStore
}

// RunOnboarding runs the onboarding conformance suite; open returns a
// fresh, migrated, empty store per subtest.
func RunOnboarding(t *testing.T, open func(t *testing.T) OnboardingStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s OnboardingStore)
	}{
		{"Integrations", testIntegrations},
		{"ConnectStateSingleUse", testConnectStateSingleUse},
		{"ConnectBindsOnce", testConnectBindsOnce},
		{"HandoffAndKeys", testHandoffAndKeys},
		{"TokenRefreshCAS", testTokenRefreshCAS},
		{"SigningKeys", testSigningKeys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

func newIntegration(t *testing.T, s OnboardingStore, key string) *paybridge.Integration {
	t.Helper()
	it, created, err := s.FindOrCreateIntegration(context.Background(), &paybridge.Integration{ID: uuid.NewString(),
		Type: "fieldpro", ExternalKey: key, ReturnURL: "https://crm.example/return"})
	ok(t, err)
	if !created {
		t.Fatalf("integration %s was not created", key)
	}
	return it
}

// connection is a Connect of m (new or existing) through integration.
func connection(m *paybridge.Merchant, integrationID, codeHash string) *paybridge.Connection {
	return &paybridge.Connection{Merchant: m, SealedCreds: []byte("sealed:" + codeHash), IntegrationID: integrationID,
		AccessExpires: t0.Add(time.Hour), RefreshExpires: t0.Add(365 * 24 * time.Hour),
		Handoff: &paybridge.Handoff{CodeHash: codeHash, EmployeeID: "EMP0000000001", AppID: "APP", ExpiresAt: t0.Add(5 * time.Minute)}}
}

func freshMerchant() *paybridge.Merchant {
	id := paybridge.NewID(paybridge.PrefixMerchant)
	return &paybridge.Merchant{ID: id, CloverMerchantID: "CM" + id[4:15], Name: "Shop", Currency: "usd", PAKMSKey: "pk"}
}

func testIntegrations(t *testing.T, s OnboardingStore) {
	ctx := context.Background()
	it := newIntegration(t, s, "crm-1")
	again, created, err := s.FindOrCreateIntegration(ctx, &paybridge.Integration{ID: uuid.NewString(), Type: "fieldpro",
		ExternalKey: "crm-1", ReturnURL: "https://crm.example/new"})
	ok(t, err)
	if created || again.ID != it.ID || again.ReturnURL != "https://crm.example/new" {
		t.Fatalf("find-or-create again = %+v created %t, want %s with the new return URL", again, created, it.ID)
	}
	got, err := s.GetIntegration(ctx, it.ID)
	ok(t, err)
	if got.ReturnURL != "https://crm.example/new" || got.MerchantID != "" || got.UnlinkedAt != nil {
		t.Fatalf("GetIntegration = %+v", got)
	}
	_, err = s.GetIntegration(ctx, uuid.NewString())
	wantErr(t, err, paybridge.ENOTFOUND, "")
	wantErr(t, s.UnlinkIntegration(ctx, uuid.NewString(), t0), paybridge.ENOTFOUND, "")

	// Concurrent find-or-create converges on one row.
	var wg sync.WaitGroup
	ids := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			it, _, err := s.FindOrCreateIntegration(ctx, &paybridge.Integration{ID: uuid.NewString(), Type: "fieldpro",
				ExternalKey: "crm-race", ReturnURL: "https://crm.example/r"})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- it.ID
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	if len(seen) != 1 {
		t.Fatalf("concurrent find-or-create made %d integrations", len(seen))
	}
}

func testConnectStateSingleUse(t *testing.T, s OnboardingStore) {
	ctx := context.Background()
	it := newIntegration(t, s, "crm-state")
	ok(t, s.CreateConnectState(ctx, &paybridge.ConnectState{StateHash: "h1", IntegrationID: it.ID,
		SealedVerifier: []byte{0, 1, 0xff}, CRMState: "abc", ExpiresAt: t0.Add(time.Minute)}))
	ok(t, s.CreateConnectState(ctx, &paybridge.ConnectState{StateHash: "h2", IntegrationID: it.ID, ExpiresAt: t0.Add(time.Minute)}))
	got, err := s.ConsumeConnectState(ctx, "h1", t0)
	ok(t, err)
	if got.IntegrationID != it.ID || got.CRMState != "abc" || !bytes.Equal(got.SealedVerifier, []byte{0, 1, 0xff}) {
		t.Fatalf("consumed state = %+v", got)
	}
	_, err = s.ConsumeConnectState(ctx, "h1", t0)
	wantErr(t, err, paybridge.ENOTFOUND, "")
	_, err = s.ConsumeConnectState(ctx, "h2", t0.Add(time.Minute))
	wantErr(t, err, paybridge.EINVALID, "state_expired")
	_, err = s.ConsumeConnectState(ctx, "h2", t0)
	wantErr(t, err, paybridge.ENOTFOUND, "") // an expired state is gone too

	// Two callbacks racing on one state: exactly one wins.
	ok(t, s.CreateConnectState(ctx, &paybridge.ConnectState{StateHash: "h3", IntegrationID: it.ID, ExpiresAt: t0.Add(time.Minute)}))
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 6 {
		wg.Go(func() {
			if _, err := s.ConsumeConnectState(ctx, "h3", t0); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d callbacks consumed one state", wins)
	}
	ok(t, s.CreateConnectState(ctx, &paybridge.ConnectState{StateHash: "old", IntegrationID: it.ID, ExpiresAt: t0}))
	n, err := s.PurgeOnboarding(ctx, t0.Add(time.Second))
	ok(t, err)
	if n != 1 {
		t.Fatalf("purged %d, want 1", n)
	}
}

func testConnectBindsOnce(t *testing.T, s OnboardingStore) {
	ctx := context.Background()
	it := newIntegration(t, s, "crm-bind")
	a := freshMerchant()
	ok(t, s.Connect(ctx, connection(a, it.ID, "c1"), t0))
	got, err := s.GetMerchant(ctx, a.ID)
	ok(t, err)
	if got.Status != paybridge.MerchantActive || got.Name != "Shop" {
		t.Fatalf("connected merchant = %+v", got)
	}
	// The same merchant reconnects: fine; status returns to active.
	ok(t, s.SetMerchantStatus(ctx, a.ID, paybridge.MerchantReauthorizationRequired))
	ok(t, s.Connect(ctx, connection(got, it.ID, "c2"), t0))
	if got, _ := s.GetMerchant(ctx, a.ID); got.Status != paybridge.MerchantActive {
		t.Fatalf("reconnect left status %s", got.Status)
	}
	// Another merchant: refused, nothing written.
	b := freshMerchant()
	wantErr(t, s.Connect(ctx, connection(b, it.ID, "c3"), t0), paybridge.ECONFLICT, "integration_bound_elsewhere")
	_, err = s.GetMerchant(ctx, b.ID)
	wantErr(t, err, paybridge.ENOTFOUND, "")
	_, err = s.RedeemHandoff(ctx, it.ID, "c3", t0)
	wantErr(t, err, paybridge.ENOTFOUND, "")
	// After unlink the next merchant binds.
	ok(t, s.UnlinkIntegration(ctx, it.ID, t0))
	ok(t, s.Connect(ctx, connection(b, it.ID, "c4"), t0))
	if got, _ := s.GetIntegration(ctx, it.ID); got.MerchantID != b.ID || got.UnlinkedAt == nil {
		t.Fatalf("after unlink and connect: %+v", got)
	}
	// Two first connects racing: exactly one binds.
	it2 := newIntegration(t, s, "crm-bind-race")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 4 {
		wg.Go(func() {
			m := freshMerchant()
			if err := s.Connect(ctx, connection(m, it2.ID, "race"+string(rune('a'+i))), t0); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if paybridge.ErrorCode(err) != "integration_bound_elsewhere" {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d merchants bound one integration", wins)
	}
}

func testHandoffAndKeys(t *testing.T, s OnboardingStore) {
	ctx := context.Background()
	it := newIntegration(t, s, "crm-keys")
	m := freshMerchant()
	ok(t, s.Connect(ctx, connection(m, it.ID, "code1"), t0))
	_, err := s.RedeemHandoff(ctx, uuid.NewString(), "code1", t0)
	wantErr(t, err, paybridge.ENOTFOUND, "")
	h, err := s.RedeemHandoff(ctx, it.ID, "code1", t0)
	ok(t, err)
	if h.MerchantID != m.ID || h.EmployeeID != "EMP0000000001" || h.AppID != "APP" || h.IntegrationID != it.ID {
		t.Fatalf("hand-off = %+v", h)
	}
	_, err = s.RedeemHandoff(ctx, it.ID, "code1", t0)
	wantErr(t, err, paybridge.ENOTFOUND, "")

	key := func(jti string) *paybridge.APIKeyRecord {
		return &paybridge.APIKeyRecord{JTI: jti, MerchantID: m.ID, EmployeeID: "EMP0000000001", AppID: "APP",
			IntegrationID: it.ID, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	}
	revoked := func(jti string) bool {
		t.Helper()
		r, err := s.APIKeyRevoked(ctx, jti, m.ID, it.ID)
		ok(t, err)
		return r
	}
	ok(t, s.RecordAPIKey(ctx, key("j1")))
	if revoked("j1") {
		t.Fatal("a live key reads as revoked")
	}
	// A signed token whose claims name another merchant or integration
	// than its jti's record is refused: the record binds the key.
	other := freshMerchant()
	for name, claims := range map[string][2]string{"merchant": {other.ID, it.ID}, "integration": {m.ID, "other-integration"}, "none": {m.ID, ""}} {
		if r, err := s.APIKeyRevoked(ctx, "j1", claims[0], claims[1]); err != nil || !r {
			t.Fatalf("j1 presented with another %s: revoked %t, %v", name, r, err)
		}
	}
	if !revoked("never-recorded") {
		t.Fatal("an unrecorded key is accepted: it could never be revoked")
	}
	ok(t, s.RecordAPIKey(ctx, key("j2"))) // same triple: j1 revoked at once
	if !revoked("j1") || revoked("j2") {
		t.Fatalf("after a second key of the triple: j1 revoked %t, j2 revoked %t", revoked("j1"), revoked("j2"))
	}
	standalone := key("js")
	standalone.Standalone = true // an operator's key: leaves the triple's others alone
	ok(t, s.RecordAPIKey(ctx, standalone))
	if revoked("j2") || revoked("js") {
		t.Fatalf("a standalone key revoked others: j2 %t, js %t", revoked("j2"), revoked("js"))
	}
	// A new connect of the triple revokes j2 and drops its pending hand-off.
	ok(t, s.Connect(ctx, connection(m, it.ID, "code2"), t0))
	ok(t, s.Connect(ctx, connection(m, it.ID, "code3"), t0))
	if !revoked("j2") {
		t.Fatal("a new connect did not revoke the triple's key")
	}
	_, err = s.RedeemHandoff(ctx, it.ID, "code2", t0)
	wantErr(t, err, paybridge.ENOTFOUND, "")
	_, err = s.RedeemHandoff(ctx, it.ID, "code3", t0.Add(5*time.Minute))
	wantErr(t, err, paybridge.EINVALID, "handoff_expired")

	ok(t, s.RecordAPIKey(ctx, key("j3")))
	ok(t, s.RevokeAPIKey(ctx, "j3", t0))
	if !revoked("j3") {
		t.Fatal("RevokeAPIKey did not revoke")
	}
	wantErr(t, s.RevokeAPIKey(ctx, "nope", t0), paybridge.ENOTFOUND, "")
	ok(t, s.RecordAPIKey(ctx, key("j4")))
	ok(t, s.UnlinkIntegration(ctx, it.ID, t0))
	if !revoked("j4") {
		t.Fatal("unlink did not revoke the integration's key")
	}
}

func testTokenRefreshCAS(t *testing.T, s OnboardingStore) {
	ctx := context.Background()
	it := newIntegration(t, s, "crm-refresh")
	m := freshMerchant()
	c := connection(m, it.ID, "rc")
	ok(t, s.Connect(ctx, c, t0))
	due, err := s.DueTokenRefreshes(ctx, t0.Add(2*time.Hour), t0, 10)
	ok(t, err)
	if len(due) != 1 || due[0].MerchantID != m.ID || !due[0].AccessExpires.Equal(t0.Add(time.Hour)) {
		t.Fatalf("due = %+v", due)
	}
	if due, _ := s.DueTokenRefreshes(ctx, t0.Add(30*time.Minute), t0, 10); len(due) != 0 {
		t.Fatalf("not-yet-due merchant listed: %+v", due)
	}
	won, err := s.BeginTokenRefresh(ctx, m.ID, "fp1", []byte("stale creds"), t0.Add(time.Minute), t0)
	ok(t, err)
	if won {
		t.Fatal("began a refresh on credentials that changed since read")
	}
	// Racing runners: exactly one begins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 6 {
		wg.Go(func() {
			w, err := s.BeginTokenRefresh(ctx, m.ID, "fp1", c.SealedCreds, t0.Add(time.Minute), t0)
			if err != nil {
				t.Error(err)
			}
			if w {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d runners began one refresh", wins)
	}
	if due, _ := s.DueTokenRefreshes(ctx, t0.Add(2*time.Hour), t0, 10); len(due) != 0 {
		t.Fatal("a merchant with a refresh in flight is listed as due")
	}
	if stale, _ := s.StaleTokenRefreshes(ctx, t0, 10); len(stale) != 0 {
		t.Fatal("a live lease is listed as stale")
	}
	stale, err := s.StaleTokenRefreshes(ctx, t0.Add(2*time.Minute), 10)
	ok(t, err)
	if len(stale) != 1 || stale[0].InflightFP != "fp1" {
		t.Fatalf("stale = %+v", stale)
	}
	wantErr(t, s.CompleteTokenRefresh(ctx, m.ID, "other", []byte("x"), t0, t0, t0), paybridge.ECONFLICT, "stale_state")
	ok(t, s.CompleteTokenRefresh(ctx, m.ID, "fp1", []byte("new sealed"), t0.Add(3*time.Hour), t0.Add(time.Hour*9000), t0))
	creds, err := s.MerchantCredentials(ctx, m.ID)
	ok(t, err)
	u, err := s.TokenUpkeep(ctx, m.ID)
	ok(t, err)
	if string(creds) != "new sealed" || u.InflightFP != "" || !u.AccessExpires.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("after complete: creds %q upkeep %+v", creds, u)
	}
	// Abandon frees the merchant for another try; Fail records the reason.
	won, err = s.BeginTokenRefresh(ctx, m.ID, "fp2", creds, t0.Add(time.Minute), t0)
	ok(t, err)
	if !won {
		t.Fatal("could not begin after a completed refresh")
	}
	ok(t, s.AbandonTokenRefresh(ctx, m.ID, "fp2", "not sent", t0))
	won, _ = s.BeginTokenRefresh(ctx, m.ID, "fp2", creds, t0.Add(time.Minute), t0)
	if !won {
		t.Fatal("could not begin after an abandoned refresh")
	}
	ok(t, s.FailTokenRefresh(ctx, m.ID, "fp2", "refused", t0))
	wantErr(t, s.FailTokenRefresh(ctx, m.ID, "fp2", "again", t0), paybridge.ECONFLICT, "stale_state")
	if u, _ := s.TokenUpkeep(ctx, m.ID); u.LastError != "refused" {
		t.Fatalf("last error = %q", u.LastError)
	}
	// A merchant that must reauthorize is never due.
	ok(t, s.SetMerchantStatus(ctx, m.ID, paybridge.MerchantReauthorizationRequired))
	if due, _ := s.DueTokenRefreshes(ctx, t0.Add(10*time.Hour), t0, 10); len(due) != 0 {
		t.Fatal("a merchant awaiting reauthorization is listed as due")
	}
	_, err = s.TokenUpkeep(ctx, paybridge.NewID(paybridge.PrefixMerchant))
	wantErr(t, err, paybridge.ENOTFOUND, "")
}

// testSigningKeys: the ring lists live keys oldest first (the last is the
// active one), refuses a second key of one kid, and retires any key but the
// active one.
func testSigningKeys(t *testing.T, s OnboardingStore) {
	ctx := context.Background()
	keys, err := s.SigningKeys(ctx)
	ok(t, err)
	if len(keys) != 0 {
		t.Fatalf("fresh store has %d signing keys", len(keys))
	}
	for i, kid := range []string{"k_b", "k_a", "k_c"} {
		ok(t, s.AddSigningKey(ctx, &paybridge.SigningKey{KID: kid, SealedSeed: []byte("sealed " + kid), CreatedAt: t0.Add(time.Duration(i) * time.Second)}))
	}
	wantErr(t, s.AddSigningKey(ctx, &paybridge.SigningKey{KID: "k_a", SealedSeed: []byte("x"), CreatedAt: t0}), paybridge.ECONFLICT, "")
	kids := func() string {
		t.Helper()
		keys, err := s.SigningKeys(ctx)
		ok(t, err)
		var b bytes.Buffer
		for _, k := range keys {
			if string(k.SealedSeed) != "sealed "+k.KID {
				t.Fatalf("key %s came back with seed %q", k.KID, k.SealedSeed)
			}
			b.WriteString(k.KID + " ")
		}
		return b.String()
	}
	if got := kids(); got != "k_b k_a k_c " {
		t.Fatalf("ring %q, want oldest first", got)
	}
	wantErr(t, s.RetireSigningKey(ctx, "k_c", t0), paybridge.EINVALID, "active_signing_key")
	ok(t, s.RetireSigningKey(ctx, "k_b", t0))
	wantErr(t, s.RetireSigningKey(ctx, "k_b", t0), paybridge.ENOTFOUND, "")
	wantErr(t, s.RetireSigningKey(ctx, "k_nope", t0), paybridge.ENOTFOUND, "")
	if got := kids(); got != "k_a k_c " {
		t.Fatalf("ring after retiring k_b %q", got)
	}
}
