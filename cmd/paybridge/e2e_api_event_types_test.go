package main

import (
	"testing"

	"github.com/paybridge/paybridge"
)

// TestEventTypesListed: GET /v1/event-types lists every type the code can
// emit, each with its object and a description (the client checks the
// answer against the spec's EventType enum).
func TestEventTypesListed(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	got := e.must(200, "GET", "/v1/event-types", nil)
	data := got["data"].([]any)
	if len(data) != len(paybridge.EventTypes) {
		t.Fatalf("%d event types listed, want %d", len(data), len(paybridge.EventTypes))
	}
	seen := map[string]bool{}
	for _, d := range data {
		info := d.(map[string]any)
		if info["description"] == "" || info["object_type"] == "" {
			t.Errorf("%v: no description or object type", info["type"])
		}
		seen[info["type"].(string)] = true
	}
	if !seen[string(paybridge.EventMerchantReactivated)] {
		t.Error("merchant.reactivated is not listed")
	}
}
