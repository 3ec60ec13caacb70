package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMetricsNotPublicInProduction: outside sandbox mode /metrics on the
// API port answers 404 unless a metrics token is configured, and then only
// to that bearer token (401 problem otherwise); PAYBRIDGE_METRICS_ADDR
// serves it on a listener of its own. (Sandbox mode keeps it open on the
// API port: TestOnboardingMetrics and the load tool read it there.)
func TestMetricsNotPublicInProduction(t *testing.T) {
	t.Parallel()
	get := func(url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type") + " " + string(b)
	}
	for _, tc := range []struct {
		name, token, addr string
	}{{"default", "", ""}, {"token and own listener", "mtok-0123456789", "127.0.0.1:0"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cl, err := startCluster(ctx, clusterOptions{Instances: 1, Dir: t.TempDir(), Tweak: func(c *Config) {
				c.MetricsToken, c.MetricsAddr = tc.token, tc.addr
			}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cl.Close)
			m := cl.Mains[0]
			if m.Config.Sandbox() {
				t.Fatal("the cluster runs in sandbox mode")
			}
			if tc.token == "" {
				if st, body := get(m.URL+"/metrics", ""); st != 404 {
					t.Fatalf("GET /metrics in production = %d %s, want 404", st, body)
				}
				return
			}
			if st, body := get(m.URL+"/metrics", ""); st != 401 || !strings.HasPrefix(body, "application/problem+json") {
				t.Fatalf("without the token = %d %s, want a 401 problem", st, body)
			}
			if st, _ := get(m.URL+"/metrics", "wrong"); st != 401 {
				t.Fatalf("a wrong token = %d, want 401", st)
			}
			if st, body := get(m.URL+"/metrics", tc.token); st != 200 || !strings.Contains(body, "http_request_duration_seconds") {
				t.Fatalf("with the token = %d %.200s", st, body)
			}
			if st, body := get(m.MetricsURL+"/metrics", ""); m.MetricsURL == "" || st != 200 || !strings.Contains(body, "http_request_duration_seconds") {
				t.Fatalf("own listener %q = %d %.200s", m.MetricsURL, st, body)
			}
		})
	}
}
