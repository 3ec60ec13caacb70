package main

import (
	"io"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// metric reads one sample of /metrics ("" when absent).
func (e *sbx) metric(series string) string {
	e.t.Helper()
	resp, err := e.http.Get(e.m.URL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// Outbound deliveries are counted by outcome and timed, on /metrics.
func TestDeliveryMetrics(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	if got := e.metric(`webhook_deliveries_total{outcome="delivered"}`); got != "0" {
		t.Fatalf("delivered before any delivery = %q, want 0", got)
	}
	rc := newReceiver(t, func(n int) bool { return n == 1 }) // the first attempt fails
	e.endpoint(rc, "invoice.paid")
	inv := e.invoice(nil)
	e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", map[string]any{"source": e.token(visaOK)})
	rc.waitDelivered("invoice.paid", inv["id"].(string))
	count := func(series string) int {
		v, _ := strconv.ParseFloat(e.metric(series), 64)
		return int(v)
	}
	eventually(t, 10*time.Second, "delivery metrics", func() bool {
		return count(`webhook_deliveries_total{outcome="delivered"}`) == 1 &&
			count(`webhook_deliveries_total{outcome="failed"}`) == 1 &&
			count(`webhook_delivery_duration_seconds_count{outcome="delivered"}`) == 1
	})
	if n := count(`webhook_deliveries_total{outcome="no_answer"}`); n != 0 {
		t.Fatalf("no_answer = %d", n)
	}
}
