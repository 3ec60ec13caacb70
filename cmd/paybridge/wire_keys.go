package main

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/seal"
)

// The API-key signing ring lives in the database (paybridge.SigningKey),
// seeds sealed with the master key, so every instance shares one ring and
// follows `paybridge keys rotate|retire` within Config.KeyringReload.

// signingKeyAAD binds a sealed seed to its kid.
func signingKeyAAD(kid string) string { return "signing_key:" + kid }

// ringStore is the database side of the ring.
type ringStore interface {
	paybridge.SigningKeyStore
}

// loadSeeds reads and unseals the database's ring, the active key last.
func loadSeeds(ctx context.Context, db ringStore, s *seal.Sealer) ([]apikey.Seed, error) {
	keys, err := db.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]apikey.Seed, 0, len(keys))
	for _, k := range keys {
		seed, err := s.Open(k.SealedSeed, signingKeyAAD(k.KID))
		if err != nil {
			return nil, err
		}
		out = append(out, apikey.Seed{KID: k.KID, Seed: seed, CreatedAt: k.CreatedAt})
	}
	return out, nil
}

// addSeed seals and stores a key, dated after `after` (the newest stored
// key's time) even when this clock is behind, so the key added is the
// active one. It returns the time stored.
func addSeed(ctx context.Context, db ringStore, s *seal.Sealer, sk apikey.Seed, after time.Time) (time.Time, error) {
	if !sk.CreatedAt.After(after) {
		sk.CreatedAt = after.Add(time.Millisecond)
	}
	sealed, err := s.Seal(sk.Seed, signingKeyAAD(sk.KID))
	if err != nil {
		return time.Time{}, err
	}
	return sk.CreatedAt, db.AddSigningKey(ctx, &paybridge.SigningKey{KID: sk.KID, SealedSeed: sealed, CreatedAt: sk.CreatedAt})
}

// openKeyring returns the database's ring. On the first start it finds
// none, it imports the keyring file at path (so API keys issued while the
// ring was kept in files stay valid), or makes a fresh key. Instances
// starting together may each add one: the newest is active for all.
func openKeyring(ctx context.Context, db ringStore, s *seal.Sealer, path string) (*apikey.Keyring, error) {
	seeds, err := loadSeeds(ctx, db, s)
	if err != nil {
		return nil, err
	}
	if len(seeds) == 0 {
		var kr *apikey.Keyring
		if _, serr := os.Stat(path); serr == nil {
			kr, err = apikey.LoadOrCreateKeyring(path)
		} else {
			kr, err = apikey.NewKeyring()
		}
		if err != nil {
			return nil, err
		}
		var last time.Time
		for _, sk := range kr.Export() { // the active key last, and newest
			if last, err = addSeed(ctx, db, s, sk, last); err != nil && paybridge.ErrorKind(err) != paybridge.ECONFLICT {
				return nil, err
			}
		}
		if seeds, err = loadSeeds(ctx, db, s); err != nil {
			return nil, err
		}
	}
	kr, err := apikey.NewKeyring()
	if err != nil {
		return nil, err
	}
	return kr, kr.Replace(seeds)
}

// rotateKeyring adds a fresh active key to the database's ring.
func rotateKeyring(ctx context.Context, db ringStore, s *seal.Sealer) (string, error) {
	seeds, err := loadSeeds(ctx, db, s)
	if err != nil {
		return "", err
	}
	sk, err := apikey.NewSeed(rand.Reader, time.Now())
	if err != nil {
		return "", err
	}
	var newest time.Time
	if len(seeds) > 0 {
		newest = seeds[len(seeds)-1].CreatedAt
	}
	_, err = addSeed(ctx, db, s, sk, newest)
	return sk.KID, err
}

// reloadKeyring makes m.Keyring follow the database's ring every
// Config.KeyringReload until ctx ends; a failed read keeps the ring as it
// was (logged), so a database hiccup never locks every key out.
func (m *Main) reloadKeyring(ctx context.Context) {
	every := m.Config.KeyringReload
	if every <= 0 {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			seeds, err := loadSeeds(ctx, m.DB, m.Sealer)
			if err == nil {
				err = m.Keyring.Replace(seeds)
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				m.Logger.Warn("keyring reload", "err", err)
			}
		}
	}()
}
