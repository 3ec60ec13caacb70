package clover

import (
	"context"
	"errors"
	"net/http"
)

// CreateToken tokenizes a card with the merchant's PAKMS key (header
// `apikey`, no Bearer) and returns a single-use clv_ token. paybridge itself
// never handles card numbers (the iframe tokenizes in the browser); this
// exists for tests and the sandbox. The card data lives only in memory for
// the call: it is never logged, and scrubbed from error messages.
func (c *Client) CreateToken(ctx context.Context, pakmsKey string, p TokenParams) (*Token, error) {
	if p.Card == nil {
		return nil, errors.New("clover: CreateToken: no card")
	}
	h := http.Header{}
	h.Set("Apikey", pakmsKey)
	r := &request{
		method: http.MethodPost, base: c.URLs.Tokenizer, path: "/v1/tokens", tmpl: "/v1/tokens",
		body: p, headers: h,
		budget:  BudgetKey{App: c.AppID, Token: "pakms:" + TokenFingerprint(pakmsKey)},
		secrets: []string{pakmsKey, p.Card.Number},
	}
	return get[Token](ctx, c, r)
}
