package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/paybridge/paybridge"
)

// rateLimitPolicy names the one policy in the RateLimit headers.
const rateLimitPolicy = `"api-key"`

// RateLimited spends one request of the caller's API key's budget (it runs
// after authentication; the key is the API key's id) and says what is left
// in the RateLimit and RateLimit-Policy headers of the IETF draft
// (draft-ietf-httpapi-ratelimit-headers: q the burst, w the seconds an
// empty budget takes to refill, r what is left, t the seconds until full).
// A spent budget is a 429 rate_limited with Retry-After. A limiter error
// lets the request through: the limit protects, it must not fail requests.
func RateLimited(l paybridge.RateLimiter) func(http.Handler) http.Handler {
	// The policy is the same for every answer: its header value is built
	// once per (limit, window) and shared, so a read pays for one header.
	var policy atomic.Pointer[policyHeader]
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := ClaimsFrom(r.Context())
			if !ok {
				next.ServeHTTP(w, r)
				return
			}
			d, err := l.Allow(r.Context(), c.ID)
			if err != nil {
				next.ServeHTTP(w, r)
				return
			}
			p := policy.Load()
			if p == nil || p.limit != d.Limit || p.window != d.Window {
				p = &policyHeader{d.Limit, d.Window, []string{rateLimitPolicy + ";q=" + strconv.Itoa(d.Limit) + ";w=" + seconds(d.Window)}}
				policy.Store(p)
			}
			h := w.Header()
			h["Ratelimit-Policy"] = p.value // canonical form of RateLimit-Policy
			v := make([]byte, 0, 40)
			v = append(v, rateLimitPolicy+";r="...)
			v = strconv.AppendInt(v, int64(d.Remaining), 10)
			v = append(v, ";t="...)
			v = append(v, seconds(d.Reset)...)
			h.Set("RateLimit", string(v))
			if !d.Allowed {
				h.Set("Retry-After", seconds(d.RetryAfter))
				WriteError(w, r, paybridge.Errorf(paybridge.ERATELIMIT, "",
					"this API key sent more than %d requests in a burst; retry after %s s", d.Limit, seconds(d.RetryAfter)).
					WithCode("rate_limited"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// policyHeader is a RateLimit-Policy value for one policy.
type policyHeader struct {
	limit  int
	window time.Duration
	value  []string
}

// seconds rounds d up to whole seconds, at least 1 (the headers' unit;
// a client told 0 would retry at once).
func seconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64(math.Ceil(d.Seconds()))), 10)
}
