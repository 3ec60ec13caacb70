package apikey

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/paybridge/paybridge"
)

// Issuer and Audience are the iss and aud every API key carries and every
// verification requires, so a token minted for another service is refused.
const (
	Issuer   = "paybridge"
	Audience = "paybridge-api"
)

// Claims are what an API key asserts: who it acts for. ID (jti) is the
// handle for revocation; the token itself is never stored.
type Claims struct {
	MerchantID    string `json:"merchant_id"`
	EmployeeID    string `json:"employee_id,omitempty"`
	AppID         string `json:"app_id,omitempty"`
	IntegrationID string `json:"integration_id,omitempty"`
	jwt.RegisteredClaims
}

// Issue signs c with the active key. It sets iss, aud, iat, exp (now+ttl;
// ttl must be positive), a fresh UUIDv4 jti and the kid header, overriding
// whatever c held in those fields.
func (kr *Keyring) Issue(c Claims, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", errors.New("apikey: ttl must be positive")
	}
	if c.MerchantID == "" {
		return "", errors.New("apikey: claims need a merchant id")
	}
	k, err := kr.signer()
	if err != nil {
		return "", err
	}
	jti, err := uuid.NewRandomFromReader(kr.Rand)
	if err != nil {
		return "", fmt.Errorf("apikey: jti: %w", err)
	}
	now := kr.Now().UTC().Truncate(time.Second)
	c.Issuer = Issuer
	c.Audience = jwt.ClaimStrings{Audience}
	c.IssuedAt = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	c.NotBefore = nil
	c.ID = jti.String()
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, &c)
	t.Header["kid"] = k.kid
	s, err := t.SignedString(k.priv)
	if err != nil {
		return "", fmt.Errorf("apikey: sign: %w", err)
	}
	return s, nil
}

// Verify checks token's signature (EdDSA only, by a key in the ring named by
// its kid), issuer, audience, expiry and jti, and returns its claims. Every
// failure is a *paybridge.Error of kind EUNAUTHORIZED whose message never
// contains the token: code "api_key_expired" for an expired key,
// "invalid_api_key" otherwise.
func (kr *Keyring) Verify(token string) (*Claims, error) {
	if c, ok := kr.verified.get(token, kr.Now(), kr.hasKey); ok {
		return c, nil
	}
	var c Claims
	t, err := jwt.ParseWithClaims(token, &c, kr.keyFunc,
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(kr.Now),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, &paybridge.Error{Kind: paybridge.EUNAUTHORIZED, Code: "api_key_expired", Message: "The API key has expired."}
	case err != nil:
		return nil, invalid()
	case c.ID == "" || c.MerchantID == "":
		return nil, invalid()
	}
	kid, _ := t.Header["kid"].(string)
	kr.verified.put(token, &c, kid)
	return &c, nil
}

// hasKey reports whether kid is still in the ring (the cached path's check:
// a map lookup, without deriving the public key as PublicKey does).
func (kr *Keyring) hasKey(kid string) bool {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	_, ok := kr.keys[kid]
	return ok
}

func invalid() error {
	return &paybridge.Error{Kind: paybridge.EUNAUTHORIZED, Code: "invalid_api_key", Message: "The API key is not valid."}
}

// keyFunc finds the verification key named by the token's kid header. The
// method check is repeated here so the key type can never be confused.
func (kr *Keyring) keyFunc(t *jwt.Token) (any, error) {
	if _, ok := t.Method.(*jwt.SigningMethodEd25519); !ok {
		return nil, errors.New("unexpected signing method")
	}
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, errors.New("missing kid")
	}
	pub, ok := kr.PublicKey(kid)
	if !ok {
		return nil, errors.New("unknown kid")
	}
	return pub, nil
}
