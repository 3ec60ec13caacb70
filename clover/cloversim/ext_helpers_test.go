package cloversim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// extClock is a fixed wall clock for Options.Now (the test clock moves on
// top of it).
type extClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *extClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// extEnv is a Sim behind a real server whose BaseURL is the server's URL,
// and a webhook receiver.
type extEnv struct {
	t     *testing.T
	sim   *Sim
	srv   *httptest.Server
	mid   string
	token string
	pakms string
	hooks *hookRecv
}

// hookRecv records webhook POSTs and hands each to a channel.
type hookRecv struct {
	srv    *httptest.Server
	got    chan hookReq
	status func(n int) int // status for the n-th request (1-based)
	mu     sync.Mutex
	n      int
}

type hookReq struct {
	Header http.Header
	Body   []byte
}

func newHookRecv(t *testing.T) *hookRecv {
	h := &hookRecv{got: make(chan hookReq, 256), status: func(int) int { return http.StatusOK }}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.n++
		st := h.status(h.n)
		h.mu.Unlock()
		h.got <- hookReq{Header: r.Header.Clone(), Body: b}
		w.WriteHeader(st)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// next waits for the next webhook, failing after a deadline.
func (h *hookRecv) next(t *testing.T) hookReq {
	t.Helper()
	select {
	case r := <-h.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook arrived within 10s")
		return hookReq{}
	}
}

func newExtEnv(t *testing.T, mutate ...func(*Options)) *extEnv {
	t.Helper()
	clock := &extClock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	hooks := newHookRecv(t)
	// The listener exists before the Sim (which needs its URL), and the
	// server starts only once the Sim is built: no request can see it
	// half-made.
	srv := httptest.NewUnstartedServer(nil)
	o := Options{LimitsOff: true, Now: clock.Now, Seed: 1, BaseURL: "http://" + srv.Listener.Addr().String()}
	for _, f := range mutate {
		f(&o)
	}
	s := New(o)
	srv.Config.Handler = s
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = s.Close() })
	op := s.Options()
	return &extEnv{t: t, sim: s, srv: srv, mid: op.MerchantID, token: op.AccessToken, pakms: op.PAKMSKey, hooks: hooks}
}

// extResp is an HTTP answer.
type extResp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r extResp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// code is the error code of a Clover envelope ("" for a bare 401).
func (r extResp) code(t *testing.T) string {
	t.Helper()
	var b clover.ErrorBody
	r.decode(t, &b)
	if b.Message == "" {
		t.Fatalf("not an error envelope: %s", r.Body)
	}
	if b.Error == nil {
		return ""
	}
	return b.Error.Code
}

// do sends a request to the Sim; body is JSON-encoded unless it is a
// string or nil. Header pairs follow.
func (e *extEnv) do(method, path string, body any, hdr ...string) extResp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Forwarded-For", testPayerIP)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return extResp{Status: res.StatusCode, Header: res.Header, Body: b}
}

// api calls an authenticated surface as the default merchant.
func (e *extEnv) api(method, path string, body any) extResp {
	e.t.Helper()
	return e.do(method, path, body, "Authorization", "Bearer "+e.token, "X-Clover-Merchant-Id", e.mid)
}

// must fails unless r has status want, and decodes it into v (if non-nil).
func (e *extEnv) must(r extResp, want int, v any) {
	e.t.Helper()
	if r.Status != want {
		e.t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	if v != nil {
		r.decode(e.t, v)
	}
}

// customerWithCard creates a customer whose card on file has number.
func (e *extEnv) customerWithCard(number string) (customerID, cardID string) {
	e.t.Helper()
	var tok clover.Token
	e.must(e.do("POST", "/v1/tokens", clover.TokenParams{Card: &clover.CardDetails{
		Number: number, ExpMonth: "12", ExpYear: "2030", CVV: "123"}}, "apikey", e.pakms), 200, &tok)
	var cu clover.Customer
	e.must(e.api("POST", "/v1/customers", clover.CustomerParams{Email: "pat@example.com", Source: tok.ID}), 200, &cu)
	if cu.Sources == nil || len(cu.Sources.Data) != 1 {
		e.t.Fatalf("customer has no card: %+v", cu)
	}
	return cu.ID, cu.Sources.Data[0]
}
