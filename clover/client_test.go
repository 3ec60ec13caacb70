package clover_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

const (
	testToken  = "tok-9f8e7d6c5b4a39281706"
	testSecret = "secret-0a1b2c3d4e5f6071"
)

var auth = clover.Auth{MerchantID: "MERCHANT12345", AccessToken: testToken}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// bundle is what setup returns: a client pointed at an httptest server whose
// behaviour is the handler, with recorded sleeps, calls and requests.
type bundle struct {
	c      *clover.Client
	srv    *httptest.Server
	mu     sync.Mutex
	sleeps []time.Duration
	calls  []clover.CallInfo
	reqs   []*http.Request
	bodies [][]byte
	logs   bytes.Buffer
}

func (b *bundle) requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.reqs)
}

func setup(t *testing.T, h http.HandlerFunc) *bundle {
	t.Helper()
	b := &bundle{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.reqs = append(b.reqs, r)
		b.bodies = append(b.bodies, body)
		b.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r)
	}))
	t.Cleanup(b.srv.Close)
	u := b.srv.URL
	var logMu sync.Mutex
	b.c = clover.New(clover.Config{
		URLs:  clover.URLs{Ecommerce: u, Tokenizer: u, Web: u, API: u, Checkout: u},
		AppID: "APP", ClientID: "CLIENT", ClientSecret: testSecret,
		Retry: clover.RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
			b.mu.Lock()
			b.sleeps = append(b.sleeps, d)
			b.mu.Unlock()
			return ctx.Err()
		}},
		OnCall: func(ci clover.CallInfo) {
			b.mu.Lock()
			b.calls = append(b.calls, ci)
			b.mu.Unlock()
		},
		Logger: slog.New(slog.NewTextHandler(lockedWriter{&logMu, &b.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	return b
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// sequence answers the i-th request with the i-th (status, body), repeating
// the last one.
func sequence(steps ...func(w http.ResponseWriter)) http.HandlerFunc {
	var n atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		steps[min(i, len(steps)-1)](w)
	}
}

func answer(status int, body string, hdr ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// hangUp closes the connection without answering: a network error after the
// request reached the server.
func hangUp(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

const chargeOK = `{"id":"8CCA17W869QWY","amount":100,"currency":"usd","status":"succeeded","paid":true,"captured":true}`

func charge(ctx context.Context, c *clover.Client, o *clover.RequestOptions) (*clover.Charge, error) {
	return c.CreateCharge(ctx, auth, clover.ChargeParams{Amount: 100, Currency: "usd", Source: "clv_1TSTabc"}, withPayer(o))
}

// withPayer is o (or new options) with the payer's address Clover requires.
func withPayer(o *clover.RequestOptions) *clover.RequestOptions {
	var cp clover.RequestOptions
	if o != nil {
		cp = *o
	}
	if cp.ForwardedFor == "" {
		cp.ForwardedFor = "203.0.113.7"
	}
	return &cp
}

func TestRetryRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		steps    []func(http.ResponseWriter)
		requests int
		ok       bool
	}{
		{"5xx then success is retried", []func(http.ResponseWriter){answer(503, `{"message":"503 Service Unavailable"}`), answer(200, chargeOK)}, 2, true},
		{"429 then success is retried", []func(http.ResponseWriter){answer(429, `{"message":"429 Too Many Requests"}`), answer(200, chargeOK)}, 2, true},
		{"network error then success is retried", []func(http.ResponseWriter){hangUp, answer(200, chargeOK)}, 2, true},
		{"persistent 500 stops after MaxAttempts", []func(http.ResponseWriter){answer(500, `{}`)}, 4, false},
		{"400 is not retried", []func(http.ResponseWriter){answer(400, `{"message":"400 Bad Request","error":{"code":"invalid_request"}}`)}, 1, false},
		{"401 is not retried", []func(http.ResponseWriter){answer(401, `{"message":"401 Unauthorized"}`)}, 1, false},
		{"402 is not retried", []func(http.ResponseWriter){answer(402, `{"message":"402 Payment Required","error":{"type":"card_error","code":"card_declined"}}`)}, 1, false},
		{"404 is not retried", []func(http.ResponseWriter){answer(404, `{"message":"404 Not Found"}`)}, 1, false},
		{"409 is not retried", []func(http.ResponseWriter){answer(409, `{"message":"409 Conflict","error":{"code":"order_already_paid"}}`)}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, sequence(tt.steps...))
			_, err := charge(t.Context(), b.c, nil)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if got := b.requests(); got != tt.requests {
				t.Errorf("requests = %d, want %d", got, tt.requests)
			}
			if got := len(b.sleeps); got != tt.requests-1 {
				t.Errorf("sleeps = %d, want %d", got, tt.requests-1)
			}
			if got := len(b.calls); got != tt.requests {
				t.Errorf("OnCall calls = %d, want %d", got, tt.requests)
			}
			for i, ci := range b.calls {
				if want := i < tt.requests-1; ci.Retrying != want || ci.Attempt != i+1 {
					t.Errorf("call %d: Attempt %d Retrying %v, want %d %v", i, ci.Attempt, ci.Retrying, i+1, want)
				}
			}
		})
	}
}

func TestSameIdempotencyKeyOnEveryRetry(t *testing.T) {
	t.Parallel()
	for _, given := range []string{"", "caller-key-42"} {
		t.Run("key="+given, func(t *testing.T) {
			t.Parallel()
			b := setup(t, sequence(answer(502, ``), hangUp, answer(429, ``), answer(200, chargeOK)))
			if _, err := charge(t.Context(), b.c, &clover.RequestOptions{IdempotencyKey: given, ForwardedFor: "203.0.113.9"}); err != nil {
				t.Fatal(err)
			}
			if b.requests() != 4 {
				t.Fatalf("requests = %d, want 4", b.requests())
			}
			first := b.reqs[0].Header.Get("Idempotency-Key")
			if given != "" && first != given {
				t.Errorf("key = %q, want the caller's %q", first, given)
			}
			if given == "" && !uuidV4.MatchString(first) {
				t.Errorf("generated key %q is not a UUIDv4", first)
			}
			for i, r := range b.reqs {
				if k := r.Header.Get("Idempotency-Key"); k != first {
					t.Errorf("attempt %d key %q, want %q", i+1, k, first)
				}
				if !bytes.Equal(b.bodies[i], b.bodies[0]) {
					t.Errorf("attempt %d body differs", i+1)
				}
				if r.Header.Get("X-Forwarded-For") != "203.0.113.9" {
					t.Errorf("attempt %d x-forwarded-for = %q", i+1, r.Header.Get("X-Forwarded-For"))
				}
			}
			for _, ci := range b.calls {
				if ci.IdempotencyKey != first {
					t.Errorf("CallInfo key %q, want %q", ci.IdempotencyKey, first)
				}
			}
		})
	}
}

func TestFreshKeyPerCall(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(200, chargeOK)))
	for range 2 {
		if _, err := charge(t.Context(), b.c, nil); err != nil {
			t.Fatal(err)
		}
	}
	if k0, k1 := b.reqs[0].Header.Get("Idempotency-Key"), b.reqs[1].Header.Get("Idempotency-Key"); k0 == k1 {
		t.Errorf("two calls share key %q", k0)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(429, `{"message":"429 Too Many Requests"}`, "Retry-After", "3"),
		answer(429, `{}`, "Retry-After", "7"), answer(200, chargeOK)))
	if _, err := charge(t.Context(), b.c, nil); err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{3 * time.Second, 7 * time.Second}; !equalDurations(b.sleeps, want) {
		t.Errorf("sleeps = %v, want %v", b.sleeps, want)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestContextCancelStopsRetries(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(503, `{"message":"503 Service Unavailable"}`)))
	ctx, cancel := context.WithCancel(t.Context())
	b.c.Retry.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel() // the caller gives up while we wait
		<-ctx.Done()
		return ctx.Err()
	}
	_, err := charge(ctx, b.c, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if b.requests() != 1 {
		t.Errorf("requests = %d, want 1", b.requests())
	}
	if !clover.IsUnknownOutcome(err) {
		t.Errorf("IsUnknownOutcome = false after a 503 then cancel; the write may have happened")
	}
}

func TestContextEndedBeforeSendIsNotUnknown(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(200, chargeOK)))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := charge(ctx, b.c, nil)
	if !errors.Is(err, context.Canceled) || clover.IsUnknownOutcome(err) {
		t.Fatalf("err = %v (unknown=%v), want a definite context.Canceled", err, clover.IsUnknownOutcome(err))
	}
	if b.requests() != 0 {
		t.Errorf("requests = %d, want 0", b.requests())
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(200, chargeOK)))
	b.srv.Close()
	_, err := charge(t.Context(), b.c, nil)
	var te *clover.TransportError
	if !errors.As(err, &te) || te.Sent {
		t.Fatalf("err = %#v, want an unsent *TransportError", err)
	}
	if clover.IsUnknownOutcome(err) {
		t.Error("IsUnknownOutcome = true for a refused connection")
	}
	if len(b.calls) != 4 || b.calls[0].Status != 0 || b.calls[0].ErrCode != "network" {
		t.Errorf("calls = %+v, want 4 network attempts", b.calls)
	}
	if strings.Contains(err.Error(), b.srv.URL) {
		t.Errorf("error %q repeats the URL", err)
	}
}

func TestUnknownOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		steps   []func(http.ResponseWriter)
		unknown bool
	}{
		{"5xx after retries", []func(http.ResponseWriter){answer(500, `{"message":"500 Internal Server Error"}`)}, true},
		{"hang-up after sending", []func(http.ResponseWriter){hangUp}, true},
		{"429 after a 5xx", []func(http.ResponseWriter){answer(503, ``), answer(429, ``)}, true},
		{"429 only", []func(http.ResponseWriter){answer(429, ``)}, false},
		{"definite 400", []func(http.ResponseWriter){answer(400, `{"message":"400 Bad Request"}`)}, false},
		{"decline", []func(http.ResponseWriter){answer(402, `{"message":"402 Payment Required"}`)}, false},
		{"undecodable success", []func(http.ResponseWriter){answer(200, `{"id":`)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, sequence(tt.steps...))
			_, err := charge(t.Context(), b.c, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if got := clover.IsUnknownOutcome(err); got != tt.unknown {
				t.Errorf("IsUnknownOutcome(%v) = %v, want %v", err, got, tt.unknown)
			}
		})
	}
}

func TestDeclineParsed(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(402, `{"message":"402 Payment Required","error":{"type":"card_error","code":"card_declined","message":"The card was declined.","charge":"8CCA17W869QWY","decline_code":"do_not_honor"}}`,
		"X-Clover-Request-Id", "req-777")))
	_, err := charge(t.Context(), b.c, nil)
	var e *clover.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *clover.Error", err)
	}
	want := clover.Error{Status: 402, Type: "card_error", Code: "card_declined", Message: "The card was declined.",
		DeclineCode: "do_not_honor", ChargeID: "8CCA17W869QWY", RequestID: "req-777"}
	if e.Status != want.Status || e.Type != want.Type || e.Code != want.Code || e.Message != want.Message ||
		e.DeclineCode != want.DeclineCode || e.ChargeID != want.ChargeID || e.RequestID != want.RequestID {
		t.Errorf("error = %+v, want %+v", *e, want)
	}
	if !clover.IsDecline(err) || clover.IsUnauthorized(err) || clover.IsUnknownOutcome(err) {
		t.Errorf("IsDecline/IsUnauthorized/IsUnknownOutcome = %v/%v/%v, want true/false/false",
			clover.IsDecline(err), clover.IsUnauthorized(err), clover.IsUnknownOutcome(err))
	}
	if got := err.Error(); got != "clover: 402 card_error/card_declined: The card was declined. (request req-777)" {
		t.Errorf("Error() = %q", got)
	}
	if b.calls[0].RequestID != "req-777" || b.calls[0].ErrCode != "card_declined" {
		t.Errorf("CallInfo = %+v", b.calls[0])
	}
}

func TestBare401(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(401, `{"message":"401 Unauthorized"}`)))
	_, err := b.c.GetCharge(t.Context(), auth, "8CCA17W869QWY")
	if !clover.IsUnauthorized(err) || clover.IsDecline(err) {
		t.Fatalf("err = %v, want unauthorized", err)
	}
	var e *clover.Error
	errors.As(err, &e)
	if e.Status != 401 || e.Message != "401 Unauthorized" || e.Code != "" {
		t.Errorf("error = %+v", *e)
	}
	if b.requests() != 1 {
		t.Errorf("requests = %d, want 1 (401 is never retried)", b.requests())
	}
}

func TestSuccessBody(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(200, chargeOK, "X-Clover-Request-Id", "r1")))
	ch, err := charge(t.Context(), b.c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ch.ID != "8CCA17W869QWY" || ch.Amount != 100 || !ch.Paid || ch.Status != "succeeded" {
		t.Errorf("charge = %+v", ch)
	}
	if b.calls[0].Status != 200 || b.calls[0].RequestID != "r1" || b.calls[0].Path != "/v1/charges" || b.calls[0].MerchantID != auth.MerchantID {
		t.Errorf("CallInfo = %+v", b.calls[0])
	}
}

func TestSuccessStatusWithMessageIsError(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(200, `{"message":"400 Bad Request","error":{"code":"invalid_request","message":"Please provide a valid currency."}}`)))
	ch, err := charge(t.Context(), b.c, nil)
	var e *clover.Error
	if !errors.As(err, &e) || ch != nil {
		t.Fatalf("charge %v err %v, want *clover.Error", ch, err)
	}
	if e.Status != 400 || e.Code != "invalid_request" || e.Message != "Please provide a valid currency." {
		t.Errorf("error = %+v", *e)
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	// A hostile server echoes everything it got into its error message.
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		msg, _ := json.Marshal(r.Header.Get("Authorization") + " " + r.Header.Get("Apikey") + " " + string(body))
		answer(400, `{"message":"400 Bad Request","error":{"message":`+string(msg)+`}}`)(w)
	})
	_, err1 := b.c.GetCharge(t.Context(), auth, "X")
	_, err2 := b.c.ExchangeCode(t.Context(), "code-abcdef", "")
	_, err3 := b.c.RefreshToken(t.Context(), "refresh-123456")
	_, err4 := b.c.CreateToken(t.Context(), "pakms-key-5555", clover.TokenParams{Card: &clover.CardDetails{Number: "4242424242424242", ExpMonth: "12", ExpYear: "2030", CVV: "123"}})
	for _, err := range []error{err1, err2, err3, err4} {
		if err == nil {
			t.Fatal("no error")
		}
		for _, secret := range []string{testToken, testSecret, "code-abcdef", "refresh-123456", "pakms-key-5555", "4242424242424242"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Error() %q contains a secret", err)
			}
		}
	}
	logs := b.logs.String()
	infos, _ := json.Marshal(b.calls)
	for _, secret := range []string{testToken, testSecret, "refresh-123456", "pakms-key-5555", "4242424242424242"} {
		if strings.Contains(logs, secret) || strings.Contains(string(infos), secret) {
			t.Errorf("logs or CallInfo contain %q", secret)
		}
	}
	if !strings.Contains(logs, "clover call") {
		t.Error("nothing logged: the leak check would be vacuous")
	}
}

// recordingGovernor counts acquisitions and releases per key.
type recordingGovernor struct {
	mu       sync.Mutex
	keys     []clover.BudgetKey
	held     int
	released int
}

func (g *recordingGovernor) Acquire(ctx context.Context, k clover.BudgetKey) (func(), error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.keys = append(g.keys, k)
	g.held++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			g.held--
			g.released++
			g.mu.Unlock()
		})
	}, nil
}

func TestGovernorPerAttempt(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(503, ``), answer(200, chargeOK), answer(200, `{"id":"clv_x"}`)))
	g := &recordingGovernor{}
	b.c.Governor = g
	if _, err := charge(t.Context(), b.c, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.c.CreateToken(t.Context(), "pakms-1", clover.TokenParams{Card: &clover.CardDetails{}}); err != nil {
		t.Fatal(err)
	}
	want := []clover.BudgetKey{
		{App: "APP", Token: clover.TokenFingerprint(testToken), Merchant: auth.MerchantID},
		{App: "APP", Token: clover.TokenFingerprint(testToken), Merchant: auth.MerchantID},
		{App: "APP", Token: "pakms:" + clover.TokenFingerprint("pakms-1"), Priority: clover.PriorityBackground},
	}
	if len(g.keys) != len(want) {
		t.Fatalf("acquired %v, want %v", g.keys, want)
	}
	for i := range want {
		if g.keys[i] != want[i] {
			t.Errorf("acquire %d key %+v, want %+v", i, g.keys[i], want[i])
		}
	}
	if g.held != 0 || g.released != 3 {
		t.Errorf("held %d released %d, want 0 and 3", g.held, g.released)
	}
}

type refusingGovernor struct{}

func (refusingGovernor) Acquire(ctx context.Context, _ clover.BudgetKey) (func(), error) {
	return nil, context.DeadlineExceeded
}

func TestGovernorRefusalSendsNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(200, chargeOK)))
	b.c.Governor = refusingGovernor{}
	_, err := charge(t.Context(), b.c, nil)
	if !errors.Is(err, context.DeadlineExceeded) || clover.IsUnknownOutcome(err) || b.requests() != 0 {
		t.Errorf("err %v requests %d, want a definite deadline error and no request", err, b.requests())
	}
}

func TestRefreshTokenNeverRetriedAfterSending(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		steps    []func(http.ResponseWriter)
		requests int
		unknown  bool
	}{
		{"5xx is not retried", []func(http.ResponseWriter){answer(500, ``), answer(200, `{}`)}, 1, true},
		{"hang-up is not retried", []func(http.ResponseWriter){hangUp, answer(200, `{}`)}, 1, true},
		{"429 is retried", []func(http.ResponseWriter){answer(429, ``), answer(200, `{"access_token":"new"}`)}, 2, false},
		{"400 is not retried", []func(http.ResponseWriter){answer(400, `{"message":"400 Bad Request"}`)}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, sequence(tt.steps...))
			tok, err := b.c.RefreshToken(t.Context(), "rt-1")
			if b.requests() != tt.requests {
				t.Errorf("requests = %d, want %d", b.requests(), tt.requests)
			}
			if tt.requests == 2 && (err != nil || tok.AccessToken != "new") {
				t.Errorf("token %v err %v", tok, err)
			}
			if got := clover.IsUnknownOutcome(err); got != tt.unknown {
				t.Errorf("IsUnknownOutcome(%v) = %v, want %v", err, got, tt.unknown)
			}
		})
	}
	t.Run("connection refused is retried", func(t *testing.T) {
		t.Parallel()
		b := setup(t, sequence(answer(200, `{}`)))
		b.srv.Close()
		_, err := b.c.RefreshToken(t.Context(), "rt-1")
		if len(b.calls) != 4 || clover.IsUnknownOutcome(err) {
			t.Errorf("attempts %d unknown %v, want 4 and false", len(b.calls), clover.IsUnknownOutcome(err))
		}
	})
}

// TestBeforeSend: the hook runs once per call, before the first attempt
// and before the budget is taken; its error stops the call with nothing
// sent.
func TestBeforeSend(t *testing.T) {
	t.Parallel()
	b := setup(t, sequence(answer(503, ``), answer(200, chargeOK)))
	g := &recordingGovernor{}
	b.c.Governor = g
	var calls int
	b.c.BeforeSend = func(context.Context) error {
		calls++
		if len(g.keys) != 0 {
			t.Error("BeforeSend ran after the budget was taken")
		}
		return nil
	}
	if _, err := charge(t.Context(), b.c, nil); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || b.requests() != 2 {
		t.Errorf("BeforeSend ran %d times for a call of %d attempts, want once", calls, b.requests())
	}

	refused := errors.New("disk gone")
	b.c.BeforeSend = func(context.Context) error { return refused }
	before := b.requests()
	if _, err := charge(t.Context(), b.c, nil); !errors.Is(err, refused) || clover.IsUnknownOutcome(err) || b.requests() != before {
		t.Errorf("err %v, %d requests sent, want the hook's definite error and none", err, b.requests()-before)
	}
}
