package seal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestSealOpen(t *testing.T) {
	t.Parallel()
	s, err := New("k1", map[string][]byte{"k1": key(1)})
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("access-token-abc")
	sealed, err := s.Seal(secret, "merchant:mer_1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) || !strings.HasPrefix(string(sealed), "k1:") {
		t.Fatalf("sealed value leaks plaintext or lacks key id: %q", sealed)
	}
	got, err := s.Open(sealed, "merchant:mer_1")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, _ := s.Seal(secret, "merchant:mer_1")
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of one value are identical: nonce reused")
	}

	for name, tc := range map[string]struct {
		sealed []byte
		aad    string
	}{
		"other row":   {sealed, "merchant:mer_2"},
		"tampered":    {append(append([]byte{}, sealed[:len(sealed)-1]...), sealed[len(sealed)-1]^1), "merchant:mer_1"},
		"unknown key": {append([]byte("k9:"), sealed[3:]...), "merchant:mer_1"},
		"no key id":   {sealed[3:], "merchant:mer_1"},
		"truncated":   {sealed[:10], "merchant:mer_1"},
		"empty":       {nil, "merchant:mer_1"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Open(tc.sealed, tc.aad); !errors.Is(err, ErrOpen) {
				t.Fatalf("Open = %v, want ErrOpen", err)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	old, _ := New("k1", map[string][]byte{"k1": key(1)})
	sealed, _ := old.Seal([]byte("v"), "a")
	rotated, err := New("k2", map[string][]byte{"k1": key(1), "k2": key(2)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(sealed, "a"); err != nil || string(got) != "v" {
		t.Fatalf("old value after rotation: %q, %v", got, err)
	}
	fresh, _ := rotated.Seal([]byte("w"), "a")
	if !strings.HasPrefix(string(fresh), "k2:") {
		t.Fatalf("new seals must use the active key: %q", fresh[:3])
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	t.Parallel()
	for name, keys := range map[string]map[string][]byte{
		"short key":      {"k1": key(1)[:16]},
		"missing active": {"k2": key(2)},
		"colon in id":    {"k1": key(1), "a:b": key(2)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New("k1", keys); err == nil {
				t.Fatal("New accepted bad keys")
			}
		})
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "master.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("second load must return the same key")
	}
	if _, err := ParseKey("not base64!"); err == nil {
		t.Fatal("ParseKey accepted garbage")
	}
}
