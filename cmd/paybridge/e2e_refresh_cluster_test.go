package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/clover/cloversim"
	"github.com/paybridge/paybridge/httpapi/apitest"
	"github.com/paybridge/paybridge/onboarding"
)

// countRefreshes counts the refresh calls that leave for Clover.
type countRefreshes struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countRefreshes) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/oauth/v2/refresh") {
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}

// TestRefreshAcrossInstances: two paybridge instances on one PostgreSQL
// database race to refresh a merchant's Clover tokens, round after round,
// under Clover's undocumented refresh rules as cloversim switches them
// (CLOVER.md §13.7): first the sim's defaults (a cap of 5 active refresh
// tokens, the old access token alive), then the strictest (a cap of 1, and
// a refresh that kills the old access token), with a second employee
// connecting in between (two triples, one cap). Each round exactly one
// refresh reaches Clover, the merchant stays active, and a charge through
// each instance works with the new token: no merchant ends up needing
// reauthorization.
func TestRefreshAcrossInstances(t *testing.T) {
	t.Parallel()
	dsn := postgresSchema(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cl, err := startCluster(ctx, clusterOptions{Instances: 2, DatabaseURL: dsn, Dir: t.TempDir(),
		Tweak: func(c *Config) { c.TokenRefreshInterval = time.Hour }}) // the test runs the refreshes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	mid, _, _ := cl.Sim.AddMerchant("Refresh Roofing")
	crm := httptest.NewTLSServer(http.NotFoundHandler()) // its return URL is never visited
	t.Cleanup(crm.Close)
	m0 := cl.Mains[0]
	o := &onb{sbx: &sbx{t: t, m: m0, http: &http.Client{Timeout: 30 * time.Second}, clients: map[string]*apitest.Client{}},
		secret: m0.Config.PlatformSecret, crm: crm}
	id, connectURL := o.integration("crm-refresh-cluster", crm.URL+"/return")
	connect := func(employee string) string {
		t.Helper()
		c := browser(t)
		_, authURL, _ := get(t, c, connectURL)
		form := url.Values{"merchant_id": {mid}, "employee_id": {employee}}
		resp, err := c.PostForm(authURL, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		st, ret, body := get(t, c, resp.Header.Get("Location"))
		u, _ := url.Parse(ret)
		if st != http.StatusFound || u == nil || u.Query().Get("code") == "" {
			t.Fatalf("callback = %d → %q: %s", st, ret, body)
		}
		st, ho := o.handoff(id, u.Query().Get("code"))
		if st != 200 {
			t.Fatalf("hand-off = %d %v", st, ho)
		}
		return ho["api_key"].(string)
	}
	key := connect("EMPLOYEE00001")
	mer, err := m0.DB.GetMerchantByCloverID(ctx, mid)
	if err != nil {
		t.Fatal(err)
	}

	var refreshes atomic.Int64
	so := cl.Sim.Options()
	refresher := func(m *Main, before time.Duration) *onboarding.Service {
		s := m.newOnboarding()
		s.RefreshBefore = before
		s.Clover = clover.New(clover.Config{URLs: m.Clover.URLs, AppID: so.AppID, ClientID: so.AppID, ClientSecret: so.ClientSecret,
			HTTPClient: &http.Client{Transport: countRefreshes{http.DefaultTransport, &refreshes}, Timeout: 10 * time.Second}})
		return s
	}
	charge := func(m *Main) {
		t.Helper()
		tok, err := m.Clover.CreateToken(ctx, mer.PAKMSKey, clover.TokenParams{Card: &clover.CardDetails{
			Number: visaOK, ExpMonth: "12", ExpYear: "2030", CVV: "123"}})
		if err != nil {
			t.Fatal(err)
		}
		c := apitest.NewClient(t, m.URL)
		c.Token = key
		var p map[string]any
		resp := c.DoJSON("POST", "/v1/payments", map[string]any{"amount": 1200, "currency": "usd", "source": tok.ID},
			map[string]string{"Idempotency-Key": paybridge.NewID("idem_")}, &p)
		if resp.StatusCode != 201 || p["status"] != "succeeded" {
			t.Fatalf("charge through %s after the refresh = %d %v", m.URL, resp.StatusCode, p)
		}
	}
	round := 0
	race := func() {
		t.Helper()
		round++
		cl.Sim.AdvanceClock(50 * time.Minute)
		before := refreshes.Load()
		// Due: the last pair expires 10 minutes inside the window; the
		// new one 30 minutes after it.
		window := time.Duration(round)*50*time.Minute + 30*time.Minute
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for _, m := range []*Main{cl.Mains[0], cl.Mains[1], cl.Mains[0], cl.Mains[1]} {
			s := refresher(m, window)
			wg.Go(func() {
				<-start
				errs <- s.RefreshDue(ctx)
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		got, err := m0.DB.GetMerchant(ctx, mer.ID)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := m0.DB.TokenUpkeep(ctx, mer.ID)
		if n := refreshes.Load() - before; n != 1 || got.Status != paybridge.MerchantActive {
			t.Fatalf("round %d: %d refreshes (want 1), merchant %s, upkeep %+v", round, n, got.Status, u)
		}
		charge(cl.Mains[0])
		charge(cl.Mains[1])
	}

	race()
	race()
	cl.Sim.SetRefreshRules(cloversim.RefreshRules{RefreshTokenCap: 1, RevokeAccessOnRefresh: true})
	key = connect("EMPLOYEE00002") // a second triple: its refresh token caps the first's
	race()
	race()
}
