package paybridge

import (
	"context"
	"time"
)

// IdempotencyRecord is a CRM's Idempotency-Key and what it produced
// (DESIGN.md §5): the same key and body replays Status/Body; another body is
// 422; while Completed is false the first request is still in flight (409),
// unless Orphaned says the process running it died: then the key is
// finished from its recovery point (Phase, Resource) instead.
type IdempotencyRecord struct {
	MerchantID  string
	Key         string
	RequestHash string // SHA-256 of method, path and body
	Completed   bool
	Status      int
	Body        []byte
	CreatedAt   time.Time

	// Phase is the recovery point the request reached (PhaseStarted,
	// PhaseCreated, PhaseAnswered).
	Phase string
	// Resource is the id of what the request created ("pay_…", "inv_…",
	// "re_…"), recorded in the transaction that created it; "" before.
	Resource string
	// Claim identifies the request holding the key (random per request): a
	// write that names another claim is refused (see RequestKey).
	Claim string
	// Orphaned is set on a read of an in-flight key whose owner, the
	// paybridge process that began it, no longer holds its lease.
	Orphaned bool
}

// Recovery points of an Idempotency-Key, in order (Brandur Leach,
// "Implementing Stripe-like Idempotency Keys in Postgres"). Each is
// recorded atomically with the work before it, so a process that dies
// leaves the key at the last point it passed:
//
//   - started: the key is taken; nothing else is committed. A key orphaned
//     here is released and the retry runs afresh.
//   - created: the request's resource (a pending payment, a refund, an
//     invoice) is committed, with its own state from there on (a payment
//     records its Clover outcome in its own row). A key orphaned here is
//     finished from the resource: an in-flight payment is driven on with
//     its own Clover idempotency key, then answered as its request would
//     have been.
//   - answered: the response is stored and replayed. A stored 202 (a
//     payment still processing) is refreshed from the payment on replay
//     once the payment is final.
const (
	PhaseStarted  = "started"
	PhaseCreated  = "created"
	PhaseAnswered = "answered"
)

// IdempotencyTTL is how long keys are kept (DESIGN.md §5: at least 24 h).
const IdempotencyTTL = 48 * time.Hour

// RequestKey names the Idempotency-Key a request runs under, carried in
// its context so the store records the key's recovery point in the same
// transaction as the resource the request creates.
type RequestKey struct {
	MerchantID, Key, Claim string
}

type requestKeyCtx struct{}

// WithRequestKey returns ctx carrying k.
func WithRequestKey(ctx context.Context, k RequestKey) context.Context {
	return context.WithValue(ctx, requestKeyCtx{}, k)
}

// RequestKeyFrom returns the RequestKey ctx carries, if any.
func RequestKeyFrom(ctx context.Context) (RequestKey, bool) {
	k, ok := ctx.Value(requestKeyCtx{}).(RequestKey)
	return k, ok && k.Key != ""
}
