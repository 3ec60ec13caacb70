package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// TestOnboardingFlow is DESIGN.md §3 end to end over HTTP: integration,
// connect, Clover consent, callback, return URL, hand-off, whoami, and a
// write with the new key; then the attacks on each step.
func TestOnboardingFlow(t *testing.T) {
	t.Parallel()
	o := startOnboarding(t)
	ctx := context.Background()
	mid, _, _ := o.m.Sim.AddMerchant("Fresh Plumbing")
	id, connectURL := o.integration("crm-1", o.crm.URL+"/return?tenant=7")
	if again, _ := o.integration("crm-1", o.crm.URL+"/return?tenant=7"); again != id {
		t.Fatalf("find-or-create returned %s, then %s", id, again)
	}

	c := browser(t)
	code := o.connect(c, connectURL, mid, "")
	if o.cloverCalls("/oauth/v2/token") != 1 {
		t.Fatalf("token exchanges = %d, want 1", o.cloverCalls("/oauth/v2/token"))
	}
	st, ho := o.handoff(id, code)
	if st != 200 {
		t.Fatalf("handoff = %d: %v", st, ho)
	}
	key := ho["api_key"].(string)
	mer := ho["merchant"].(map[string]any)
	if mer["clover_merchant_id"] != mid || mer["name"] != "Fresh Plumbing" || mer["status"] != "active" {
		t.Fatalf("handoff merchant = %v", mer)
	}
	merID := mer["id"].(string)

	t.Run("the connect's Clover calls are audited, no error logged", func(t *testing.T) {
		want := map[string]bool{"clover GET /v3/merchants/{mId}": false, "clover GET /pakms/apikey": false}
		eventually(t, 10*time.Second, "the connect's calls in the audit log", func() bool {
			entries, _, err := o.m.DB.ListAudit(ctx, merID, paybridge.AuditFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if _, ok := want[e.Action]; ok {
					want[e.Action] = true
				}
			}
			return want["clover GET /v3/merchants/{mId}"] && want["clover GET /pakms/apikey"]
		})
		if logs := o.logs.String(); strings.Contains(logs, "audit Clover call") && strings.Contains(logs, `"level":"ERROR"`) {
			for _, line := range strings.Split(logs, "\n") {
				if strings.Contains(line, `"level":"ERROR"`) {
					t.Errorf("error logged on a normal connect: %s", line)
				}
			}
		}
	})

	t.Run("whoami", func(t *testing.T) {
		st, who := o.callAs(key, "GET", "/v1/auth/whoami", nil)
		if st != 200 || who["merchant_id"] != merID || who["integration_id"] != id ||
			who["app_id"] != o.m.Sim.Options().AppID || who["employee_id"] == "" {
			t.Fatalf("whoami = %d %v", st, who)
		}
		if st, out := o.callAs(key, "POST", "/v1/customers", map[string]any{"email": "new@example.com"}); st != 201 {
			t.Fatalf("a write with the new key = %d %v", st, out)
		}
	})

	t.Run("handoff code is single use and bound to its integration", func(t *testing.T) {
		if st, out := o.handoff(id, code); st != 400 || out["code"] != "invalid_handoff_code" {
			t.Fatalf("second redemption = %d %v, want 400 invalid_handoff_code", st, out)
		}
		other, otherURL := o.integration("crm-other", o.crm.URL+"/r")
		mid2, _, _ := o.m.Sim.AddMerchant("Second Shop")
		code2 := o.connect(browser(t), otherURL, mid2, "")
		if st, out := o.handoff(id, code2); st != 400 {
			t.Fatalf("another integration's code = %d %v, want 400", st, out)
		}
		if st, out := o.handoff(other, code2); st != 200 {
			t.Fatalf("its own integration after a wrong try = %d %v, want 200", st, out)
		}
		if st, out := o.callAs("psk_wrong", "POST", "/v1/integrations/"+id+"/handoff", map[string]any{"code": "x"}); st != 401 {
			t.Fatalf("hand-off without the platform secret = %d %v, want 401", st, out)
		}
	})

	t.Run("state replayed, from another browser, or forged: no token exchange", func(t *testing.T) {
		before := o.cloverCalls("/oauth/v2/token")
		fresh := browser(t)
		cb := o.consent(fresh, connectURL, mid, "")
		// The callback URL opened in a browser that did not start it.
		if st, _, body := get(t, browser(t), cb); st != 400 || !strings.Contains(body, `data-code="state_invalid"`) {
			t.Fatalf("callback from another browser = %d %s", st, body)
		}
		// Forged state, even with the right cookie name.
		forged := strings.Replace(cb, "state=", "state=x", 1)
		if st, _, _ := get(t, fresh, forged); st != 400 {
			t.Fatalf("forged state = %d, want 400", st)
		}
		if n := o.cloverCalls("/oauth/v2/token"); n != before {
			t.Fatalf("token exchanges after refused callbacks = %d, want %d", n, before)
		}
		// The real browser completes; a replay of the same URL is refused.
		if st, _, _ := get(t, fresh, cb); st != 302 {
			t.Fatalf("legitimate callback = %d, want 302", st)
		}
		if st, _, body := get(t, fresh, cb); st != 400 || !strings.Contains(body, "state_invalid") {
			t.Fatalf("replayed callback = %d %s", st, body)
		}
		if n := o.cloverCalls("/oauth/v2/token"); n != before+1 {
			t.Fatalf("token exchanges = %d, want %d", n, before+1)
		}
		// The re-connect of the same (app, merchant, employee) revoked the
		// first key at once, before any hand-off.
		if st, out := o.callAs(key, "GET", "/v1/auth/whoami", nil); st != 401 || out["code"] != "api_key_revoked" {
			t.Fatalf("previous key after a new connect = %d %v, want 401 api_key_revoked", st, out)
		}
	})

	t.Run("database and logs hold no plaintext secret", func(t *testing.T) {
		sealed, err := o.m.DB.MerchantCredentials(ctx, merID)
		if err != nil {
			t.Fatal(err)
		}
		creds, err := billing.OpenCredentials(o.m.Sealer, merID, sealed)
		if err != nil || creds.AccessToken == "" || creds.RefreshToken == "" {
			t.Fatalf("credentials: %v (access %t, refresh %t)", err, creds.AccessToken != "", creds.RefreshToken != "")
		}
		var db []byte
		for _, f := range []string{"paybridge.db", "paybridge.db-wal"} {
			b, _ := os.ReadFile(filepath.Join(o.m.Config.DataDir, f))
			db = append(db, b...)
		}
		if len(db) == 0 {
			t.Fatal("database files are empty")
		}
		logs := o.logs.String()
		for name, secret := range map[string]string{"access token": creds.AccessToken, "refresh token": creds.RefreshToken,
			"api key": key, "hand-off code": code, "platform secret": o.secret} {
			if bytes.Contains(db, []byte(secret)) && name != "platform secret" {
				t.Errorf("the database holds the %s in plaintext", name)
			}
			if strings.Contains(logs, secret) {
				t.Errorf("the logs hold the %s", name)
			}
		}
		if !strings.Contains(logs, "/oauth/callback") {
			t.Error("no access log line for the callback: the log check proves nothing")
		}
	})

	t.Run("binding: another merchant is refused and audited", func(t *testing.T) {
		before := o.cloverCalls("/oauth/v2/token")
		intruder, _, _ := o.m.Sim.AddMerchant("Intruder Inc")
		c2 := browser(t)
		cb := o.consent(c2, connectURL, intruder, "")
		st, loc, body := get(t, c2, cb)
		if st != 403 || loc != "" || !strings.Contains(body, `data-code="binding_refused"`) {
			t.Fatalf("second merchant's callback = %d → %q %s", st, loc, body)
		}
		if n := o.cloverCalls("/oauth/v2/token"); n != before {
			t.Fatalf("token exchanges = %d, want %d (refused before exchanging)", n, before)
		}
		if _, err := o.m.DB.GetMerchantByCloverID(ctx, intruder); paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
			t.Fatalf("the refused merchant was stored: %v", err)
		}
		entries, _, err := o.m.DB.ListAudit(ctx, merID, paybridge.AuditFilter{ObjectID: id})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range entries {
			found = found || e.Action == "integration.binding_refused"
		}
		if !found {
			t.Fatalf("no integration.binding_refused audit entry in %d entries", len(entries))
		}
	})

	t.Run("return URL: only the registered one, only safe ones", func(t *testing.T) {
		c := browser(t)
		cb := o.consent(c, connectURL+"?return_url=https://evil.example/steal&redirect_uri=https://evil.example", mid, "")
		if st, loc, _ := get(t, c, cb); st != 302 || !strings.HasPrefix(loc, o.crm.URL+"/return?") ||
			!strings.Contains(loc, "tenant=7") {
			t.Fatalf("callback redirected to %q, want the registered return URL", loc)
		}
		for _, bad := range []string{"http://crm.example/return", "javascript:alert(1)", "https://user:pw@crm.example/r",
			"https://crm.example/r#frag", "//crm.example/r", "/relative", "ftp://crm.example/r", ""} {
			st, out := o.callAs(o.secret, "POST", "/v1/integrations",
				map[string]any{"type": "fieldpro", "external_key": "bad-url", "return_url": bad})
			if st != 400 || out["code"] != "invalid_return_url" {
				t.Errorf("return_url %q = %d %v, want 400 invalid_return_url", bad, st, out)
			}
		}
		if st, out := o.callAs("psk_wrong", "POST", "/v1/integrations",
			map[string]any{"type": "fieldpro", "external_key": "x", "return_url": o.crm.URL}); st != 401 {
			t.Fatalf("wrong platform secret = %d %v, want 401", st, out)
		}
		if st, out := o.callAs(o.m.Sandbox.APIKey, "POST", "/v1/integrations",
			map[string]any{"type": "fieldpro", "external_key": "x", "return_url": o.crm.URL}); st != 401 {
			t.Fatalf("an API key instead of the platform secret = %d %v, want 401", st, out)
		}
	})
}

// TestOnboardingConnectPage checks the merchant-facing page in English and
// French, its status and its headers.
func TestOnboardingConnectPage(t *testing.T) {
	t.Parallel()
	o := startOnboarding(t)
	id, connectURL := o.integration("crm-page", o.crm.URL+"/return")
	page := o.m.URL + "/connect/" + id
	c := browser(t)
	for _, tc := range []struct{ query, accept, want string }{
		{"", "", "Connect with Clover"},
		{"?lang=fr", "", "Se connecter avec Clover"},
		{"", "fr-CA,fr;q=0.9,en;q=0.5", "Se connecter avec Clover"},
		{"?lang=en", "fr-CA", "Connect with Clover"},
	} {
		req, _ := http.NewRequest("GET", page+tc.query, nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Language", tc.accept)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		body := b.String()
		if resp.StatusCode != 200 || !strings.Contains(body, tc.want) || !strings.Contains(body, `data-status="not_connected"`) {
			t.Errorf("GET %s (Accept-Language %q) = %d, want %q not_connected", tc.query, tc.accept, resp.StatusCode, tc.want)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP = %q", csp)
		}
	}
	code := o.connect(c, connectURL, o.m.Sim.Options().MerchantID, "")
	if st, _ := o.handoff(id, code); st != 200 {
		t.Fatalf("handoff = %d", st)
	}
	// Anyone with the integration id sees that it is connected, not to whom.
	simOpts := o.m.Sim.Options()
	if st, _, body := get(t, browser(t), page); st != 200 || !strings.Contains(body, `data-status="active"`) ||
		strings.Contains(body, simOpts.MerchantName) || strings.Contains(body, simOpts.MerchantID) {
		t.Fatalf("page after connect = %d, shows the merchant (%q): %s", st, simOpts.MerchantName, body)
	}
	if st, _, _ := get(t, c, o.m.URL+"/connect/00000000-0000-4000-8000-000000000000"); st != 404 {
		t.Fatalf("unknown integration page = %d, want 404", st)
	}
	if st, _, _ := get(t, c, o.m.URL+"/connect/not-a-uuid/start"); st != 404 {
		t.Fatalf("malformed integration start = %d, want 404", st)
	}
}
