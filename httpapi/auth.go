package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
)

// RevokedFunc reports whether a verified API key must be refused: its jti
// revoked, or recorded for another merchant or integration than its claims
// name (the store keeps jtis, never keys). An error fails the request with
// a 500.
type RevokedFunc func(ctx context.Context, c *apikey.Claims) (bool, error)

// Authenticate requires "Authorization: Bearer <api key>", verifies it with
// kr, refuses revoked keys (revoked may be nil), and puts the claims in the
// request context (ClaimsFrom). A failure is a 401 problem with a
// WWW-Authenticate challenge (RFC 6750). The token is never logged.
func Authenticate(kr *apikey.Keyring, revoked RevokedFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, ok := bearerToken(r)
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="paybridge"`)
				WriteError(w, r, &paybridge.Error{Kind: paybridge.EUNAUTHORIZED, Code: "missing_api_key",
					Message: "Send your API key as Authorization: Bearer <key>."})
				return
			}
			claims, err := kr.Verify(token)
			if err == nil && revoked != nil {
				var gone bool
				gone, err = revoked(r.Context(), claims)
				if err != nil {
					WriteError(w, r, err)
					return
				}
				if gone {
					err = &paybridge.Error{Kind: paybridge.EUNAUTHORIZED, Code: "api_key_revoked",
						Message: "The API key has been revoked."}
				}
			}
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="paybridge", error="invalid_token"`)
				WriteError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithClaims(r.Context(), claims)))
		})
	}
}

// bearerToken extracts the token of an Authorization: Bearer header; the
// scheme is case-insensitive (RFC 9110 §11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
