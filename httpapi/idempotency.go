package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
)

// IdempotencyStore is the part of paybridge.Store the Idempotency
// middleware needs (see paybridge.Store for each method's contract).
type IdempotencyStore interface {
	BeginIdempotent(ctx context.Context, rec *paybridge.IdempotencyRecord) (*paybridge.IdempotencyRecord, error)
	CompleteIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error
	ReleaseIdempotent(ctx context.Context, merchantID, key string) error
}

// Deferrer is implemented by an IdempotencyStore whose writes can skip
// waiting for the disk until a sync point (store.DB on SQLite, defer.go).
// The handler runs under Defer; the stored response is written durably
// (which makes every write before it durable) and Sync is called before
// the response is sent, so nothing the client is told can be lost.
type Deferrer interface {
	Defer(ctx context.Context) context.Context
	Sync(ctx context.Context) error
}

// MaxIdempotencyKeyLen is the longest Idempotency-Key accepted.
const MaxIdempotencyKeyLen = 255

// Idempotency makes POSTs carrying an Idempotency-Key safe to retry
// (DESIGN.md §5), scoped per merchant (it must run after Authenticate):
//
//   - same key, same request (SHA-256 of method, path and body), completed:
//     the stored status and body are replayed with Idempotent-Replayed: true;
//   - same key, different request: 422 idempotency_key_reused;
//   - same key while the first request is still running: 409
//     idempotency_in_flight;
//   - a response with status < 500 is stored on completion; on ≥ 500 (or a
//     panic) the key is released so the client can retry. The response is
//     held until then: the client never sees an answer that is not stored.
//
// Only the hash and the response are stored, never the request body, so a
// request refused for raw card data leaves no card number behind. Requests
// without the header, and methods other than POST, pass through. now may be
// nil (time.Now).
func Idempotency(store IdempotencyStore, now func() time.Time) func(http.Handler) http.Handler {
	if now == nil {
		now = time.Now
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key, present := r.Header["Idempotency-Key"]
			if r.Method != http.MethodPost || !present {
				next.ServeHTTP(w, r)
				return
			}
			claims, ok := ClaimsFrom(r.Context())
			if !ok {
				WriteError(w, r, fmt.Errorf("httpapi: Idempotency used without Authenticate"))
				return
			}
			if err := checkIdempotencyKey(key); err != nil {
				WriteError(w, r, err)
				return
			}
			body, err := readBody(w, r)
			if err != nil {
				WriteError(w, r, err)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			rec := &paybridge.IdempotencyRecord{
				MerchantID:  claims.MerchantID,
				Key:         key[0],
				RequestHash: requestHash(r, body),
				CreatedAt:   now().UTC(),
			}
			// The outcome must be recorded even if the client hangs up.
			ctx := context.WithoutCancel(r.Context())
			prev, err := store.BeginIdempotent(ctx, rec)
			if err != nil {
				WriteError(w, r, err)
				return
			}
			if prev != nil {
				replay(w, r, prev, rec.RequestHash)
				return
			}
			run(ctx, w, r, next, store, rec)
		})
	}
}

func checkIdempotencyKey(vals []string) error {
	if len(vals) != 1 {
		return &paybridge.Error{Kind: paybridge.EINVALID, Code: "invalid_idempotency_key", Param: "Idempotency-Key",
			Message: "Send exactly one Idempotency-Key header."}
	}
	k := vals[0]
	if k == "" || len(k) > MaxIdempotencyKeyLen || strings.ContainsFunc(k, func(c rune) bool { return c < 0x20 || c > 0x7e }) {
		return &paybridge.Error{Kind: paybridge.EINVALID, Code: "invalid_idempotency_key", Param: "Idempotency-Key",
			Message: fmt.Sprintf("Idempotency-Key must be 1 to %d printable ASCII characters.", MaxIdempotencyKeyLen)}
	}
	if ContainsCardNumber(k) {
		return rawCardError("Idempotency-Key")
	}
	return nil
}

// requestHash binds a key to one request: method, path (with query) and body.
func requestHash(r *http.Request, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", r.Method, r.URL.RequestURI())
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func replay(w http.ResponseWriter, r *http.Request, prev *paybridge.IdempotencyRecord, hash string) {
	switch {
	case prev.RequestHash != hash:
		WriteError(w, r, &paybridge.Error{Kind: paybridge.EUNPROCESSABLE, Code: "idempotency_key_reused", Param: "Idempotency-Key",
			Message: "This Idempotency-Key was already used with a different request; use a new key for a new request."})
	case !prev.Completed:
		WriteError(w, r, &paybridge.Error{Kind: paybridge.ECONFLICT, Code: "idempotency_in_flight", Param: "Idempotency-Key",
			Message: "A request with this Idempotency-Key is still being processed; retry later."})
	default:
		h := w.Header()
		ct := "application/json"
		if prev.Status >= 400 {
			ct = ProblemContentType
		}
		h.Set("Content-Type", ct)
		h.Set("Content-Length", strconv.Itoa(len(prev.Body)))
		h.Set("Idempotent-Replayed", "true")
		w.WriteHeader(prev.Status)
		_, _ = w.Write(prev.Body)
	}
}

// run serves the first request for a key, capturing its response, and
// stores or releases the key when the handler returns (or panics).
func run(ctx context.Context, w http.ResponseWriter, r *http.Request, next http.Handler, store IdempotencyStore, rec *paybridge.IdempotencyRecord) {
	d, deferring := store.(Deferrer)
	if deferring {
		r = r.WithContext(d.Defer(r.Context()))
	}
	cw := &captureWriter{header: w.Header()}
	done := false
	defer func() {
		if done {
			return
		}
		// A panic: release so the client may retry, then let Recover answer.
		if err := store.ReleaseIdempotent(ctx, rec.MerchantID, rec.Key); err != nil {
			loggerFrom(ctx).ErrorContext(ctx, "idempotency release failed", "request_id", RequestIDFrom(ctx), "error", err.Error())
		}
	}()
	next.ServeHTTP(cw, r)
	done = true
	status := cw.statusCode()
	var err error
	if status >= 500 {
		err = store.ReleaseIdempotent(ctx, rec.MerchantID, rec.Key)
	} else {
		err = store.CompleteIdempotent(ctx, rec.MerchantID, rec.Key, status, cw.body.Bytes())
	}
	if err != nil {
		// A retry may see 409 until the key expires, so it must be loud in
		// the logs; the response still goes out.
		loggerFrom(ctx).ErrorContext(ctx, "idempotency record failed", "request_id", RequestIDFrom(ctx), "status", status, "error", err.Error())
	}
	if deferring {
		if err := d.Sync(r.Context()); err != nil {
			WriteError(w, r, err)
			return
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(cw.body.Bytes())
}

// captureWriter keeps a response's status and body for the idempotency
// record and sends nothing: run sends them once the record is stored.
// Headers go straight to the real writer's map, which is sent only then.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captureWriter) Header() http.Header { return c.header }

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}

func (c *captureWriter) statusCode() int {
	if c.status == 0 {
		return http.StatusOK
	}
	return c.status
}
