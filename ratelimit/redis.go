package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/paybridge/paybridge"
)

// gcra is Policy.decide in Redis, on Redis's clock (TIME), in
// microseconds: one key per API key holding its theoretical arrival time,
// expiring when the budget is full again.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, capacity = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nxt = tat + interval
if nxt - now > capacity then
  return {0, tat - now, nxt - now - capacity}
end
redis.call('SET', KEYS[1], nxt, 'PX', math.ceil((nxt - now) / 1000) + 1)
return {1, nxt - now, 0}
`)

// Redis is the limiter every instance shares. When Redis does not answer,
// Fallback (a Local with the same policy, by default) decides: a limit is
// protection, not bookkeeping, so it must not fail requests.
type Redis struct {
	Client   redis.Scripter
	Policy   Policy
	Prefix   string // key prefix, default "paybridge:apirate:"
	Fallback paybridge.RateLimiter
	OnError  func(error) // nil: ignored (the fallback answers)
}

// NewRedis returns a Redis limiter for p.
func NewRedis(c redis.Scripter, p Policy) *Redis {
	return &Redis{Client: c, Policy: p, Prefix: "paybridge:apirate:", Fallback: NewLocal(p)}
}

// Allow implements paybridge.RateLimiter.
func (r *Redis) Allow(ctx context.Context, key string) (paybridge.RateDecision, error) {
	t := r.Policy.interval()
	capacity := time.Duration(r.Policy.Burst) * t
	res, err := gcra.Run(ctx, r.Client, []string{r.Prefix + key}, t.Microseconds(), capacity.Microseconds()).Int64Slice()
	if err == nil && len(res) != 3 {
		err = fmt.Errorf("ratelimit: script answered %v", res)
	}
	if err != nil {
		if r.OnError != nil {
			r.OnError(err)
		}
		return r.Fallback.Allow(ctx, key)
	}
	d := paybridge.RateDecision{Allowed: res[0] == 1, Limit: r.Policy.Burst, Window: capacity,
		Reset: time.Duration(res[1]) * time.Microsecond, RetryAfter: time.Duration(res[2]) * time.Microsecond}
	if d.Allowed {
		d.Remaining = int((capacity - d.Reset) / t)
	}
	return d, nil
}
