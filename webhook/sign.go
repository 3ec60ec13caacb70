package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// Header names of Standard Webhooks.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// ErrBadSecret is a secret not of the form whsec_<base64>.
var ErrBadSecret = errors.New("webhook: secret must be whsec_ followed by base64")

// ErrNoMatch is a signature that matches none of the secrets.
var ErrNoMatch = errors.New("webhook: no matching signature")

// ErrTimestamp is a timestamp outside the tolerance (a replay).
var ErrTimestamp = errors.New("webhook: timestamp outside tolerance")

// NewSecret returns a fresh random secret (24 bytes, as the reference
// libraries make them).
func NewSecret() string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// key decodes a secret; the whsec_ prefix is optional, as in the
// reference libraries.
func key(secret string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(k) == 0 {
		return nil, ErrBadSecret
	}
	return k, nil
}

// Sign returns "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>".
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	k, err := key(secret)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// Headers returns the three headers of a message signed with every secret
// given (the current one first; an old one still in its overlap after).
func Headers(id string, ts time.Time, body []byte, secrets ...string) (map[string]string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sig, err := Sign(s, id, ts, body)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, sig)
	}
	return map[string]string{
		HeaderID:        id,
		HeaderTimestamp: strconv.FormatInt(ts.Unix(), 10),
		HeaderSignature: strings.Join(sigs, " "),
	}, nil
}

// Verify checks a received message as a receiver would: the timestamp is
// within tolerance of now and one of the space-separated v1 signatures
// matches secret (compared in constant time).
func Verify(secret, id, timestamp, signatures string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return ErrTimestamp
	}
	want, err := Sign(secret, id, ts, body)
	if err != nil {
		return err
	}
	for _, s := range strings.Fields(signatures) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrNoMatch
}

// SecretAAD is the associated data that binds a sealed endpoint secret to
// its endpoint (package seal), so a secret copied to another row fails to
// open.
func SecretAAD(endpointID string) string { return "webhook_endpoint:" + endpointID }
