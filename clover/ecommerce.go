package clover

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// bearer builds a call authenticated by the merchant's OAuth token.
func (c *Client) bearer(method, base, tmpl, path string, a Auth, body any, o *RequestOptions) *request {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+a.AccessToken)
	return &request{
		method: method, base: base, path: path, tmpl: tmpl, body: body, headers: h,
		budget:   BudgetKey{App: c.AppID, Token: TokenFingerprint(a.AccessToken), Merchant: a.MerchantID},
		merchant: a.MerchantID, opts: o, secrets: []string{a.AccessToken}, auth: &a,
	}
}

// ecom builds an ecommerce (scl host) call.
func (c *Client) ecom(method, tmpl, path string, a Auth, body any, o *RequestOptions) *request {
	return c.bearer(method, c.URLs.Ecommerce, tmpl, path, a, body, o)
}

// CreateCharge charges (or, with Capture false, authorizes) p.Source. A
// decline is an *Error with IsDecline true; on IsUnknownOutcome the caller
// must repeat the call with the same o.IdempotencyKey until it is definite.
// o.ForwardedFor is required (see needForwardedFor).
func (c *Client) CreateCharge(ctx context.Context, a Auth, p ChargeParams, o *RequestOptions) (*Charge, error) {
	if err := needForwardedFor("POST /v1/charges", o); err != nil {
		return nil, err
	}
	return get[Charge](ctx, c, c.ecom(http.MethodPost, "/v1/charges", "/v1/charges", a, p, o))
}

// GetCharge reads a charge.
func (c *Client) GetCharge(ctx context.Context, a Auth, id string) (*Charge, error) {
	if err := need("charge id", id); err != nil {
		return nil, err
	}
	return get[Charge](ctx, c, c.ecom(http.MethodGet, "/v1/charges/{id}", "/v1/charges/"+url.PathEscape(id), a, nil, nil))
}

// ListCharges lists charges, newest first, one page at a time.
func (c *Client) ListCharges(ctx context.Context, a Auth, p ChargeListParams) (*List[Charge], error) {
	r := c.ecom(http.MethodGet, "/v1/charges", "/v1/charges", a, nil, nil)
	q := url.Values{}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.StartingAfter != "" {
		q.Set("starting_after", p.StartingAfter)
	}
	if p.EndingBefore != "" {
		q.Set("ending_before", p.EndingBefore)
	}
	if p.CreatedGTE != 0 {
		q.Set("created.gte", strconv.FormatInt(p.CreatedGTE, 10))
	}
	if p.CreatedLT != 0 {
		q.Set("created.lt", strconv.FormatInt(p.CreatedLT, 10))
	}
	if p.Customer != "" {
		q.Set("customer", p.Customer)
	}
	r.query = q
	return get[List[Charge]](ctx, c, r)
}

// CaptureCharge captures an authorization, fully or (p.Amount) partly.
func (c *Client) CaptureCharge(ctx context.Context, a Auth, id string, p CaptureParams, o *RequestOptions) (*Charge, error) {
	if err := need("charge id", id); err != nil {
		return nil, err
	}
	return get[Charge](ctx, c, c.ecom(http.MethodPost, "/v1/charges/{id}/capture", "/v1/charges/"+url.PathEscape(id)+"/capture", a, p, o))
}

// CreateOrder creates an ecommerce order (an invoice's Clover twin).
func (c *Client) CreateOrder(ctx context.Context, a Auth, p OrderParams, o *RequestOptions) (*Order, error) {
	return get[Order](ctx, c, c.ecom(http.MethodPost, "/v1/orders", "/v1/orders", a, p, o))
}

// GetOrder reads an ecommerce order.
func (c *Client) GetOrder(ctx context.Context, a Auth, id string) (*Order, error) {
	if err := need("order id", id); err != nil {
		return nil, err
	}
	return get[Order](ctx, c, c.ecom(http.MethodGet, "/v1/orders/{id}", "/v1/orders/"+url.PathEscape(id), a, nil, nil))
}

// PayOrder pays a whole order (Clover refuses partial order payments; a
// paid order answers 409 order_already_paid). o.ForwardedFor is required
// (see needForwardedFor).
func (c *Client) PayOrder(ctx context.Context, a Auth, id string, p PayOrderParams, o *RequestOptions) (*Order, error) {
	if err := need("order id", id); err != nil {
		return nil, err
	}
	if err := needForwardedFor("POST /v1/orders/{id}/pay", o); err != nil {
		return nil, err
	}
	return get[Order](ctx, c, c.ecom(http.MethodPost, "/v1/orders/{id}/pay", "/v1/orders/"+url.PathEscape(id)+"/pay", a, p, o))
}

// ReturnOrder returns items of a paid order (all of it when p.Items is
// empty), refunding them underneath.
func (c *Client) ReturnOrder(ctx context.Context, a Auth, id string, p ReturnParams, o *RequestOptions) (*OrderReturn, error) {
	if err := need("order id", id); err != nil {
		return nil, err
	}
	return get[OrderReturn](ctx, c, c.ecom(http.MethodPost, "/v1/orders/{id}/returns", "/v1/orders/"+url.PathEscape(id)+"/returns", a, p, o))
}

// CreateRefund refunds a charge, fully or (p.Amount) partly.
func (c *Client) CreateRefund(ctx context.Context, a Auth, p RefundParams, o *RequestOptions) (*Refund, error) {
	return get[Refund](ctx, c, c.ecom(http.MethodPost, "/v1/refunds", "/v1/refunds", a, p, o))
}

// GetRefund reads a refund.
func (c *Client) GetRefund(ctx context.Context, a Auth, id string) (*Refund, error) {
	if err := need("refund id", id); err != nil {
		return nil, err
	}
	return get[Refund](ctx, c, c.ecom(http.MethodGet, "/v1/refunds/{id}", "/v1/refunds/"+url.PathEscape(id), a, nil, nil))
}

// ListRefunds lists the refunds of one charge.
func (c *Client) ListRefunds(ctx context.Context, a Auth, chargeID string) (*List[Refund], error) {
	if err := need("charge id", chargeID); err != nil {
		return nil, err
	}
	r := c.ecom(http.MethodGet, "/v1/refunds", "/v1/refunds", a, nil, nil)
	r.query = url.Values{"charge": {chargeID}}
	return get[List[Refund]](ctx, c, r)
}

// GetPAKMSKey fetches the merchant's public tokenizer/iframe key.
func (c *Client) GetPAKMSKey(ctx context.Context, a Auth) (*PAKMSKey, error) {
	return get[PAKMSKey](ctx, c, c.ecom(http.MethodGet, "/pakms/apikey", "/pakms/apikey", a, nil, nil))
}
