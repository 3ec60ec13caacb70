package httpapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/paybridge/paybridge"
)

// maxRequestIDLen bounds a client-supplied X-Request-Id.
const maxRequestIDLen = 128

// RequestID gives every request an id (a sane incoming X-Request-Id, else a
// fresh "req_…"), echoes it in the response's X-Request-Id, and starts the
// per-request record the inner middleware fill in. It must be outermost.
func RequestID(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get("X-Request-Id")
			if !saneRequestID(id) {
				id = newRequestID()
			}
			w.Header().Set("X-Request-Id", id)
			ri := &requestInfo{id: id, logger: logger}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey, ri)))
		})
	}
}

// saneRequestID accepts 1–128 characters of [A-Za-z0-9._:-], so a client id
// can be correlated without letting it inject into logs.
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen || ContainsCardNumber(id) {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	return "req_" + rand.Text()
}

// AccessLog logs one JSON line per request (method, route pattern, status,
// duration, request id, merchant id) and records it in m (which may be nil).
// It never logs bodies, query strings, raw paths or headers, so neither
// Authorization nor anything card-like can reach the log.
func AccessLog(logger *slog.Logger, m *Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			d := time.Since(start)
			ri := infoFrom(r.Context())
			route, merchant, id := r.Pattern, "", ""
			if ri != nil {
				if ri.pattern != "" {
					route = ri.pattern
				}
				merchant, id = ri.merchantID, ri.id
			}
			if route == "" {
				route = "unmatched"
			}
			status := rec.statusCode()
			if m != nil {
				m.ObserveHTTP(route, r.Method, status, d)
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			logger.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Duration("duration", d),
				slog.String("request_id", id),
				slog.String("merchant_id", merchant),
			)
		})
	}
}

// Recover turns a handler panic into a logged 500 problem (if nothing was
// written yet) instead of a dropped connection. http.ErrAbortHandler is
// re-raised, as net/http expects.
func Recover(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w}
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.ErrorContext(r.Context(), "panic in handler",
					slog.String("request_id", RequestIDFrom(r.Context())),
					slog.String("panic", fmt.Sprintf("%T", v)),
					slog.String("stack", string(debug.Stack())))
				if !rec.wroteHeader {
					WriteError(rec, r, &paybridge.Error{Kind: paybridge.EINTERNAL, Message: "An internal error occurred."})
				}
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// SecurityHeaders sets the headers every API response carries: no MIME
// sniffing, no framing, no referrer, and no caching unless a handler says
// otherwise.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if h.Get("Cache-Control") == "" {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status written through it.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = http.StatusOK, true
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) statusCode() int {
	if !s.wroteHeader {
		return http.StatusOK
	}
	return s.status
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
