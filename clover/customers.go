package clover

import (
	"context"
	"net/http"
	"net/url"
)

// CreateCustomer creates an ecommerce customer, saving p.Source (a clv_
// token) as its card on file when given.
func (c *Client) CreateCustomer(ctx context.Context, a Auth, p CustomerParams, o *RequestOptions) (*Customer, error) {
	return get[Customer](ctx, c, c.ecom(http.MethodPost, "/v1/customers", "/v1/customers", a, p, o))
}

// GetCustomer reads a customer. Clover merges customers, so a 404 for a
// known id means: look the customer up again by email.
func (c *Client) GetCustomer(ctx context.Context, a Auth, id string) (*Customer, error) {
	if err := need("customer id", id); err != nil {
		return nil, err
	}
	return get[Customer](ctx, c, c.ecom(http.MethodGet, "/v1/customers/{id}", "/v1/customers/"+url.PathEscape(id), a, nil, nil))
}

// UpdateCustomer changes a customer (PUT); p.Source adds a card.
func (c *Client) UpdateCustomer(ctx context.Context, a Auth, id string, p CustomerParams, o *RequestOptions) (*Customer, error) {
	if err := need("customer id", id); err != nil {
		return nil, err
	}
	return get[Customer](ctx, c, c.ecom(http.MethodPut, "/v1/customers/{id}", "/v1/customers/"+url.PathEscape(id), a, p, o))
}

// DeleteCustomerSource removes a saved card from a customer.
func (c *Client) DeleteCustomerSource(ctx context.Context, a Auth, customerID, cardID string) (*DeletedCard, error) {
	if err := need("customer id", customerID); err != nil {
		return nil, err
	}
	if err := need("card id", cardID); err != nil {
		return nil, err
	}
	return get[DeletedCard](ctx, c, c.ecom(http.MethodDelete, "/v1/customers/{id}/sources/{cardId}",
		"/v1/customers/"+url.PathEscape(customerID)+"/sources/"+url.PathEscape(cardID), a, nil, nil))
}
