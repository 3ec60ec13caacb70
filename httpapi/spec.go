package httpapi

import (
	"context"
	_ "embed"
	"net/http"
	"strconv"

	"github.com/paybridge/paybridge"
)

//go:embed openapi.yaml
var spec []byte

// Spec returns the hand-written OpenAPI 3 document of the API (a copy, so
// callers cannot alter what is served).
func Spec() []byte { return append([]byte(nil), spec...) }

// SpecHandler serves the spec (GET /openapi.yaml).
func SpecHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/yaml")
		h.Set("Content-Length", strconv.Itoa(len(spec)))
		h.Set("Cache-Control", "public, max-age=300")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(spec)
		}
	})
}

// HealthHandler answers GET /healthz: the process is up.
func HealthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// ReadyHandler answers GET /readyz: 200 when ping (e.g. Store.Ping)
// succeeds, else a 503 problem, so a load balancer stops sending traffic.
func ReadyHandler(ping func(ctx context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := ping(r.Context()); err != nil {
			loggerFrom(r.Context()).WarnContext(r.Context(), "not ready", "error", err.Error())
			WriteError(w, r, &paybridge.Error{Kind: paybridge.EUNAVAILABLE, Code: "not_ready",
				Message: "A dependency is unavailable."})
			return
		}
		WriteJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
	})
}
