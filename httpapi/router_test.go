package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/httpapi"
	"github.com/paybridge/paybridge/httpapi/apitest"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type bundle struct {
	srv     *httptest.Server
	kr      *apikey.Keyring
	metrics *httpapi.Metrics
	logs    *syncBuffer
	revoked *sync.Map
}

func setup(t *testing.T, register func(rt *httpapi.Router)) *bundle {
	t.Helper()
	kr, err := apikey.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	b := &bundle{kr: kr, metrics: httpapi.NewMetrics(), logs: &syncBuffer{}, revoked: &sync.Map{}}
	rt := httpapi.NewRouter(kr, &apitest.MemIdempotency{})
	rt.Logger = slog.New(slog.NewJSONHandler(b.logs, nil))
	rt.Metrics = b.metrics
	rt.Revoked = func(_ context.Context, c *apikey.Claims) (bool, error) {
		_, ok := b.revoked.Load(c.ID)
		return ok, nil
	}
	rt.HandlePublic("GET /healthz", httpapi.HealthHandler())
	rt.HandlePublic("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	if register != nil {
		register(rt)
	}
	b.srv = httptest.NewServer(rt)
	t.Cleanup(b.srv.Close)
	return b
}

func (b *bundle) token(t *testing.T, merchant string) (string, *apikey.Claims) {
	t.Helper()
	tok, err := b.kr.Issue(apikey.Claims{MerchantID: merchant}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.kr.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	return tok, c
}

func customerRoutes(rt *httpapi.Router) {
	var n int
	var mu sync.Mutex
	rt.HandleFunc("POST /v1/customers", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Email    string            `json:"email"`
			Name     string            `json:"name"`
			Phone    string            `json:"phone"`
			Metadata map[string]string `json:"metadata"`
		}
		if err := httpapi.Decode(w, r, &in); err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
		c, _ := httpapi.ClaimsFrom(r.Context())
		mu.Lock()
		n++
		id := fmt.Sprintf("cus_%s_%d", c.MerchantID, n)
		mu.Unlock()
		httpapi.WriteJSON(w, r, http.StatusCreated, paybridge.Customer{ID: id, Email: in.Email, Name: in.Name,
			Metadata: map[string]string{}, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()})
	})
	rt.HandleFunc("GET /v1/customers/{id}", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteError(w, r, paybridge.Errorf(paybridge.ENOTFOUND, "id", "No such customer."))
	})
}

func TestRouterEndToEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, customerRoutes)
	c := apitest.NewClient(t, b.srv.URL)

	// No key: 401 problem with a challenge.
	resp, data := c.Do("POST", "/v1/customers", map[string]any{"email": "a@example.com"}, nil)
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") ||
		apitest.Problem(t, data).Code != "missing_api_key" {
		t.Fatalf("no key: %d %q %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), data)
	}

	tok, claims := b.token(t, "mer_a")
	c.Token = tok
	hdr := map[string]string{"Idempotency-Key": "create-1", "X-Request-Id": "crm-req-42"}
	resp, first := c.Do("POST", "/v1/customers", map[string]any{"email": "a@example.com", "name": "Ann"}, hdr)
	if resp.StatusCode != 201 || resp.Header.Get("X-Request-Id") != "crm-req-42" {
		t.Fatalf("create: %d %q %s", resp.StatusCode, resp.Header.Get("X-Request-Id"), first)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff header")
	}
	resp, again := c.Do("POST", "/v1/customers", map[string]any{"email": "a@example.com", "name": "Ann"}, hdr)
	if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first, again) {
		t.Errorf("replay: %d %q %s", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), again)
	}
	resp, data = c.Do("POST", "/v1/customers", map[string]any{"email": "b@example.com"}, hdr)
	if resp.StatusCode != 422 || apitest.Problem(t, data).Code != "idempotency_key_reused" {
		t.Errorf("reuse: %d %s", resp.StatusCode, data)
	}

	// Validation failures are 400 problems that name the field.
	resp, data = c.DoRaw("POST", "/v1/customers", `{"email":"a@example.com","age":3}`, nil)
	if p := apitest.Problem(t, data); resp.StatusCode != 400 || p.Code != "unknown_field" || p.Param != "age" {
		t.Errorf("unknown field: %d %+v", resp.StatusCode, p)
	}
	resp, data = c.DoRaw("POST", "/v1/customers", `{"email":"a@example.com","name":"4111 1111 1111 1111"}`, map[string]string{"Idempotency-Key": "card"})
	if p := apitest.Problem(t, data); resp.StatusCode != 400 || p.Code != "raw_card_data" || p.Param != "name" {
		t.Errorf("card: %d %+v", resp.StatusCode, p)
	}
	resp, data = c.DoRaw("GET", "/v1/customers/x?note=4111-1111-1111-1111", nil, nil)
	if p := apitest.Problem(t, data); resp.StatusCode != 400 || p.Code != "raw_card_data" {
		t.Errorf("card in query: %d %+v", resp.StatusCode, p)
	}
	resp, data = c.Do("GET", "/v1/customers/cus_other", nil, map[string]string{"X-Request-Id": "bad id with spaces"})
	if p := apitest.Problem(t, data); resp.StatusCode != 404 || p.RequestID == "" || p.RequestID == "bad id with spaces" ||
		p.RequestID != resp.Header.Get("X-Request-Id") {
		t.Errorf("404: %d %+v (header %q)", resp.StatusCode, p, resp.Header.Get("X-Request-Id"))
	}

	// Revoked key.
	b.revoked.Store(claims.ID, true)
	resp, data = c.Do("GET", "/v1/customers/cus_1", nil, nil)
	if resp.StatusCode != 401 || apitest.Problem(t, data).Code != "api_key_revoked" {
		t.Errorf("revoked: %d %s", resp.StatusCode, data)
	}

	// Public routes and the spec.
	resp, data = c.Do("GET", "/openapi.yaml", nil, nil)
	if resp.StatusCode != 200 || !bytes.Equal(data, httpapi.Spec()) {
		t.Errorf("spec: %d, %d bytes", resp.StatusCode, len(data))
	}
	if resp, _ := c.Do("GET", "/healthz", nil, nil); resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}

	// Logs: one JSON line per request, with route and merchant, and never
	// the token, a body or a card number.
	logs := b.logs.String()
	for _, bad := range []string{tok, "4111", "Ann", "a@example.com"} {
		if strings.Contains(logs, bad) {
			t.Errorf("log contains %q", bad)
		}
	}
	if !strings.Contains(logs, `"route":"POST /v1/customers"`) || !strings.Contains(logs, `"merchant_id":"mer_a"`) ||
		!strings.Contains(logs, `"request_id":"crm-req-42"`) {
		t.Errorf("log lacks route/merchant/request id:\n%s", logs)
	}

	// Metrics count by pattern.
	rec := httptest.NewRecorder()
	b.metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `http_requests_total{method="POST",route="POST /v1/customers",status="201"} 2`) {
		t.Errorf("metrics lack the customer creations:\n%s", grep(rec.Body.String(), "http_requests_total"))
	}
}

func TestRouterRecoversPanics(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	resp, err := http.Get(b.srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != httpapi.ProblemContentType || strings.Contains(string(body), "boom") {
		t.Errorf("panic: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(b.logs.String(), "panic in handler") {
		t.Error("panic not logged")
	}
	resp, err = http.Get(b.srv.URL + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != httpapi.ProblemContentType {
		t.Errorf("unknown route: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestMetricsObserve(t *testing.T) {
	t.Parallel()
	m := httpapi.NewMetrics()
	m.ObserveClover("POST /v1/charges", 402, 30*time.Millisecond)
	m.ObserveClover("POST /v1/charges", 0, time.Second)
	m.ObservePayment("succeeded")
	m.ObserveGovernorWait("money", 5*time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{
		`clover_calls_total{endpoint="POST /v1/charges",status="402"} 1`,
		`clover_calls_total{endpoint="POST /v1/charges",status="network_error"} 1`,
		`clover_call_duration_seconds_count{endpoint="POST /v1/charges"} 2`,
		`payments_total{outcome="succeeded"} 1`,
		`governor_wait_seconds_count{class="money"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// recordingTB captures Errorf so a test can check apitest complains.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestAPITestCatchesSpecViolations(t *testing.T) {
	t.Parallel()
	b := setup(t, func(rt *httpapi.Router) {
		rt.HandleFunc("GET /v1/customers/{id}", func(w http.ResponseWriter, r *http.Request) {
			// Missing id and created_at, and email is a number.
			httpapi.WriteJSON(w, r, 200, map[string]any{"email": 5, "name": "x", "phone": "", "metadata": nil})
		})
		rt.HandleFunc("GET /v1/invoices/{id}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain") // an error that is not a problem
			w.WriteHeader(404)
			io.WriteString(w, "not found")
		})
	})
	tok, _ := b.token(t, "mer_a")
	cases := []struct {
		name, method, path string
		body               any
		raw                bool
		want               string
	}{
		{"bad response body", "GET", "/v1/customers/cus_1", nil, false, "does not match the spec"},
		{"error that is not a problem", "GET", "/v1/invoices/inv_1", nil, false, "does not match the spec"},
		{"bad request body", "POST", "/v1/customers", map[string]any{"email": "a@example.com", "extra": 1}, false, "request POST /v1/customers does not match"},
		{"undocumented route", "GET", "/v1/nothing", nil, false, "is not in the spec"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rtb := &recordingTB{TB: t}
			c := apitest.NewClient(rtb, b.srv.URL)
			c.Token = tok
			c.Do(tc.method, tc.path, tc.body, nil)
			rtb.mu.Lock()
			defer rtb.mu.Unlock()
			if len(rtb.errs) == 0 || !strings.Contains(strings.Join(rtb.errs, "\n"), tc.want) {
				t.Errorf("apitest errors %q, want one containing %q", rtb.errs, tc.want)
			}
		})
	}
	// DoRaw skips request validation but still checks the response.
	rtb := &recordingTB{TB: t}
	c := apitest.NewClient(rtb, b.srv.URL)
	c.Token = tok
	c.DoRaw("POST", "/v1/customers", `{"email":"a@example.com","extra":1}`, nil)
	if len(rtb.errs) != 0 {
		t.Errorf("DoRaw complained about a valid 400 response: %q", rtb.errs)
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
