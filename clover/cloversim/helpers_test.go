package cloversim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// testClock is a settable clock for Options.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// bundle is one running Sim behind a real HTTP server.
type bundle struct {
	t     *testing.T
	sim   *Sim
	srv   *httptest.Server
	clock *testClock
	mid   string
	token string
	pakms string
}

// setup starts a Sim with limits off (unless opts says otherwise via
// limitsOn) on a fixed clock. mutate may adjust the options and the Sim
// before it serves.
func setup(t *testing.T, mutate ...func(*Options)) *bundle {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	o := Options{LimitsOff: true, Now: clock.Now, Seed: 1}
	for _, f := range mutate {
		f(&o)
	}
	s := New(o)
	return serve(t, s, clock)
}

func serve(t *testing.T, s *Sim, clock *testClock) *bundle {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	op := s.Options()
	return &bundle{t: t, sim: s, srv: srv, clock: clock, mid: op.MerchantID, token: op.AccessToken, pakms: op.PAKMSKey}
}

// resp is an HTTP answer with its body decoded loosely.
type resp struct {
	Status int
	Header http.Header
	Raw    []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Raw, v); err != nil {
		t.Fatalf("decode %s: %v", r.Raw, err)
	}
}

func (r resp) errDetail(t *testing.T) clover.ErrorDetail {
	t.Helper()
	var b clover.ErrorBody
	r.json(t, &b)
	if b.Error == nil {
		t.Fatalf("no error object in %s", r.Raw)
	}
	return *b.Error
}

// req sends method path with body (nil, []byte or a value to marshal) and
// headers as "Name", "value" pairs, authenticated with token unless a
// header overrides Authorization.
func (b *bundle) reqAs(ctx context.Context, token, method, path string, body any, hdr ...string) (resp, error) {
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(v)
	default:
		j, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	r, err := http.NewRequestWithContext(ctx, method, b.srv.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("X-Forwarded-For", testPayerIP) // as Clover requires (forwarded.go); a header pair may override it
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := b.srv.Client().Do(r)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	return resp{Status: res.StatusCode, Header: res.Header, Raw: raw}, nil
}

func (b *bundle) do(method, path string, body any, hdr ...string) resp {
	b.t.Helper()
	r, err := b.reqAs(b.t.Context(), b.token, method, path, body, hdr...)
	if err != nil {
		b.t.Fatal(err)
	}
	return r
}

// expect fails unless r has status want.
func expect(t *testing.T, r resp, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Raw)
	}
}

// tokenizeWith makes a clv_ token for number with a PAKMS key.
func (b *bundle) tokenizeWith(pakms, number string) string {
	b.t.Helper()
	cvv := "123"
	if detectBrand(number) == "AMEX" {
		cvv = "1234"
	}
	r := b.do("POST", "/v1/tokens", clover.TokenParams{Card: &clover.CardDetails{
		Number: number, ExpMonth: "12", ExpYear: "2030", CVV: cvv}}, "apikey", pakms, "Authorization", "")
	expect(b.t, r, 200)
	var tok clover.Token
	r.json(b.t, &tok)
	return tok.ID
}

func (b *bundle) tokenize(number string) string { return b.tokenizeWith(b.pakms, number) }

// charge charges amount to a fresh token of number (capture true).
func (b *bundle) charge(number string, amount int64, hdr ...string) resp {
	b.t.Helper()
	return b.do("POST", "/v1/charges", clover.ChargeParams{Amount: amount, Currency: "usd", Source: b.tokenize(number)}, hdr...)
}

func (b *bundle) mustCharge(p clover.ChargeParams) clover.Charge {
	b.t.Helper()
	r := b.do("POST", "/v1/charges", p)
	expect(b.t, r, 200)
	var ch clover.Charge
	r.json(b.t, &ch)
	return ch
}

const visa = "4242424242424242"

// testPayerIP is the customer address the test requests send.
const testPayerIP = "203.0.113.7"
