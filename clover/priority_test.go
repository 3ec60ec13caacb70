package clover

import (
	"context"
	"net/http"
	"testing"
)

// TestPriorityOf: money endpoints are money, creating an order is an order
// sync, everything else background; a context can raise a call's class
// (an order made within a payment goes as money) but never lower it (a
// charge repeated by the reconciler stays money).
func TestPriorityOf(t *testing.T) {
	t.Parallel()
	bg := context.Background()
	money := WithPriority(bg, PriorityMoney)
	sync := WithPriority(bg, PriorityOrderSync)
	background := WithPriority(bg, PriorityBackground)
	for _, tc := range []struct {
		name         string
		ctx          context.Context
		method, tmpl string
		want         Priority
	}{
		{"charge", bg, http.MethodPost, "/v1/charges", PriorityMoney},
		{"capture", bg, http.MethodPost, "/v1/charges/{id}/capture", PriorityMoney},
		{"order pay", bg, http.MethodPost, "/v1/orders/{id}/pay", PriorityMoney},
		{"order return", bg, http.MethodPost, "/v1/orders/{id}/returns", PriorityMoney},
		{"refund", bg, http.MethodPost, "/v1/refunds", PriorityMoney},
		{"card saved by its payment", bg, http.MethodPost, "/v1/customers", PriorityMoney},
		{"order create", bg, http.MethodPost, "/v1/orders", PriorityOrderSync},
		{"order create within a payment", money, http.MethodPost, "/v1/orders", PriorityMoney},
		{"tax rates", bg, http.MethodGet, "/v3/merchants/{mId}/tax_rates", PriorityBackground},
		{"tax rates for an order", sync, http.MethodGet, "/v3/merchants/{mId}/tax_rates", PriorityOrderSync},
		{"reconciliation read", bg, http.MethodGet, "/v1/charges/{id}", PriorityBackground},
		{"token refresh", bg, http.MethodPost, "/oauth/v2/refresh", PriorityBackground},
		{"subscription sync", bg, http.MethodPut, "/recurring/v1/subscriptions/{id}", PriorityBackground},
		{"a repeated charge stays money", background, http.MethodPost, "/v1/charges", PriorityMoney},
		{"an order sync's order stays order sync", background, http.MethodPost, "/v1/orders", PriorityOrderSync},
	} {
		if got := priorityOf(tc.ctx, tc.method, tc.tmpl); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	for p, name := range map[Priority]string{PriorityMoney: "money", PriorityOrderSync: "order_sync", PriorityBackground: "background"} {
		if p.String() != name {
			t.Errorf("%d.String() = %q", p, p.String())
		}
	}
}
