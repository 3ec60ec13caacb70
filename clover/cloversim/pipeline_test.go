package cloversim

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	b := setup(t)
	midB, tokB, _ := b.sim.AddMerchant("B")
	expired := "expired-token"
	b.sim.mu.Lock()
	b.sim.grants[expired] = &grant{MerchantID: b.mid, Expires: b.clock.Now().Add(-time.Second)}
	b.sim.mu.Unlock()
	cases := []struct {
		name, token, path string
		hdr               []string
	}{
		{"no token", "", "/v1/charges", nil},
		{"unknown token", "nope", "/v1/charges", nil},
		{"expired token", expired, "/v1/charges", nil},
		{"pakms key as bearer", b.pakms, "/pakms/apikey", nil},
		{"basic auth", "", "/v1/charges", []string{"Authorization", "Basic " + b.token}},
		{"other merchant in path", b.token, "/v3/merchants/" + midB, nil},
		{"B token on A path", tokB, "/v3/merchants/" + b.mid + "/tax_rates", nil},
		{"merchant header mismatch", b.token, "/v1/charges", []string{"X-Clover-Merchant-Id", midB}},
	}
	for _, c := range cases {
		r, err := b.reqAs(t.Context(), c.token, "GET", c.path, nil, c.hdr...)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 401 || strings.TrimSpace(string(r.Raw)) != `{"message":"401 Unauthorized"}` {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
	}
	r := b.do("GET", "/v3/merchants/"+b.mid, nil, "X-Clover-Merchant-Id", b.mid)
	expect(t, r, 200)
	// As recorded (CLOVER.md §13.10): a UUID request id, JSON in UTF-8.
	if id := r.Header.Get("X-Clover-Request-Id"); uuidRE.FindString(id) != id || id == "" {
		t.Errorf("X-Clover-Request-Id %q is not a UUID", id)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	// A platform v3 error is {"details","message"}.
	r = b.do("GET", "/v3/merchants/"+b.mid+"/orders/ZZZZZZZZZZZZZ", nil)
	if r.Status != 404 || strings.TrimSpace(string(r.Raw)) != `{"details":"Order with id ZZZZZZZZZZZZZ not found.","message":"Not Found"}` {
		t.Errorf("v3 404: %d %s", r.Status, r.Raw)
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCrossMerchantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ch := b.mustCharge(clover.ChargeParams{Amount: 100, Currency: "usd", Source: b.tokenize(visa)})
	o := b.createOrder(clover.OrderItem{Amount: 100})
	_, tokB, _ := b.sim.AddMerchant("B")
	for _, p := range []string{"/v1/charges/" + ch.ID, "/v1/orders/" + o.ID} {
		r, _ := b.reqAs(t.Context(), tokB, "GET", p, nil)
		expect(t, r, 404)
	}
	for _, p := range []string{"/v1/refunds", "/v1/charges/" + ch.ID + "/capture"} {
		r, _ := b.reqAs(t.Context(), tokB, "POST", p, clover.RefundParams{Charge: ch.ID})
		expect(t, r, 404)
	}
	r, _ := b.reqAs(t.Context(), tokB, "POST", "/v1/orders/"+o.ID+"/pay", clover.PayOrderParams{Source: "x"})
	expect(t, r, 404)
}

func TestIdempotentReplay(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := clover.ChargeParams{Amount: 1234, Currency: "usd", Source: b.tokenize(visa)}
	first := b.do("POST", "/v1/charges", body, "idempotency-key", "k1")
	expect(t, first, 200)
	again := b.do("POST", "/v1/charges", body, "idempotency-key", "k1")
	expect(t, again, 200)
	if string(first.Raw) != string(again.Raw) {
		t.Errorf("replay differs:\n%s\n%s", first.Raw, again.Raw)
	}
	if l := b.sim.Ledger(b.mid); len(l) != 1 || l[0].Key != "k1" {
		t.Errorf("ledger %+v", l)
	}
	// Same key, other body.
	body.Amount = 999
	r := b.do("POST", "/v1/charges", body, "idempotency-key", "k1")
	expect(t, r, 400)
	if d := r.errDetail(t); d.Type != "idempotency_error" {
		t.Errorf("mismatch %+v", d)
	}
	// The key is per merchant: B may use k1 for its own charge.
	_, tokB, pkB := b.sim.AddMerchant("B")
	rb, _ := b.reqAs(t.Context(), tokB, "POST", "/v1/charges",
		clover.ChargeParams{Amount: 1234, Currency: "usd", Source: b.tokenizeWith(pkB, visa)}, "idempotency-key", "k1")
	expect(t, rb, 200)
	// Declines replay too, without a second charge.
	dec := clover.ChargeParams{Amount: 50, Currency: "usd", Source: b.tokenize("4005571702222222")}
	d1 := b.do("POST", "/v1/charges", dec, "idempotency-key", "k2")
	d2 := b.do("POST", "/v1/charges", dec, "idempotency-key", "k2")
	expect(t, d2, 402)
	if string(d1.Raw) != string(d2.Raw) {
		t.Error("decline not replayed")
	}
	if n := b.sim.ChargeCount(b.mid); n != 2 {
		t.Errorf("ChargeCount %d, want 2", n)
	}
}

func TestIdempotencyMismatchStatusOption(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.IdempotencyMismatchStatus = 422; o.RequireIdempotencyKey = true })
	tok := b.tokenize(visa)
	r := b.do("POST", "/v1/charges", clover.ChargeParams{Amount: 1, Currency: "usd", Source: tok})
	expect(t, r, 400)
	expect(t, b.do("POST", "/v1/charges", clover.ChargeParams{Amount: 1, Currency: "usd", Source: tok}, "idempotency-key", "a"), 200)
	expect(t, b.do("POST", "/v1/charges", clover.ChargeParams{Amount: 2, Currency: "usd", Source: tok}, "idempotency-key", "a"), 422)
}

func TestIdempotencyInFlight(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	b := setupGated(t, entered, release, func(o *Options) {})
	body := clover.ChargeParams{Amount: 100, Currency: "usd", Source: b.tokenize(visa)}
	done := make(chan resp)
	go func() {
		r, _ := b.reqAs(context.Background(), b.token, "POST", "/v1/charges", body, "idempotency-key", "k", "X-Hold", "1")
		done <- r
	}()
	<-entered
	r := b.do("POST", "/v1/charges", body, "idempotency-key", "k")
	expect(t, r, 409)
	if d := r.errDetail(t); d.Type != "idempotency_error" {
		t.Errorf("%+v", d)
	}
	close(release)
	expect(t, <-done, 200)
	expect(t, b.do("POST", "/v1/charges", body, "idempotency-key", "k"), 200)
	if n := len(b.sim.Ledger(b.mid)); n != 1 {
		t.Errorf("%d ledger entries", n)
	}
}

// setupGated is setup with a gate that holds requests carrying X-Hold until
// release is closed, announcing each on entered.
func setupGated(t *testing.T, entered, release chan struct{}, mutate func(*Options)) *bundle {
	clock := &testClock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	o := Options{LimitsOff: true, Now: clock.Now}
	mutate(&o)
	s := New(o)
	s.ecom.gate = func(r *http.Request) {
		if r.Header.Get("X-Hold") != "" {
			entered <- struct{}{}
			<-release
		}
	}
	return serve(t, s, clock)
}

func TestTimeoutAfterCommit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Faults.TimeoutAfterCommitRate = 1 })
	body := clover.ChargeParams{Amount: 4200, Currency: "usd", Source: b.tokenize(visa)}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := b.reqAs(ctx, b.token, "POST", "/v1/charges", body, "idempotency-key", "t1")
		errc <- err
	}()
	// Wait (polling, with a deadline) until the charge is committed.
	deadline := time.Now().Add(10 * time.Second)
	for len(b.sim.Ledger(b.mid)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("charge never committed")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-errc:
		t.Fatalf("client got an answer before giving up: %v", err)
	default:
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("client got a response; want none")
	}
	b.sim.SetFaults(Faults{})
	r := b.do("POST", "/v1/charges", body, "idempotency-key", "t1")
	expect(t, r, 200)
	var ch clover.Charge
	r.json(t, &ch)
	l := b.sim.Ledger(b.mid)
	if len(l) != 1 || l[0].ChargeID != ch.ID {
		t.Errorf("ledger %+v, replayed %s", l, ch.ID)
	}
}

func TestRateLimitPerTokenRPS(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.LimitsOff = false })
	for i := range 16 {
		if r := b.do("GET", "/v1/charges", nil); r.Status != 200 {
			t.Fatalf("request %d: %d", i+1, r.Status)
		}
	}
	r := b.do("GET", "/v1/charges", nil)
	expect(t, r, 429)
	if r.Header.Get("X-RateLimit-tokenLimit") != "16" || r.Header.Get("Retry-After") != "1" {
		t.Errorf("headers %v", r.Header)
	}
	if d := r.errDetail(t); d.Type != "rate_limit_error" || d.Code != "rate_limit" {
		t.Errorf("%+v", d)
	}
	if !strings.HasPrefix(string(r.Raw), `{"message":"429 Too Many Requests"`) {
		t.Errorf("body %s", r.Raw)
	}
	// Another token of the same app still has its own budget.
	_, tokB, _ := b.sim.AddMerchant("B")
	rb, _ := b.reqAs(t.Context(), tokB, "GET", "/v1/charges", nil)
	expect(t, rb, 200)
	// A second later the window has room again.
	b.clock.Add(time.Second)
	expect(t, b.do("GET", "/v1/charges", nil), 200)
}

// TestRateLimitPerMerchant: a merchant whose token Clover gives less (a
// hand-made one) is refused at its own limits; others keep the default.
func TestRateLimitPerMerchant(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.LimitsOff = false
		o.MerchantID = "HANDMADE0001"
		o.Limits = clover.DefaultBudget
		o.Limits.Merchants = map[string]clover.TokenBudget{"HANDMADE0001": {RPS: 2, Concurrent: 1}}
	})
	for range 2 {
		expect(t, b.do("GET", "/v1/charges", nil), 200)
	}
	r := b.do("GET", "/v1/charges", nil)
	expect(t, r, 429)
	if r.Header.Get("X-RateLimit-tokenLimit") != "2" {
		t.Errorf("headers %v, want the merchant's limit of 2", r.Header)
	}
	_, tokB, _ := b.sim.AddMerchant("B")
	for range 16 {
		rb, _ := b.reqAs(t.Context(), tokB, "GET", "/v1/charges", nil)
		expect(t, rb, 200)
	}
}

func TestRateLimitPerApp(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.LimitsOff = false
		o.Limits = clover.Budget{TokenRPS: 100, AppRPS: 3, TokenConcurrent: 5, AppConcurrent: 10}
	})
	_, tokB, _ := b.sim.AddMerchant("B")
	for _, tok := range []string{b.token, tokB, b.token} {
		r, _ := b.reqAs(t.Context(), tok, "GET", "/v1/charges", nil)
		expect(t, r, 200)
	}
	r, _ := b.reqAs(t.Context(), tokB, "GET", "/v1/charges", nil)
	expect(t, r, 429)
	if r.Header.Get("X-RateLimit-crossTokenLimit") != "3" {
		t.Errorf("headers %v", r.Header)
	}
}

func TestRateLimitConcurrency(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	b := setupGated(t, entered, release, func(o *Options) { o.LimitsOff = false })
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			r, err := b.reqAs(context.Background(), b.token, "GET", "/v1/charges", nil, "X-Hold", "1")
			if err != nil || r.Status != 200 {
				t.Errorf("held request: %v %d", err, r.Status)
			}
		})
	}
	for range 5 {
		<-entered
	}
	r := b.do("GET", "/v1/charges", nil)
	expect(t, r, 429)
	if r.Header.Get("X-RateLimit-tokenConcurrentLimit") != "5" || r.Header.Get("Retry-After") == "" {
		t.Errorf("headers %v", r.Header)
	}
	close(release)
	wg.Wait()
	b.clock.Add(time.Second)
	expect(t, b.do("GET", "/v1/charges", nil), 200)
}

func TestLimitsOff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for range 40 {
		expect(t, b.do("GET", "/v1/charges", nil), 200)
	}
}

func TestInjectedFaultsAreDeterministic(t *testing.T) {
	t.Parallel()
	run := func() string {
		b := setup(t, func(o *Options) { o.Seed = 42; o.Faults = Faults{ErrorRate: 0.3, RateLimitRate: 0.2} })
		var out strings.Builder
		for range 40 {
			r := b.do("GET", "/v1/charges", nil)
			out.WriteString(strconv.Itoa(r.Status) + " ")
			if r.Status >= 500 {
				if d := r.errDetail(t); d.Type != "api_error" {
					t.Errorf("5xx body %s", r.Raw)
				}
			}
			if r.Status == 429 && r.Header.Get("Retry-After") == "" {
				t.Error("injected 429 without Retry-After")
			}
		}
		return out.String()
	}
	a, c := run(), run()
	if a != c {
		t.Errorf("same seed, different faults:\n%s\n%s", a, c)
	}
	for _, want := range []string{"200", "429", "50"} {
		if !strings.Contains(a, want) {
			t.Errorf("sequence %s lacks %s", a, want)
		}
	}
}

func TestLogNormal(t *testing.T) {
	t.Parallel()
	p50, p99 := 100*time.Millisecond, 900*time.Millisecond
	if got := logNormal(p50, p99, 0); got != p50 {
		t.Errorf("median %v", got)
	}
	if got := logNormal(p50, p99, 2.3263478740408408); got < 899*time.Millisecond || got > 901*time.Millisecond {
		t.Errorf("p99 %v", got)
	}
	if logNormal(0, p99, 3) != 0 || logNormal(p50, 0, 3) != p50 {
		t.Error("degenerate cases")
	}
}

func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.do("GET", "/v1/nothing", nil)
	expect(t, r, 404)
	if d := r.errDetail(t); d.Code != "resource_missing" {
		t.Errorf("%+v", d)
	}
	expect(t, b.do("DELETE", "/v1/charges", nil), 404)
}
