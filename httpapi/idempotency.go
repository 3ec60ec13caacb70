package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
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
//     a stored 202 (a payment still processing) is answered from the
//     payment as it is now, and replaced by the final answer once there is
//     one (so retrying until the status is not 202 learns the outcome);
//   - same key, different request: 422 idempotency_key_reused;
//   - same key while the first request is still running: 409
//     idempotency_in_flight; but when the process running it has died (its
//     lease expired: Orphaned), the key is finished from its recovery point
//     by fin (see Recovery) and the retry gets that answer;
//   - a response with status < 500 is stored on completion; on ≥ 500 (or a
//     panic) the key is released so the client can retry, unless the
//     request had already created its resource (a payment), which then
//     answers instead. The response is held until then: the client never
//     sees an answer that is not stored.
//
// The handler runs with a paybridge.RequestKey in its context, so the
// store records the key's recovery point with the resource it creates.
// Only the hash and the response are stored, never the request body, so a
// request refused for raw card data leaves no card number behind. Requests
// without the header, and methods other than POST, pass through. now may be
// nil (time.Now); fin may be nil (no recovery: orphaned keys stay 409).
func Idempotency(store IdempotencyStore, now func() time.Time) func(http.Handler) http.Handler {
	return IdempotencyRecovering(store, nil, now)
}

// IdempotencyRecovering is Idempotency with a Finisher for the keys of
// requests whose process died.
func IdempotencyRecovering(store IdempotencyStore, fin Finisher, now func() time.Time) func(http.Handler) http.Handler {
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
			// The outcome must be recorded even if the client hangs up.
			ctx := context.WithoutCancel(r.Context())
			for range 2 { // a second time after an orphaned key was released
				rec := &paybridge.IdempotencyRecord{
					MerchantID:  claims.MerchantID,
					Key:         key[0],
					RequestHash: requestHash(r, body),
					CreatedAt:   now().UTC(),
					Claim:       rand.Text(),
				}
				prev, err := store.BeginIdempotent(ctx, rec)
				if err != nil {
					WriteError(w, r, err)
					return
				}
				if prev == nil {
					rk := paybridge.RequestKey{MerchantID: rec.MerchantID, Key: rec.Key, Claim: rec.Claim}
					run(paybridge.WithRequestKey(ctx, rk), w, r.WithContext(paybridge.WithRequestKey(r.Context(), rk)), next, store, fin, rec)
					return
				}
				if prev.RequestHash == rec.RequestHash && fin != nil {
					switch {
					case !prev.Completed && prev.Orphaned:
						if prev, err = fin.Finish(ctx, prev); err != nil {
							WriteError(w, r, err)
							return
						} else if prev == nil {
							continue // released: run the request afresh
						}
					case prev.Completed && prev.Status == http.StatusAccepted && prev.Resource != "":
						prev = fin.Refresh(ctx, prev)
					}
				}
				replay(w, r, prev, rec.RequestHash)
				return
			}
			WriteError(w, r, inFlight())
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
		WriteError(w, r, inFlight())
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

func inFlight() error {
	return &paybridge.Error{Kind: paybridge.ECONFLICT, Code: "idempotency_in_flight", Param: "Idempotency-Key",
		Message: "A request with this Idempotency-Key is still being processed; retry later."}
}

// run serves the first request for a key, capturing its response, and
// stores or releases the key when the handler returns (or panics).
func run(ctx context.Context, w http.ResponseWriter, r *http.Request, next http.Handler, store IdempotencyStore, fin Finisher, rec *paybridge.IdempotencyRecord) {
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
	status, body := cw.statusCode(), cw.body.Bytes()
	var err error
	if status >= 500 {
		err = store.ReleaseIdempotent(ctx, rec.MerchantID, rec.Key)
		if paybridge.ErrorCode(err) == "idempotency_created" && fin != nil {
			// The request made its payment, then failed: it answers with
			// that payment's outcome, as any retry will.
			var got *paybridge.IdempotencyRecord
			cur := *rec
			if got, err = store.BeginIdempotent(ctx, &cur); err == nil && got != nil && !got.Completed {
				got, err = fin.Finish(ctx, got)
			}
			if err == nil && got != nil && got.Completed {
				status, body = got.Status, got.Body
				h := w.Header()
				h.Set("Content-Length", strconv.Itoa(len(body)))
				if status < 400 {
					h.Set("Content-Type", "application/json")
				}
			}
		}
	} else {
		err = store.CompleteIdempotent(ctx, rec.MerchantID, rec.Key, status, body)
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
	_, _ = w.Write(body)
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
