package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/onboarding"
)

// loseRefresh delivers /oauth/v2/refresh to Clover, lets Clover act on it,
// and loses the answer: the single-use refresh token is spent and the new
// pair never arrives.
type loseRefresh struct{ next http.RoundTripper }

func (l loseRefresh) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err == nil && strings.HasSuffix(r.URL.Path, "/oauth/v2/refresh") {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, errors.New("connection reset by peer")
	}
	return resp, err
}

// refresher is an onboarding service over the running Main's store and
// Clover, with its own refresh window (so tests decide what is due).
func (o *onb) refresher(before time.Duration, transport http.RoundTripper) *onboarding.Service {
	s := o.m.newOnboarding()
	s.RefreshBefore = before
	if transport != nil {
		opts := o.m.Sim.Options()
		base := opts.BaseURL
		s.Clover = clover.New(clover.Config{
			URLs:  clover.URLs{Ecommerce: base, Tokenizer: base, Web: base, API: base, Checkout: base},
			AppID: opts.AppID, ClientID: opts.AppID, ClientSecret: opts.ClientSecret,
			HTTPClient: &http.Client{Transport: transport, Timeout: 10 * time.Second},
		})
	}
	return s
}

func (o *onb) status(merID string) paybridge.MerchantStatus {
	o.t.Helper()
	m, err := o.m.DB.GetMerchant(context.Background(), merID)
	if err != nil {
		o.t.Fatal(err)
	}
	return m.Status
}

// TestOnboardingTokenRefresh: refresh before expiry, once however many
// runners race; a lost answer or a refusal marks the merchant
// reauthorization_required (writes 403, reads fine, connect page offers
// reconnect) and a reconnect restores it.
func TestOnboardingTokenRefresh(t *testing.T) {
	t.Parallel()
	o := startOnboarding(t)
	ctx := context.Background()
	mid, _, _ := o.m.Sim.AddMerchant("Refresh Repairs")
	id, connectURL := o.integration("crm-refresh", o.crm.URL+"/return")
	_, ho := o.handoff(id, o.connect(browser(t), connectURL, mid, ""))
	key := ho["api_key"].(string)
	merID := ho["merchant"].(map[string]any)["id"].(string)
	u0, err := o.m.DB.TokenUpkeep(ctx, merID)
	if err != nil {
		t.Fatal(err)
	}
	sealed0, _ := o.m.DB.MerchantCredentials(ctx, merID)

	// Nothing is due yet: no refresh.
	if err := o.refresher(15*time.Minute, nil).RefreshDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := o.cloverCalls("/oauth/v2/refresh"); n != 0 {
		t.Fatalf("refreshes of a fresh token = %d, want 0", n)
	}

	t.Run("racing runners refresh once", func(t *testing.T) {
		// Clover's clock moves on, so the new pair expires after the window.
		o.m.Sim.AdvanceClock(50 * time.Minute)
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 4)
		for range 4 {
			s := o.refresher(30*time.Minute, nil)
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
				t.Fatal(err)
			}
		}
		if n := o.cloverCalls("/oauth/v2/refresh"); n != 1 {
			t.Fatalf("refresh calls = %d, want exactly 1", n)
		}
		u1, _ := o.m.DB.TokenUpkeep(ctx, merID)
		sealed1, _ := o.m.DB.MerchantCredentials(ctx, merID)
		if !u1.AccessExpires.After(u0.AccessExpires.Add(40*time.Minute)) || u1.InflightFP != "" || string(sealed1) == string(sealed0) {
			t.Fatalf("after refresh: upkeep %+v (was %v), credentials changed %t", u1, u0.AccessExpires, string(sealed1) != string(sealed0))
		}
		if o.status(merID) != paybridge.MerchantActive {
			t.Fatal("merchant not active after a good refresh")
		}
		if st, out := o.callAs(key, "POST", "/v1/customers", map[string]any{"email": "after.refresh@example.com"}); st != 201 {
			t.Fatalf("write with the refreshed token = %d %v", st, out)
		}
	})

	t.Run("lost answer: reauthorization required, never a blind retry", func(t *testing.T) {
		before := o.cloverCalls("/oauth/v2/refresh")
		lossy := o.refresher(3*time.Hour, loseRefresh{http.DefaultTransport})
		if err := lossy.RefreshDue(ctx); err != nil {
			t.Fatal(err)
		}
		if err := o.refresher(3*time.Hour, nil).RefreshDue(ctx); err != nil { // a later run does not retry it
			t.Fatal(err)
		}
		if n := o.cloverCalls("/oauth/v2/refresh"); n != before {
			t.Fatalf("refresh calls through Main's client = %d, want %d (no retry of a spent token)", n, before)
		}
		u, _ := o.m.DB.TokenUpkeep(ctx, merID)
		if o.status(merID) != paybridge.MerchantReauthorizationRequired || !strings.Contains(u.LastError, "outcome unknown") || u.InflightFP != "" {
			t.Fatalf("after a lost refresh: status %s, upkeep %+v", o.status(merID), u)
		}
		_, cu := o.callAs(key, "POST", "/v1/customers", map[string]any{"email": "blocked@example.com"})
		inv := map[string]any{"customer_id": cu["id"], "currency": "usd",
			"line_items": []map[string]any{{"description": "Repair", "quantity": 1, "unit_amount": 5000}}}
		if st, out := o.callAs(key, "POST", "/v1/invoices", inv); st != 403 || out["code"] != "merchant_reauthorization_required" {
			t.Fatalf("write while reauthorization is required = %d %v", st, out)
		}
		if st, _ := o.callAs(key, "GET", "/v1/customers", nil); st != 200 {
			t.Fatalf("read while reauthorization is required = %d, want 200", st)
		}
		c := browser(t)
		if st, _, body := get(t, c, o.m.URL+"/connect/"+id); st != 200 || !strings.Contains(body, `data-status="reauthorization_required"`) ||
			!strings.Contains(body, "Reconnect with Clover") {
			t.Fatalf("connect page = %d %s", st, body)
		}
		entries, _, _ := o.m.DB.ListAudit(ctx, merID, paybridge.AuditFilter{ObjectID: merID})
		if len(entries) == 0 || entries[0].Action != "merchant.reauthorization_required" {
			t.Fatalf("no reauthorization audit entry: %+v", entries)
		}
		// Reconnect restores writes with a fresh key; the old key is revoked.
		st, ho := o.handoff(id, o.connect(c, connectURL, mid, ""))
		if st != 200 || o.status(merID) != paybridge.MerchantActive {
			t.Fatalf("reconnect = %d, status %s", st, o.status(merID))
		}
		key = ho["api_key"].(string)
		if st, out := o.callAs(key, "POST", "/v1/invoices", inv); st != 201 {
			t.Fatalf("write after reconnect = %d %v", st, out)
		}
	})

	t.Run("Clover refuses: reauthorization required", func(t *testing.T) {
		// Someone else spends the refresh token first (a second copy of the
		// credentials, a restored backup): Clover definitely refuses ours.
		// (RevokeMerchant would do too, but its uninstall webhook marks the
		// merchant by itself, asynchronously.)
		sealed, _ := o.m.DB.MerchantCredentials(ctx, merID)
		creds, err := billing.OpenCredentials(o.m.Sealer, merID, sealed)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.m.Clover.RefreshToken(ctx, creds.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if err := o.refresher(3*time.Hour, nil).RefreshDue(ctx); err != nil {
			t.Fatal(err)
		}
		u, _ := o.m.DB.TokenUpkeep(ctx, merID)
		if o.status(merID) != paybridge.MerchantReauthorizationRequired || !strings.Contains(u.LastError, "Clover refused") {
			t.Fatalf("after a refused refresh: status %s, upkeep %+v", o.status(merID), u)
		}
	})

	t.Run("refresh left in flight by a dead process", func(t *testing.T) {
		st, _ := o.handoff(id, o.connect(browser(t), connectURL, mid, ""))
		if st != 200 || o.status(merID) != paybridge.MerchantActive {
			t.Fatalf("reconnect = %d", st)
		}
		sealed, _ := o.m.DB.MerchantCredentials(ctx, merID)
		now := time.Now()
		won, err := o.m.DB.BeginTokenRefresh(ctx, merID, "deadbeef", sealed, now.Add(time.Minute), now)
		if err != nil || !won {
			t.Fatalf("begin = %t %v", won, err)
		}
		if won, _ := o.m.DB.BeginTokenRefresh(ctx, merID, "deadbeef", sealed, now.Add(time.Minute), now); won {
			t.Fatal("a second runner began the same refresh")
		}
		s := o.refresher(15*time.Minute, nil)
		s.Now = func() time.Time { return now.Add(2 * time.Minute) } // the lease ran out
		if err := s.RefreshDue(ctx); err != nil {
			t.Fatal(err)
		}
		u, _ := o.m.DB.TokenUpkeep(ctx, merID)
		if o.status(merID) != paybridge.MerchantReauthorizationRequired || !strings.Contains(u.LastError, "may be spent") {
			t.Fatalf("after a stale refresh: status %s, upkeep %+v", o.status(merID), u)
		}
	})
}
