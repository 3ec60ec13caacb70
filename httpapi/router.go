package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
)

// Router is the /v1 API's http.Handler: a ServeMux whose routes get the
// whole stack in the right order. Around every request: request id, access
// log and metrics, panic recovery, security headers, the API version
// (Paybridge-Version) and a raw-card check of the URL. Around routes
// registered with Handle: authentication, the API key's rate limit and
// Idempotency-Key handling. Set the exported fields before registering
// routes; NewRouter fills the defaults.
type Router struct {
	Logger      *slog.Logger
	Metrics     *Metrics // nil: no metrics
	Keyring     *apikey.Keyring
	Revoked     RevokedFunc // nil: no revocation check
	Idempotency IdempotencyStore
	// Finisher finishes the Idempotency-Keys of requests whose process
	// died (Recovery); nil: such keys answer 409 until they expire.
	Finisher Finisher
	// Limiter bounds each API key's request rate (nil: no limit).
	Limiter paybridge.RateLimiter
	Now     func() time.Time

	mux      *http.ServeMux
	once     sync.Once
	handler  http.Handler
	patterns []string
}

// NewRouter returns a Router authenticating with kr and keeping idempotency
// keys in store, logging JSON to stderr, serving the OpenAPI spec at
// GET /openapi.yaml and answering unknown routes with a 404 problem.
func NewRouter(kr *apikey.Keyring, store IdempotencyStore) *Router {
	rt := &Router{
		Logger:      slog.New(slog.NewJSONHandler(os.Stderr, nil)),
		Keyring:     kr,
		Idempotency: store,
		Now:         time.Now,
		mux:         http.NewServeMux(),
	}
	rt.HandlePublic("GET /openapi.yaml", SpecHandler())
	rt.HandlePublic("/", http.HandlerFunc(rt.noRoute))
	return rt
}

// probeMethods are the methods a 405's Allow header may list.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// noRoute answers what no route matched: 405 with Allow when the path is
// served for other methods, else 404. (The catch-all "/" pattern would
// otherwise hide ServeMux's own 405s.)
func (rt *Router) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range probeMethods {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := rt.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		WriteError(w, r, &paybridge.Error{Kind: paybridge.EMETHOD, Code: "method_not_allowed",
			Message: fmt.Sprintf("%s is not served at this path; it takes %s.", r.Method, strings.Join(allow, ", "))})
		return
	}
	WriteError(w, r, &paybridge.Error{Kind: paybridge.ENOTFOUND, Code: "route_not_found",
		Message: "No such endpoint; see /openapi.yaml."})
}

// Handle registers an authenticated route (pattern as for http.ServeMux,
// e.g. "POST /v1/customers"). Its POSTs honour Idempotency-Key. It panics
// when Keyring or Idempotency is nil: a wiring bug must fail at start-up,
// not turn into unauthenticated routes or silently ignored keys.
func (rt *Router) Handle(pattern string, h http.Handler) {
	if rt.Keyring == nil || rt.Idempotency == nil {
		panic("httpapi: Router.Handle needs a Keyring and an IdempotencyStore")
	}
	h = IdempotencyRecovering(rt.Idempotency, rt.Finisher, rt.Now)(h)
	if rt.Limiter != nil {
		h = RateLimited(rt.Limiter)(h)
	}
	h = Authenticate(rt.Keyring, rt.Revoked)(h)
	rt.HandlePublic(pattern, h)
}

// HandleFunc is Handle for a function.
func (rt *Router) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	rt.Handle(pattern, http.HandlerFunc(f))
}

// HandlePublic registers a route without authentication (health checks,
// the spec, metrics, webhooks that carry their own signatures).
//
// A /v1 route refuses query parameters its operation in the spec does not
// declare (400 unknown_parameter).
func (rt *Router) HandlePublic(pattern string, h http.Handler) {
	rt.patterns = append(rt.patterns, pattern)
	allowed, strict := queryNamesFor(pattern)
	rt.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri := infoFrom(r.Context()); ri != nil {
			ri.pattern = pattern
		}
		if strict {
			if err := checkQuery(allowed, r.URL.RawQuery); err != nil {
				WriteError(w, r, err)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
}

// Patterns returns every registered route pattern, in registration order
// (for checking that the OpenAPI spec documents them all).
func (rt *Router) Patterns() []string { return append([]string(nil), rt.patterns...) }

// ServeHTTP serves a request through the full middleware stack.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.once.Do(func() {
		var h http.Handler = rt.mux
		h = rejectCardInURL(h)
		h = Versioned(h)
		h = SecurityHeaders(h)
		h = Recover(rt.Logger)(h)
		h = AccessLog(rt.Logger, rt.Metrics)(h)
		h = RequestID(rt.Logger)(h)
		rt.handler = h
	})
	rt.handler.ServeHTTP(w, r)
}

// rejectCardInURL refuses a card number in the path or query string before
// routing, so it reaches no handler (and the log records only the pattern).
func rejectCardInURL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := url.QueryUnescape(r.URL.RawQuery)
		if err != nil {
			q = r.URL.RawQuery
		}
		switch {
		case ContainsCardNumber(r.URL.Path):
			WriteError(w, r, rawCardError("path"))
		case ContainsCardNumber(q):
			WriteError(w, r, rawCardError("query"))
		default:
			next.ServeHTTP(w, r)
		}
	})
}
