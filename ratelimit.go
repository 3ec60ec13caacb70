package paybridge

import (
	"context"
	"time"
)

// RateLimiter bounds how fast one caller (an API key) may call paybridge's
// own API (not Clover's budget: that is the governor's). Allow spends one
// request of key's budget if it fits; the answer says what is left either
// way. Package ratelimit implements it in-process and in Redis.
type RateLimiter interface {
	Allow(ctx context.Context, key string) (RateDecision, error)
}

// RateDecision is one Allow's answer, what the RateLimit headers say.
type RateDecision struct {
	Allowed    bool
	Limit      int           // the burst: requests a full budget holds
	Window     time.Duration // how long an empty budget takes to refill
	Remaining  int           // requests left now
	Reset      time.Duration // until the budget is full again
	RetryAfter time.Duration // when refused: until one request fits
}
