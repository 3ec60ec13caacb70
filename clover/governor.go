package clover

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Budget is one token's and one app's share of Clover's rate limits
// (CLOVER.md §8): requests per second and requests in flight. Clover can raise
// them on request and hand-made dashboard tokens get less, so they are
// configurable per token: by merchant, whose token it is (its fingerprint
// changes with every refresh).
type Budget struct {
	TokenRPS        float64
	TokenConcurrent int
	AppRPS          float64
	AppConcurrent   int
	// Merchants overrides the per-token budget of some merchants' tokens,
	// by Clover merchant id (BudgetKey.Merchant; budget.go).
	Merchants map[string]TokenBudget
}

// DefaultBudget is Clover's documented REST budget.
var DefaultBudget = Budget{TokenRPS: 16, TokenConcurrent: 5, AppRPS: 50, AppConcurrent: 10}

// BudgetKey names whose budget a call spends. Token is a fingerprint of the
// access token (see TokenFingerprint), never the token itself, so keys can be
// logged and stored in Redis safely. Merchant lets a governor queue fairly
// across merchants for the shared per-app budget. Priority is the call's
// class: governors serve more urgent waiters first (priority.go).
type BudgetKey struct {
	App      string
	Token    string
	Merchant string
	Priority Priority
}

// Governor paces calls to Clover. Acquire blocks until a call for key may
// start without exceeding the budget, serving waiters by key.Priority and
// in FIFO order within one, or until
// ctx ends (then it returns ctx's error and the call must not be made). The
// caller must call release exactly once when the call's response has been
// read, which frees its concurrency slot.
type Governor interface {
	Acquire(ctx context.Context, key BudgetKey) (release func(), err error)
}

// SentGovernor is a Governor that can hand a call's rate slot back sooner
// when told when the call's request was written. Clover counts a request on
// arrival, which follows the write by one network delay, while the response
// (and so the release) follows arrival by Clover's whole processing time: a
// governor that bounds arrival by "written + a margin" rather than by
// "released" spends one second plus the margin per slot instead of one second
// plus the call's latency (see governor.Redis). The Client uses AcquireSent
// when its Governor has it.
type SentGovernor interface {
	Governor
	// AcquireSent is Acquire whose release func is told when the request
	// was fully written, or the zero Time if it never was (or may not
	// have been), in which case the release time bounds arrival.
	AcquireSent(ctx context.Context, key BudgetKey) (release func(wrote time.Time), err error)
}

// TokenFingerprint returns a short, stable, non-reversible name for an access
// token, for budget keys, logs and metrics.
func TokenFingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:8])
}

// Unlimited is a Governor that never waits (for tests of other behaviour and
// for talking to a cloversim with limits off).
type Unlimited struct{}

// Acquire returns at once unless ctx has already ended.
func (Unlimited) Acquire(ctx context.Context, _ BudgetKey) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return func() {}, nil
}
