package clover

import (
	"context"
	"net/http"
)

// Priority orders calls for Clover's rate budget (DESIGN.md §4): under
// overload a governor serves every waiting call of a more urgent class
// before any of a less urgent one, so money never queues behind background
// work. Lower is more urgent; the zero value is the most urgent.
type Priority uint8

// Priority classes.
const (
	// PriorityMoney is a money movement: charges, order payments,
	// captures, refunds and returns.
	PriorityMoney Priority = iota
	// PriorityOrderSync is creating an invoice's Clover order (and reading
	// the merchant's tax rates for it).
	PriorityOrderSync
	// PriorityBackground is everything else: token refresh, reconciliation
	// and webhook reads, recurring syncs, onboarding.
	PriorityBackground

	// NumPriorities is the number of classes.
	NumPriorities = int(PriorityBackground) + 1
)

// String names the class for metrics and logs.
func (p Priority) String() string {
	switch p {
	case PriorityMoney:
		return "money"
	case PriorityOrderSync:
		return "order_sync"
	default:
		return "background"
	}
}

type priorityKey struct{}

// WithPriority marks the calls made with ctx as at least as urgent as p: a
// call takes the more urgent of p and its endpoint's own class, so an
// order created within a payment goes as money, and the tax rates read for
// an order sync go as order sync, while a charge repeated by the
// reconciler stays money.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// priorityOf is the class of a call: its endpoint's, raised by ctx's.
func priorityOf(ctx context.Context, method, tmpl string) Priority {
	p := endpointPriority(method, tmpl)
	if q, ok := ctx.Value(priorityKey{}).(Priority); ok && q < p {
		p = q
	}
	return p
}

// endpointPriority is the class of an endpoint by what it does.
func endpointPriority(method, tmpl string) Priority {
	if method != http.MethodPost {
		return PriorityBackground
	}
	switch tmpl {
	case "/v1/charges", "/v1/charges/{id}/capture", "/v1/orders/{id}/pay", "/v1/orders/{id}/returns", "/v1/refunds",
		"/v1/customers": // a card is saved by its payment
		return PriorityMoney
	case "/v1/orders":
		return PriorityOrderSync
	}
	return PriorityBackground
}
