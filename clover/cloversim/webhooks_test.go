package cloversim

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

func TestWebhookVerification(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	if r := e.do("POST", "/_sim/webhooks/verify", nil); r.Status != 400 {
		t.Errorf("verify without URL: status %d", r.Status)
	}
	if r := e.do("PUT", "/_sim/webhooks", map[string]string{"url": "ftp://x"}); r.Status != 400 {
		t.Errorf("bad URL: status %d", r.Status)
	}
	e.must(e.do("PUT", "/_sim/webhooks", map[string]string{"url": e.hooks.srv.URL}), 200, nil)
	var out struct {
		VerificationCode string `json:"verificationCode"`
		Status           int    `json:"status"`
	}
	e.must(e.do("POST", "/_sim/webhooks/verify", nil), 200, &out)
	h := e.hooks.next(t)
	var v clover.VerificationPayload
	if err := json.Unmarshal(h.Body, &v); err != nil {
		t.Fatal(err)
	}
	if v.VerificationCode == "" || v.VerificationCode != out.VerificationCode || out.Status != 200 {
		t.Errorf("sent %s, answered %+v", h.Body, out)
	}
	var ds []WebhookDelivery
	e.must(e.do("GET", "/_sim/webhooks/deliveries", nil), 200, &ds)
	if len(ds) != 1 || ds[0].Kind != "verification" || ds[0].Status != 200 {
		t.Errorf("deliveries = %+v", ds)
	}
}

func TestChargeSendsAuthenticatedWebhook(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, func(o *Options) { o.WebhookAuthCode = "static-auth-code" })
	e.must(e.do("PUT", "/_sim/webhooks", map[string]string{"url": e.hooks.srv.URL}), 200, nil)
	var tok clover.Token
	e.must(e.do("POST", "/v1/tokens", clover.TokenParams{Card: &clover.CardDetails{
		Number: "4242424242424242", ExpMonth: "12", ExpYear: "2030", CVV: "123"}}, "apikey", e.pakms), 200, &tok)
	var ch clover.Charge
	e.must(e.api("POST", "/v1/charges", clover.ChargeParams{Amount: 1500, Currency: "usd", Source: tok.ID}), 200, &ch)
	h := e.hooks.next(t)
	if got := h.Header.Get("X-Clover-Auth"); got != "static-auth-code" {
		t.Errorf("X-Clover-Auth = %q", got)
	}
	var p clover.WebhookPayload
	if err := json.Unmarshal(h.Body, &p); err != nil {
		t.Fatal(err)
	}
	evs := p.Merchants[e.mid]
	if p.AppID != e.sim.Options().AppID || len(evs) != 1 || evs[0].ObjectID != "P:"+ch.ID || evs[0].Type != "CREATE" || evs[0].TS != ch.Created {
		t.Errorf("payload = %s (charge %s)", h.Body, ch.ID)
	}
}

func TestWebhookBatchesEvents(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, func(o *Options) { o.WebhookURL = "" })
	e.sim.ext.hooks.window = 500 * time.Millisecond // before the goroutine starts
	e.must(e.do("PUT", "/_sim/webhooks", map[string]string{"url": e.hooks.srv.URL, "auth_code": "code-2"}), 200, nil)
	e.sim.notify(e.mid, "O:AAAAAAAAAAAAA", "CREATE")
	e.sim.notify(e.mid, "P:BBBBBBBBBBBBB", "CREATE")
	e.sim.notify("OTHERMERCHANT", "C:CCCCCCCCCCCCC", "UPDATE")
	h := e.hooks.next(t)
	var p clover.WebhookPayload
	if err := json.Unmarshal(h.Body, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Merchants[e.mid]) != 2 || len(p.Merchants["OTHERMERCHANT"]) != 1 || h.Header.Get("X-Clover-Auth") != "code-2" {
		t.Errorf("batch = %s auth %q", h.Body, h.Header.Get("X-Clover-Auth"))
	}
	if p.Merchants[e.mid][0].ObjectID != "O:AAAAAAAAAAAAA" {
		t.Errorf("events out of order: %s", h.Body)
	}
}

func TestWebhookRetriesFailures(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	e.hooks.status = func(n int) int {
		if n < 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	e.sim.ext.hooks.backoff = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}
	e.must(e.do("PUT", "/_sim/webhooks", map[string]string{"url": e.hooks.srv.URL}), 200, nil)
	e.sim.notify(e.mid, "O:AAAAAAAAAAAAA", "CREATE")
	var bodies []string
	for range 3 {
		bodies = append(bodies, string(e.hooks.next(t).Body))
	}
	if bodies[0] != bodies[2] {
		t.Errorf("retry changed the body: %q vs %q", bodies[0], bodies[2])
	}
	ds := pollDeliveries(t, e.sim, 3)
	if ds[0].Status != 503 || ds[1].Status != 503 || ds[2].Status != 200 || ds[2].Attempt != 3 {
		t.Errorf("deliveries = %+v", ds)
	}
}

// pollDeliveries waits until n deliveries are recorded.
func pollDeliveries(t *testing.T, s *Sim, n int) []WebhookDelivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds := s.WebhookDeliveries()
		if len(ds) >= n {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d deliveries, want %d", len(ds), n)
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
}

// lockedBuf is a goroutine-safe log sink.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestWebhookQueueFullDropsWithoutBlocking(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(stuck.Close)
	t.Cleanup(func() { close(release) })
	logs := &lockedBuf{}
	e := newExtEnv(t, func(o *Options) {
		o.WebhookURL = stuck.URL
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.sim.mu.Lock() // notify must not need s.mu
		defer e.sim.mu.Unlock()
		for range whQueueSize + whMaxBatch + 50 {
			e.sim.notify(e.mid, "O:AAAAAAAAAAAAA", "UPDATE")
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("notify blocked")
	}
	if !strings.Contains(logs.String(), "DROPPED") {
		t.Error("a full queue did not log the drop")
	}
	_ = e.sim.Close()                                // aborts the stuck delivery
	_ = e.sim.Close()                                // idempotent
	e.sim.notify(e.mid, "O:AAAAAAAAAAAAA", "UPDATE") // after Close: dropped, no panic
}

func TestNoWebhookWithoutURL(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	e.sim.notify(e.mid, "O:AAAAAAAAAAAAA", "CREATE")
	e.sim.ext.hooks.mu.Lock()
	started := e.sim.ext.hooks.started
	e.sim.ext.hooks.mu.Unlock()
	if started {
		t.Error("delivery goroutine started with no URL configured")
	}
}
