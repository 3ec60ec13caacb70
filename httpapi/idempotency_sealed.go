package httpapi

import (
	"context"
	"fmt"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/seal"
)

// SealedIdempotency keeps replayable responses encrypted at rest. A stored
// response can hold a secret shown once (a webhook endpoint's signing
// secret, an API key from a hand-off) and customers' personal data; the
// database keeps only ciphertext bound to the merchant and key, so a copy
// of the idempotency table reveals nothing and a body cannot be replayed
// under another key.
type SealedIdempotency struct {
	Store  IdempotencyStore
	Sealer *seal.Sealer
}

func idemAAD(merchantID, key string) string { return "idempotency:" + merchantID + ":" + key }

// BeginIdempotent opens the stored body of an existing record.
func (s SealedIdempotency) BeginIdempotent(ctx context.Context, rec *paybridge.IdempotencyRecord) (*paybridge.IdempotencyRecord, error) {
	got, err := s.Store.BeginIdempotent(ctx, rec)
	if err != nil || got == nil || !got.Completed || len(got.Body) == 0 {
		return got, err
	}
	body, err := s.Sealer.Open(got.Body, idemAAD(got.MerchantID, got.Key))
	if err != nil {
		return nil, fmt.Errorf("open stored response of idempotency key: %w", err)
	}
	c := *got
	c.Body = body
	return &c, nil
}

// CompleteIdempotent seals body before storing it.
func (s SealedIdempotency) CompleteIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error {
	sealed, err := s.Sealer.Seal(body, idemAAD(merchantID, key))
	if err != nil {
		return err
	}
	return s.Store.CompleteIdempotent(ctx, merchantID, key, status, sealed)
}

// ReleaseIdempotent forgets an in-flight key.
func (s SealedIdempotency) ReleaseIdempotent(ctx context.Context, merchantID, key string) error {
	return s.Store.ReleaseIdempotent(ctx, merchantID, key)
}

// Defer and Sync pass through to the store when it defers (Deferrer).
func (s SealedIdempotency) Defer(ctx context.Context) context.Context {
	if d, ok := s.Store.(Deferrer); ok {
		return d.Defer(ctx)
	}
	return ctx
}

func (s SealedIdempotency) Sync(ctx context.Context) error {
	if d, ok := s.Store.(Deferrer); ok {
		return d.Sync(ctx)
	}
	return nil
}
