package main

import (
	"testing"
	"time"
)

// Events a start writes before the job runner hooks the store (the
// sandbox's demo invoice) reach a subscribed endpoint, like every other:
// subscribe, restart on the same data dir, and every event since the
// subscription is delivered (issue 24).
func TestEventsAcrossRestartAreDelivered(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sameDir := func(c *Config) { c.DataDir = dir }
	rc := newReceiver(t, nil)
	first := startSandbox(t, fastWebhooks, sameDir)
	first.endpoint(rc)
	since := time.Now() // after the subscription committed
	t.Logf("first run invoice %s, demo %s", first.invoice(nil)["id"], first.m.Sandbox.DemoInvoiceID)
	if err := first.m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	second := startSandbox(t, fastWebhooks, sameDir)
	inv := second.invoice(nil)["id"].(string)
	t.Logf("second run invoice %s, demo %s", inv, second.m.Sandbox.DemoInvoiceID)
	if second.m.Sandbox.DemoInvoiceID != first.m.Sandbox.DemoInvoiceID {
		t.Fatalf("a restart made a new demo invoice") // issue 19: it keeps sandbox.json's
	}
	rc.waitDelivered("invoice.created", inv)
	var want []string
	types := map[string]string{}
	for cursor := ""; ; {
		page := second.must(200, "GET", "/v1/events?limit=100&cursor="+cursor, nil)
		for _, raw := range page["data"].([]any) {
			ev := raw.(map[string]any)
			created, err := time.Parse(time.RFC3339Nano, ev["created_at"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if created.After(since) {
				want = append(want, ev["id"].(string))
				types[ev["id"].(string)] = ev["type"].(string) + " " + ev["object_id"].(string)
			}
		}
		if cursor, _ = page["next_cursor"].(string); cursor == "" {
			break
		}
	}
	if len(want) < 2 { // this test's two invoices (a restart keeps its demo invoice: no event)
		t.Fatalf("only %d events since the subscription", len(want))
	}
	var missing []string
	eventually(t, 30*time.Second, "every event delivered", func() bool {
		got := map[string]bool{}
		for _, d := range rc.deliveries() {
			got[d.ID] = got[d.ID] || d.OK
		}
		missing = missing[:0]
		for _, id := range want {
			if !got[id] {
				missing = append(missing, types[id])
			}
		}
		if len(missing) > 0 {
			t.Logf("missing %v", missing)
		}
		return len(missing) == 0
	})
}
