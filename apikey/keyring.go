package apikey

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Keyring holds the Ed25519 signing keys of API keys. Exactly one key is
// active (signs new tokens); every key in the ring verifies. It is safe for
// concurrent use, so a running server can rotate, or follow the database's
// ring with Replace.
type Keyring struct {
	// Now is the clock used for iat/exp and for verifying expiry.
	Now func() time.Time
	// Rand is the source of key material and jti values.
	Rand io.Reader

	mu     sync.RWMutex
	active string
	keys   map[string]*key

	verified verifiedCache
}

type key struct {
	kid     string
	priv    ed25519.PrivateKey
	created time.Time
}

// ErrUnknownKey is returned by Retire for a kid that is not in the ring.
var ErrUnknownKey = errors.New("apikey: unknown key id")

// ErrActiveKey is returned by Retire for the active key: rotate first.
var ErrActiveKey = errors.New("apikey: cannot retire the active key; rotate first")

// NewKeyring returns a keyring holding one fresh active key.
func NewKeyring() (*Keyring, error) {
	kr := &Keyring{Now: time.Now, Rand: rand.Reader, keys: map[string]*key{}}
	if _, err := kr.Rotate(); err != nil {
		return nil, err
	}
	return kr, nil
}

// Rotate adds a fresh key and makes it the active one; older keys keep
// verifying the tokens they signed until retired. It returns the new kid.
func (kr *Keyring) Rotate() (string, error) {
	sk, err := NewSeed(kr.Rand, kr.Now())
	if err != nil {
		return "", err
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	kr.keys[sk.KID] = &key{kid: sk.KID, priv: ed25519.NewKeyFromSeed(sk.Seed), created: sk.CreatedAt}
	kr.active = sk.KID
	return sk.KID, nil
}

// Seed is one key of a ring as it is stored: its kid, private seed and
// creation time.
type Seed struct {
	KID       string
	Seed      []byte // ed25519.SeedSize bytes
	CreatedAt time.Time
}

// NewSeed generates a fresh key from r.
func NewSeed(r io.Reader, now time.Time) (Seed, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(r, seed); err != nil {
		return Seed{}, fmt.Errorf("apikey: generate key: %w", err)
	}
	idb := make([]byte, 8)
	if _, err := io.ReadFull(r, idb); err != nil {
		return Seed{}, fmt.Errorf("apikey: generate kid: %w", err)
	}
	return Seed{KID: "k_" + hex.EncodeToString(idb), Seed: seed, CreatedAt: now.UTC()}, nil
}

// Export returns the ring's keys, the active one last (the order Replace
// and the database's ring take).
func (kr *Keyring) Export() []Seed {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	out := make([]Seed, 0, len(kr.keys))
	for _, k := range kr.keys {
		if k.kid != kr.active {
			out = append(out, Seed{KID: k.kid, Seed: k.priv.Seed(), CreatedAt: k.created})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].KID < out[j].KID })
	if k, ok := kr.keys[kr.active]; ok {
		out = append(out, Seed{KID: k.kid, Seed: k.priv.Seed(), CreatedAt: k.created})
	}
	return out
}

// Replace makes the ring exactly keys, the last one active: a running
// server's ring follows the database's this way, so a key retired there
// stops verifying (the verified-token cache checks the kid too) and a
// rotated one starts signing, without a restart. An empty or malformed
// list leaves the ring as it was.
func (kr *Keyring) Replace(keys []Seed) error {
	if len(keys) == 0 {
		return errors.New("apikey: a keyring needs at least one key")
	}
	kr.mu.RLock()
	next := make(map[string]*key, len(keys))
	for _, sk := range keys {
		if k, ok := kr.keys[sk.KID]; ok && bytes.Equal(k.priv.Seed(), sk.Seed) {
			next[sk.KID] = k
			continue
		}
		if len(sk.Seed) != ed25519.SeedSize {
			kr.mu.RUnlock()
			return fmt.Errorf("apikey: key %q has a malformed seed", sk.KID)
		}
		next[sk.KID] = &key{kid: sk.KID, priv: ed25519.NewKeyFromSeed(sk.Seed), created: sk.CreatedAt}
	}
	kr.mu.RUnlock()
	kr.mu.Lock()
	defer kr.mu.Unlock()
	kr.keys, kr.active = next, keys[len(keys)-1].KID
	return nil
}

// Retire removes a key: tokens it signed stop verifying at once. The active
// key cannot be retired.
func (kr *Keyring) Retire(kid string) error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if _, ok := kr.keys[kid]; !ok {
		return ErrUnknownKey
	}
	if kid == kr.active {
		return ErrActiveKey
	}
	delete(kr.keys, kid)
	return nil
}

// ActiveKID returns the kid of the key that signs new tokens.
func (kr *Keyring) ActiveKID() string {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.active
}

// KIDs returns the kids of every key in the ring, sorted.
func (kr *Keyring) KIDs() []string {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	out := make([]string, 0, len(kr.keys))
	for kid := range kr.keys {
		out = append(out, kid)
	}
	sort.Strings(out)
	return out
}

// PublicKey returns the public half of key kid, for verifiers elsewhere.
func (kr *Keyring) PublicKey(kid string) (ed25519.PublicKey, bool) {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	k, ok := kr.keys[kid]
	if !ok {
		return nil, false
	}
	return k.priv.Public().(ed25519.PublicKey), true
}

func (kr *Keyring) signer() (*key, error) {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	k, ok := kr.keys[kr.active]
	if !ok {
		return nil, errors.New("apikey: keyring has no active key")
	}
	return k, nil
}

// fileFormat is the on-disk keyring: private seeds, so the file is 0600.
type fileFormat struct {
	Active string    `json:"active"`
	Keys   []fileKey `json:"keys"`
}

type fileKey struct {
	KID       string    `json:"kid"`
	Seed      string    `json:"seed"` // hex Ed25519 seed
	CreatedAt time.Time `json:"created_at"`
}

// LoadOrCreateKeyring reads the keyring at path, or creates one with a fresh
// key there (directory 0700, file 0600) when the file does not exist.
func LoadOrCreateKeyring(path string) (*Keyring, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		kr, err := NewKeyring()
		if err != nil {
			return nil, err
		}
		if err := kr.Save(path); err != nil {
			return nil, err
		}
		return kr, nil
	}
	if err != nil {
		return nil, fmt.Errorf("apikey: read keyring: %w", err)
	}
	var ff fileFormat
	if err := json.Unmarshal(data, &ff); err != nil {
		return nil, fmt.Errorf("apikey: parse keyring %s: %w", path, err)
	}
	kr := &Keyring{Now: time.Now, Rand: rand.Reader, keys: map[string]*key{}, active: ff.Active}
	for _, fk := range ff.Keys {
		seed, err := hex.DecodeString(fk.Seed)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("apikey: keyring %s: key %q has a malformed seed", path, fk.KID)
		}
		kr.keys[fk.KID] = &key{kid: fk.KID, priv: ed25519.NewKeyFromSeed(seed), created: fk.CreatedAt}
	}
	if _, ok := kr.keys[kr.active]; !ok {
		return nil, fmt.Errorf("apikey: keyring %s: active key %q is missing", path, ff.Active)
	}
	return kr, nil
}

// Save writes the keyring to path atomically (temporary file, then rename),
// creating the directory with mode 0700 and the file with mode 0600.
func (kr *Keyring) Save(path string) error {
	kr.mu.RLock()
	ff := fileFormat{Active: kr.active}
	for _, k := range kr.keys {
		ff.Keys = append(ff.Keys, fileKey{KID: k.kid, Seed: hex.EncodeToString(k.priv.Seed()), CreatedAt: k.created})
	}
	kr.mu.RUnlock()
	sort.Slice(ff.Keys, func(i, j int) bool { return ff.Keys[i].KID < ff.Keys[j].KID })
	data, err := json.MarshalIndent(ff, "", "  ")
	if err != nil {
		return fmt.Errorf("apikey: encode keyring: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("apikey: create keyring dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".keyring-*")
	if err != nil {
		return fmt.Errorf("apikey: save keyring: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("apikey: save keyring: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("apikey: save keyring: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("apikey: save keyring: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("apikey: save keyring: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("apikey: save keyring: %w", err)
	}
	return nil
}
