package cloversim

import "net/http"

// call is an authenticated Clover API request as the pipeline hands it to a
// surface: the merchant it acts for and the grant behind its bearer token.
type call struct {
	M     *merchant
	Grant *grant
	Token string // the bearer access token (never logged)
	Key   string // idempotency-key header, "" if absent
	// ForwardedFor is the x-forwarded-for header (forwarded.go).
	ForwardedFor string
	// DeclineCaptured is the declined-but-captured fault drawn for this
	// request (declined_captured.go).
	DeclineCaptured bool
}

// apiFunc is a surface's handler. It runs with s.mu NOT held and returns the
// status and body to send, or an error to send in Clover's envelope. The
// pipeline (s.api) wraps it with auth, rate limits, faults, latency and
// idempotency replay, and records the response for the idempotency key.
type apiFunc func(r *http.Request, c *call) (status int, body any, err *apiError)
