package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paybridge/paybridge"
)

// BenchmarkAPIKeyRevoked measures the revocation check every
// authenticated request makes (one indexed join on SQLite).
func BenchmarkAPIKeyRevoked(b *testing.B) {
	db := openSQLite(b)
	ctx := context.Background()
	it, _, err := db.FindOrCreateIntegration(ctx, &paybridge.Integration{ID: uuid.NewString(), Type: "crm", ExternalKey: "k", ReturnURL: "https://crm.example/r"})
	if err != nil {
		b.Fatal(err)
	}
	m := &paybridge.Merchant{ID: paybridge.NewID(paybridge.PrefixMerchant), CloverMerchantID: "CMBENCH000001", Name: "B", Currency: "usd"}
	now := time.Now()
	if err := db.Connect(ctx, &paybridge.Connection{Merchant: m, SealedCreds: []byte("s"), IntegrationID: it.ID,
		AccessExpires: now.Add(time.Hour), Handoff: &paybridge.Handoff{CodeHash: "h", AppID: "A", ExpiresAt: now.Add(time.Minute)}}, now); err != nil {
		b.Fatal(err)
	}
	jti := uuid.NewString()
	if err := db.RecordAPIKey(ctx, &paybridge.APIKeyRecord{JTI: jti, MerchantID: m.ID, AppID: "A", IntegrationID: it.ID, ExpiresAt: now.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if revoked, err := db.APIKeyRevoked(ctx, jti, m.ID, it.ID); err != nil || revoked {
				b.Fatalf("revoked %t err %v", revoked, err)
			}
		}
	})
}
