// Package seal encrypts secrets at rest (Clover OAuth tokens, webhook
// secrets) with AES-256-GCM. Every sealed value carries the id of the key
// that sealed it, so keys can rotate while old values stay readable, and is
// bound to the row it belongs to by additional authenticated data, so a
// sealed value copied into another row fails to open.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a master key in bytes.
const KeySize = 32

// ErrOpen means a sealed value could not be opened: wrong key, wrong row,
// or tampered bytes. It never says which, and never includes the value.
var ErrOpen = errors.New("seal: cannot open sealed value")

// Sealer seals with its active key and opens with any key it knows.
type Sealer struct {
	active string
	aeads  map[string]cipher.AEAD
}

// New returns a Sealer whose keys are given as id → 32-byte master key;
// active names the key that seals. Each AES key is derived from its master
// key with HKDF-SHA256, so the master key is never used directly.
func New(active string, keys map[string][]byte) (*Sealer, error) {
	s := &Sealer{active: active, aeads: map[string]cipher.AEAD{}}
	for id, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("seal: key %q must be %d bytes", id, KeySize)
		}
		if id == "" || strings.Contains(id, ":") {
			return nil, fmt.Errorf("seal: bad key id %q", id)
		}
		dk, err := hkdf.Key(sha256.New, k, nil, "paybridge seal v1", KeySize)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(dk)
		if err != nil {
			return nil, err
		}
		if s.aeads[id], err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
	}
	if _, ok := s.aeads[active]; !ok {
		return nil, fmt.Errorf("seal: active key %q not given", active)
	}
	return s, nil
}

// Seal encrypts plaintext bound to aad (e.g. "merchant:mer_…:credentials").
// The result is "<key id>:" followed by nonce and ciphertext.
func (s *Sealer) Seal(plaintext []byte, aad string) ([]byte, error) {
	aead := s.aeads[s.active]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte(s.active+":"), nonce...)
	return aead.Seal(out, nonce, plaintext, []byte(aad)), nil
}

// Open decrypts a value sealed by Seal with the same aad.
func (s *Sealer) Open(sealed []byte, aad string) ([]byte, error) {
	i := strings.IndexByte(string(sealed), ':')
	if i <= 0 {
		return nil, ErrOpen
	}
	aead, ok := s.aeads[string(sealed[:i])]
	if !ok {
		return nil, ErrOpen
	}
	rest := sealed[i+1:]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	pt, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], []byte(aad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// ParseKey decodes a base64 master key (as in PAYBRIDGE_MASTER_KEY).
func ParseKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) != KeySize {
		return nil, fmt.Errorf("seal: master key must be %d bytes, base64-encoded", KeySize)
	}
	return k, nil
}

// LoadOrCreateKeyFile reads a base64 master key from path, creating it
// (mode 0600, directory 0700) with a fresh random key when absent. Sandbox
// mode keeps its key in the data directory this way.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		return ParseKey(string(b))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process won the race
			return LoadOrCreateKeyFile(path)
		}
		return nil, err
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		return nil, err
	}
	return k, f.Sync()
}
