package httpapi

import (
	"context"
	"log/slog"

	"github.com/paybridge/paybridge/apikey"
)

type ctxKey int

const (
	infoKey ctxKey = iota
	claimsKey
)

// requestInfo is the per-request record the outer middleware creates and
// inner layers fill in (route pattern, merchant), so the access log and
// metrics see what was learned deeper in the stack even though each layer
// may hand a copied *http.Request down.
type requestInfo struct {
	id         string
	pattern    string
	merchantID string
	logger     *slog.Logger
}

func infoFrom(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(infoKey).(*requestInfo)
	return ri
}

// RequestIDFrom returns the request id assigned by RequestID ("" outside it).
func RequestIDFrom(ctx context.Context) string {
	if ri := infoFrom(ctx); ri != nil {
		return ri.id
	}
	return ""
}

// ClaimsFrom returns the verified API-key claims Authenticate put in ctx.
func ClaimsFrom(ctx context.Context) (*apikey.Claims, bool) {
	c, ok := ctx.Value(claimsKey).(*apikey.Claims)
	return c, ok && c != nil
}

// WithClaims returns ctx carrying c, as Authenticate does; handler tests use
// it to skip token issuance.
func WithClaims(ctx context.Context, c *apikey.Claims) context.Context {
	if ri := infoFrom(ctx); ri != nil && c != nil {
		ri.merchantID = c.MerchantID
	}
	return context.WithValue(ctx, claimsKey, c)
}

// loggerFrom returns the request's logger, or one that discards, so code
// outside the middleware stack (unit tests) can still report errors.
func loggerFrom(ctx context.Context) *slog.Logger {
	if ri := infoFrom(ctx); ri != nil && ri.logger != nil {
		return ri.logger
	}
	return slog.New(slog.DiscardHandler)
}
