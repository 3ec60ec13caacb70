package main

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/paybridge/paybridge/ratelimit"
)

// TestAPIRateLimit: each API key has a budget (PAYBRIDGE_API_RATE_LIMIT);
// every answer says what is left in the IETF draft's RateLimit headers,
// and a spent budget is a 429 problem with Retry-After, for that key only.
func TestAPIRateLimit(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, func(c *Config) { c.APIRateLimit = apiRateLimit(ratelimit.Policy{Rate: 0.001, Burst: 3}) })
	for i, left := range []string{"2", "1", "0"} {
		status, _, h := e.raw(e.key, "GET", "/v1/customers", nil)
		if status != 200 || h.Get("RateLimit-Policy") != `"api-key";q=3;w=3000` || h.Get("RateLimit") == "" ||
			h.Get("RateLimit")[:len(`"api-key";r=`)+1] != `"api-key";r=`+left {
			t.Fatalf("request %d: %d RateLimit-Policy %q RateLimit %q, want 200 with r=%s", i+1, status,
				h.Get("RateLimit-Policy"), h.Get("RateLimit"), left)
		}
	}
	status, body, h := e.raw(e.key, "GET", "/v1/customers", nil)
	retry, _ := strconv.Atoi(h.Get("Retry-After"))
	if status != 429 || retry < 900 || h.Get("RateLimit") == "" {
		t.Fatalf("4th request: %d Retry-After %q RateLimit %q: %s", status, h.Get("Retry-After"), h.Get("RateLimit"), body)
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil || p["code"] != "rate_limited" {
		t.Errorf("429 problem = %s, want code rate_limited", body)
	}
	// Unauthenticated requests are not counted against a key: 401, not 429.
	if status, _, _ := e.raw("", "GET", "/v1/customers", nil); status != 401 {
		t.Errorf("no key = %d, want 401", status)
	}
}
