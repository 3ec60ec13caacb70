package clover

import (
	"context"
	"net/http"
	"net/url"
)

// v3 builds a platform call under {API}/v3/merchants/{mId}.
func (c *Client) v3(method, tmpl, path string, a Auth, body any, o *RequestOptions) *request {
	m := "/v3/merchants/" + url.PathEscape(a.MerchantID)
	return c.bearer(method, c.URLs.API, "/v3/merchants/{mId}"+tmpl, m+path, a, body, o)
}

// GetMerchant reads the merchant's name, currency and contact details,
// its address expanded (the pay page shows it to customers).
func (c *Client) GetMerchant(ctx context.Context, a Auth) (*Merchant, error) {
	if err := need("merchant id", a.MerchantID); err != nil {
		return nil, err
	}
	r := c.v3(http.MethodGet, "", "", a, nil, nil)
	r.query = url.Values{"expand": {"address"}}
	return get[Merchant](ctx, c, r)
}

// GetPayment reads a payment with its refunds (for reconciliation and
// platform webhooks: a refund made on the Clover dashboard shows here).
func (c *Client) GetPayment(ctx context.Context, a Auth, id string) (*V3Payment, error) {
	if err := need("merchant id", a.MerchantID); err != nil {
		return nil, err
	}
	if err := need("payment id", id); err != nil {
		return nil, err
	}
	r := c.v3(http.MethodGet, "/payments/{id}", "/payments/"+url.PathEscape(id), a, nil, nil)
	r.query = url.Values{"expand": {"refunds"}}
	return get[V3Payment](ctx, c, r)
}

// GetV3Order reads an order with its payments.
func (c *Client) GetV3Order(ctx context.Context, a Auth, id string) (*V3Order, error) {
	if err := need("merchant id", a.MerchantID); err != nil {
		return nil, err
	}
	if err := need("order id", id); err != nil {
		return nil, err
	}
	r := c.v3(http.MethodGet, "/orders/{id}", "/orders/"+url.PathEscape(id), a, nil, nil)
	r.query = url.Values{"expand": {"payments"}}
	return get[V3Order](ctx, c, r)
}

// ListTaxRates lists the merchant's tax rates (order items must use one).
func (c *Client) ListTaxRates(ctx context.Context, a Auth) ([]V3TaxRate, error) {
	if err := need("merchant id", a.MerchantID); err != nil {
		return nil, err
	}
	out, err := get[Elements[V3TaxRate]](ctx, c, c.v3(http.MethodGet, "/tax_rates", "/tax_rates", a, nil, nil))
	if err != nil {
		return nil, err
	}
	return out.Elements, nil
}

// CreateTaxRate creates a merchant tax rate.
func (c *Client) CreateTaxRate(ctx context.Context, a Auth, t V3TaxRate) (*V3TaxRate, error) {
	if err := need("merchant id", a.MerchantID); err != nil {
		return nil, err
	}
	return get[V3TaxRate](ctx, c, c.v3(http.MethodPost, "/tax_rates", "/tax_rates", a, t, nil))
}
