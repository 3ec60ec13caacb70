package clover

import (
	"context"
	"net/http"
	"net/url"
)

// recurring builds a call under {API}/recurring/v1, which also wants the
// merchant in X-Clover-Merchant-Id.
func (c *Client) recurring(method, tmpl, path string, a Auth, body any, o *RequestOptions) *request {
	r := c.bearer(method, c.URLs.API, "/recurring/v1"+tmpl, "/recurring/v1"+path, a, body, o)
	r.headers.Set("X-Clover-Merchant-Id", a.MerchantID)
	return r
}

// CreatePlan creates a recurring plan.
func (c *Client) CreatePlan(ctx context.Context, a Auth, p PlanParams, o *RequestOptions) (*Plan, error) {
	return get[Plan](ctx, c, c.recurring(http.MethodPost, "/plans", "/plans", a, p, o))
}

// GetPlan reads a plan.
func (c *Client) GetPlan(ctx context.Context, a Auth, id string) (*Plan, error) {
	if err := need("plan id", id); err != nil {
		return nil, err
	}
	return get[Plan](ctx, c, c.recurring(http.MethodGet, "/plans/{id}", "/plans/"+url.PathEscape(id), a, nil, nil))
}

// ListPlans lists the merchant's plans (Clover answers a bare array; the
// list envelope is accepted too).
func (c *Client) ListPlans(ctx context.Context, a Auth) ([]Plan, error) {
	out, err := get[List[Plan]](ctx, c, c.recurring(http.MethodGet, "/plans", "/plans", a, nil, nil))
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}

// UpdatePlan changes a plan (PUT; interval and intervalCount are fixed;
// Active false deactivates it when no subscription is active).
func (c *Client) UpdatePlan(ctx context.Context, a Auth, id string, p PlanParams) (*Plan, error) {
	if err := need("plan id", id); err != nil {
		return nil, err
	}
	return get[Plan](ctx, c, c.recurring(http.MethodPut, "/plans/{id}", "/plans/"+url.PathEscape(id), a, p, nil))
}

// CreateSubscription subscribes a customer with a card on file to a plan.
func (c *Client) CreateSubscription(ctx context.Context, a Auth, planID string, p SubscriptionParams, o *RequestOptions) (*Subscription, error) {
	if err := need("plan id", planID); err != nil {
		return nil, err
	}
	return get[Subscription](ctx, c, c.recurring(http.MethodPost, "/plans/{id}/subscriptions",
		"/plans/"+url.PathEscape(planID)+"/subscriptions", a, p, o))
}

// GetSubscription reads a subscription.
func (c *Client) GetSubscription(ctx context.Context, a Auth, id string) (*Subscription, error) {
	if err := need("subscription id", id); err != nil {
		return nil, err
	}
	return get[Subscription](ctx, c, c.recurring(http.MethodGet, "/subscriptions/{id}", "/subscriptions/"+url.PathEscape(id), a, nil, nil))
}

// ListSubscriptions lists the merchant's subscriptions (a bare array, or
// the list envelope).
func (c *Client) ListSubscriptions(ctx context.Context, a Auth) ([]Subscription, error) {
	out, err := get[List[Subscription]](ctx, c, c.recurring(http.MethodGet, "/subscriptions", "/subscriptions", a, nil, nil))
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}

// UpdateSubscription changes a subscription (PUT).
func (c *Client) UpdateSubscription(ctx context.Context, a Auth, id string, p SubscriptionParams) (*Subscription, error) {
	if err := need("subscription id", id); err != nil {
		return nil, err
	}
	return get[Subscription](ctx, c, c.recurring(http.MethodPut, "/subscriptions/{id}", "/subscriptions/"+url.PathEscape(id), a, p, nil))
}

// DeletePlan deletes a plan; Clover allows it only when no subscription
// of the plan is active (its dashboard help says so).
func (c *Client) DeletePlan(ctx context.Context, a Auth, id string) (*Plan, error) {
	if err := need("plan id", id); err != nil {
		return nil, err
	}
	return get[Plan](ctx, c, c.recurring(http.MethodDelete, "/plans/{id}", "/plans/"+url.PathEscape(id), a, nil, nil))
}

// DeleteSubscription deletes a subscription (CLOVER.md §13.9: the docs
// describe cancelling and deleting). It bills no more and is gone from
// reads afterwards; the invoices it generated stay.
func (c *Client) DeleteSubscription(ctx context.Context, a Auth, id string) (*Subscription, error) {
	if err := need("subscription id", id); err != nil {
		return nil, err
	}
	return get[Subscription](ctx, c, c.recurring(http.MethodDelete, "/subscriptions/{id}", "/subscriptions/"+url.PathEscape(id), a, nil, nil))
}

// CancelSubscription stops a subscription: Clover's cancel is PUT
// {active:false}.
func (c *Client) CancelSubscription(ctx context.Context, a Auth, id string) (*Subscription, error) {
	inactive := false
	return c.UpdateSubscription(ctx, a, id, SubscriptionParams{Active: &inactive})
}
