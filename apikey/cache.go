package apikey

import (
	"crypto/sha256"
	"sync"
	"time"
)

// maxCached bounds the verified-key cache; past it the cache starts over
// (an API serves few distinct keys: one per connected CRM and employee).
const maxCached = 10_000

// verifiedCache remembers keys whose signature and claims already passed,
// so a busy CRM's every request does not pay an Ed25519 verification
// (about 50 µs, a quarter of an authenticated GET). An entry is used only
// while its key has not expired and its kid is still in the ring (retiring
// a key stops its tokens at once). Revocation is not cached: callers check
// the jti on every request.
type verifiedCache struct {
	mu sync.Mutex
	m  map[[32]byte]cachedClaims
}

type cachedClaims struct {
	claims Claims
	kid    string
	exp    time.Time
}

func (vc *verifiedCache) get(token string, now time.Time, kidKnown func(string) bool) (*Claims, bool) {
	h := sha256.Sum256([]byte(token))
	vc.mu.Lock()
	e, ok := vc.m[h]
	vc.mu.Unlock()
	if !ok || !now.Before(e.exp) || !kidKnown(e.kid) {
		return nil, false
	}
	c := e.claims // a copy: callers may not change the cached claims
	return &c, true
}

func (vc *verifiedCache) put(token string, c *Claims, kid string) {
	if c.ExpiresAt == nil {
		return
	}
	h := sha256.Sum256([]byte(token))
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.m == nil || len(vc.m) >= maxCached {
		vc.m = make(map[[32]byte]cachedClaims)
	}
	vc.m[h] = cachedClaims{claims: *c, kid: kid, exp: c.ExpiresAt.Time}
}
