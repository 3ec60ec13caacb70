package main

// Wiring of paybridge's own API rate limit (per API key): in-process, or
// shared through the governor's Redis when PAYBRIDGE_REDIS_URL is set.

import (
	"fmt"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/ratelimit"
)

// apiRateLimit is PAYBRIDGE_API_RATE_LIMIT, parsed.
type apiRateLimit ratelimit.Policy

func (p *apiRateLimit) UnmarshalText(b []byte) error {
	v, err := ratelimit.ParsePolicy(string(b))
	if err != nil {
		return fmt.Errorf("PAYBRIDGE_API_RATE_LIMIT: %w", err)
	}
	*p = apiRateLimit(v)
	return nil
}

// apiLimiter is the Router's limiter: nil when the limit is off.
func (m *Main) apiLimiter() paybridge.RateLimiter {
	p := ratelimit.Policy(m.Config.APIRateLimit)
	if p.Off() {
		return nil
	}
	if m.redis != nil {
		r := ratelimit.NewRedis(m.redis, p)
		r.OnError = func(err error) {
			m.Logger.Debug("API rate limit: redis unreachable, this instance decides alone", "err", err)
		}
		return r
	}
	return ratelimit.NewLocal(p)
}
