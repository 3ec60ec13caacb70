package clover

import (
	"context"
	"net/http"
)

// CreateCheckout creates a Clover Hosted Checkout session (valid 15
// minutes); send the customer to its Href.
func (c *Client) CreateCheckout(ctx context.Context, a Auth, p CheckoutParams, o *RequestOptions) (*CheckoutSession, error) {
	const path = "/invoicingcheckoutservice/v1/checkouts"
	r := c.bearer(http.MethodPost, c.URLs.API, path, path, a, p, o)
	r.headers.Set("X-Clover-Merchant-Id", a.MerchantID)
	return get[CheckoutSession](ctx, c, r)
}
