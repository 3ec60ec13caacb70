package paybridge

import (
	"context"
	"time"
)

// SigningKey is one Ed25519 key of the API-key ring as the database keeps
// it: the seed sealed with the master key. The ring lives in the database,
// not in each server's files, so `paybridge keys rotate|retire` reach every
// running instance at their next reload, without a restart. The newest key
// that is not retired signs new API keys; every live key verifies.
type SigningKey struct {
	KID        string
	SealedSeed []byte // opaque, from package seal
	CreatedAt  time.Time
}

// SigningKeyStore persists the API-key ring.
type SigningKeyStore interface {
	// AddSigningKey stores a new key (ECONFLICT if its kid exists).
	AddSigningKey(ctx context.Context, k *SigningKey) error
	// SigningKeys lists the live (not retired) keys, oldest first: the
	// last one is the active key.
	SigningKeys(ctx context.Context) ([]*SigningKey, error)
	// RetireSigningKey retires a live key: ENOTFOUND if unknown or retired,
	// EINVALID "active_signing_key" if it is the active one.
	RetireSigningKey(ctx context.Context, kid string, now time.Time) error
}
