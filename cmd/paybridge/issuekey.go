package main

import (
	"context"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
)

// keyRecorder is the part of the store that records issued API keys.
type keyRecorder interface {
	RecordAPIKey(ctx context.Context, k *paybridge.APIKeyRecord) error
}

// issueKey signs an API key and records its jti, so every key paybridge
// hands out can be revoked (an unrecorded key is refused).
func issueKey(ctx context.Context, kr *apikey.Keyring, db keyRecorder, c apikey.Claims, standalone bool) (string, error) {
	key, err := kr.Issue(c, apiKeyTTL)
	if err != nil {
		return "", err
	}
	v, err := kr.Verify(key)
	if err != nil {
		return "", err
	}
	return key, db.RecordAPIKey(ctx, &paybridge.APIKeyRecord{
		JTI: v.ID, MerchantID: v.MerchantID, EmployeeID: v.EmployeeID, AppID: v.AppID, IntegrationID: v.IntegrationID,
		IssuedAt: time.Now(), ExpiresAt: v.ExpiresAt.Time, Standalone: standalone,
	})
}
