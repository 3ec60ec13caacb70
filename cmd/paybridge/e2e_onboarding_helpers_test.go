package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge/httpapi/apitest"
)

// lockedBuffer collects Main's logs from many goroutines, to prove no
// secret reaches them.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// onb is a sandbox with debug logs captured and a CRM return endpoint.
type onb struct {
	*sbx
	logs   *lockedBuffer
	secret string
	crm    *httptest.Server
}

// startOnboarding runs the real Main in sandbox mode with every log line
// (debug included) captured, and a fake CRM whose return URL answers 200.
func startOnboarding(t *testing.T, tweak ...func(*Config)) *onb {
	t.Helper()
	cfg, err := loadConfig(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.ReconcileInterval, cfg.TokenRefreshInterval = time.Hour, time.Hour // tests run jobs explicitly
	for _, f := range tweak {
		f(&cfg)
	}
	logs := &lockedBuffer{}
	m := &Main{Config: cfg, Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "CRM: connected")
	}))
	t.Cleanup(crm.Close)
	e := &sbx{t: t, m: m, key: m.Sandbox.APIKey, http: &http.Client{Timeout: 30 * time.Second}, clients: map[string]*apitest.Client{}}
	return &onb{sbx: e, logs: logs, secret: m.Sandbox.PlatformSecret, crm: crm}
}

// integration creates (or finds) an integration with the platform secret.
func (o *onb) integration(key, returnURL string) (id, connectURL string) {
	o.t.Helper()
	st, out := o.callAs(o.secret, "POST", "/v1/integrations",
		map[string]any{"type": "fieldpro", "external_key": key, "return_url": returnURL})
	if st != 201 && st != 200 {
		o.t.Fatalf("POST /v1/integrations = %d: %v", st, out)
	}
	return out["id"].(string), out["connect_url"].(string)
}

// browser is a cookie-keeping client that does not follow redirects, so
// each hop of the OAuth dance can be checked.
func browser(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get does GET url and returns status, Location and body.
func get(t testing.TB, c *http.Client, u string) (int, string, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// consent plays the merchant on cloversim's consent page: it follows
// connect_url to Clover and accepts for merchant mid. It returns the
// callback URL Clover redirects to (not yet visited).
func (o *onb) consent(c *http.Client, connectURL, mid, employee string) string {
	o.t.Helper()
	st, authURL, _ := get(o.t, c, connectURL)
	if st != http.StatusFound || !strings.HasPrefix(authURL, o.m.Sim.Options().BaseURL+"/oauth/v2/authorize?") {
		o.t.Fatalf("connect_url = %d → %q, want 302 to Clover's authorize", st, authURL)
	}
	form := url.Values{"merchant_id": {mid}}
	if employee != "" {
		form.Set("employee_id", employee)
	}
	resp, err := c.PostForm(authURL, form)
	if err != nil {
		o.t.Fatal(err)
	}
	resp.Body.Close()
	cb := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(cb, o.m.URL+"/oauth/callback?") {
		o.t.Fatalf("consent = %d → %q, want 302 to the callback", resp.StatusCode, cb)
	}
	return cb
}

// connect runs the whole dance for mid and returns the hand-off code the
// CRM receives on its return URL.
func (o *onb) connect(c *http.Client, connectURL, mid, employee string) string {
	o.t.Helper()
	cb := o.consent(c, connectURL, mid, employee)
	st, ret, body := get(o.t, c, cb)
	if st != http.StatusFound {
		o.t.Fatalf("callback = %d, want 302: %s", st, body)
	}
	u, err := url.Parse(ret)
	if err != nil || !strings.HasPrefix(ret, o.crm.URL) {
		o.t.Fatalf("callback redirected to %q, want the CRM's return URL %s", ret, o.crm.URL)
	}
	return u.Query().Get("code")
}

// handoff redeems a code and returns the answer.
func (o *onb) handoff(id, code string) (int, map[string]any) {
	o.t.Helper()
	return o.callAs(o.secret, "POST", "/v1/integrations/"+id+"/handoff", map[string]any{"code": code})
}

// cloverCalls reads how many HTTP attempts paybridge made to a Clover
// endpoint from /metrics.
func (o *onb) cloverCalls(endpoint string) int {
	o.t.Helper()
	return o.countCloverCalls(func(line string) bool {
		return strings.HasPrefix(line, `clover_calls_total{endpoint="`+endpoint+`"`)
	})
}

// countCloverCalls sums the clover_calls_total lines of /metrics that
// match.
func (o *onb) countCloverCalls(match func(line string) bool) int {
	o.t.Helper()
	resp, err := http.Get(o.m.URL + "/metrics")
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); match(line) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			n += int(v)
		}
	}
	return n
}
