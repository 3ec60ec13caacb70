package cloversim

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// maxBody caps request bodies; Clover's own bodies are a few kilobytes.
const maxBody = 1 << 20

// api wraps an apiFunc with the request pipeline, in Clover's order:
//
//  1. bearer auth (unknown or expired token → bare 401 {"message":"401 Unauthorized"});
//  2. merchant scoping: a {mId} path segment or an X-Clover-Merchant-Id header
//     must name the grant's merchant (mismatch → 401), and the recurring and
//     hosted-checkout surfaces require the header;
//  3. rate limits per token and per app (429 with X-RateLimit-* and retry-after);
//  4. injected faults: 429, 5xx, latency (drawn from Options.Seed);
//  5. the x-forwarded-for header on charge create and order pay
//     (forwardedFor; refused before the idempotency check, so the key is
//     not spent on a request Clover never took);
//  6. idempotency replay for POSTs carrying an idempotency-key;
//  7. the handler; then, if the timeout-after-commit fault was drawn and the
//     request is a write (not GET), no answer at all: the result is stored
//     (and replays for its idempotency key) but the connection is aborted
//     once the client gives up.
func (s *Sim) api(h apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok {
			writeUnauthorized(w)
			return
		}
		s.mu.Lock()
		g := s.grants[token]
		var m *merchant
		if g != nil && (g.Expires.IsZero() || s.nowLocked().Before(g.Expires)) {
			m = s.merchants[g.MerchantID]
		}
		s.mu.Unlock()
		if m == nil || !merchantMatches(r, m.ID) {
			writeUnauthorized(w)
			return
		}

		release, limited := s.admit(token, m.ID)
		if limited != nil {
			writeLimited(w, limited)
			return
		}
		defer release()

		f := s.drawFault()
		if f.rateLimit {
			rps, _ := s.opts.Limits.Token(m.ID)
			writeLimited(w, &limitHit{header: hdrTokenLimit, value: perSecond(rps), retryAfter: 1})
			return
		}
		if f.status != 0 {
			writeAPIError(w, errf(f.status, "api_error", "", "%s", http.StatusText(f.status)))
			return
		}
		if !outsideTx(r, func() bool { return sleepCtx(r.Context(), f.latency) }) {
			return // the client went away while we were "slow"
		}

		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", "Could not read the request body.")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if e := s.forwardedFor(r); e != nil {
			writeAPIError(w, e)
			return
		}
		c := &call{M: m, Grant: g, Token: token, Key: r.Header.Get("idempotency-key"),
			ForwardedFor: r.Header.Get("X-Forwarded-For"), DeclineCaptured: f.declineCaptured}

		run := func() (int, []byte) {
			if gate := s.ecom.gate; gate != nil {
				gate(r)
			}
			status, body, e := h(r, c)
			if e != nil && strings.HasPrefix(r.URL.Path, "/v3/") {
				return e.Status, v3Error(e)
			}
			return render(status, body, e)
		}
		var status int
		var out []byte
		if r.Method == http.MethodPost && c.Key != "" {
			status, out = s.idempotent(m.ID, c.Key, requestHash(r, body), run)
		} else {
			status, out = run()
		}

		if f.timeoutAfterCommit && r.Method != http.MethodGet {
			// The write happened and is stored; the answer never arrives.
			commitNow(r)
			<-r.Context().Done()
			panic(http.ErrAbortHandler)
		}
		w.Header().Set("Content-Type", jsonType)
		w.WriteHeader(status)
		_, _ = w.Write(out)
	}
}

// render turns a handler's result into the status and bytes to send.
func render(status int, body any, e *apiError) (int, []byte) {
	if e != nil {
		d := e.Detail
		return e.Status, envelope(e.Status, &d)
	}
	b, err := json.Marshal(body)
	if err != nil {
		e := errf(500, "api_error", "processing_error", "cloversim: cannot encode response")
		return e.Status, envelope(e.Status, &e.Detail)
	}
	return status, append(b, '\n')
}

// requestHash fingerprints a request for idempotency: method, path and body,
// so a key reused on another endpoint is a mismatch too.
func requestHash(r *http.Request, body []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
	h.Write(body)
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	a := r.Header.Get("Authorization")
	const p = "bearer "
	if len(a) <= len(p) || !strings.EqualFold(a[:len(p)], p) {
		return "", false
	}
	t := strings.TrimSpace(a[len(p):])
	return t, t != ""
}

// merchantMatches applies Clover's merchant scoping: a path {mId} or an
// X-Clover-Merchant-Id header must be the token's merchant, and the recurring
// and hosted-checkout surfaces cannot be called without the header.
func merchantMatches(r *http.Request, mid string) bool {
	if p := r.PathValue("mId"); p != "" && p != mid {
		return false
	}
	h := r.Header.Get("X-Clover-Merchant-Id")
	if h != "" && h != mid {
		return false
	}
	needsHeader := strings.HasPrefix(r.URL.Path, "/recurring/") ||
		strings.HasPrefix(r.URL.Path, "/invoicingcheckoutservice/")
	return !needsHeader || h != ""
}
