package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPartialUpdates: an update changes only the fields it names (the
// issue's {"dunning_days":[2]} that nulled reminder_days), null clears, and
// metadata merges key by key with "" or null removing a key, as Stripe.
func TestPartialUpdates(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)

	e.must(200, "POST", "/v1/billing-settings", map[string]any{"reminder_days": []int{-3, 0}, "dunning_days": []int{1, 3}})
	st := e.must(200, "POST", "/v1/billing-settings", map[string]any{"dunning_days": []int{2}})
	if diff := cmp.Diff(map[string]any{"reminder_days": []any{-3.0, 0.0}, "dunning_days": []any{2.0}},
		map[string]any{"reminder_days": st["reminder_days"], "dunning_days": st["dunning_days"]}); diff != "" {
		t.Errorf("after {dunning_days:[2]} (-want +got):\n%s", diff)
	}
	st = e.must(200, "POST", "/v1/billing-settings", map[string]any{"reminder_days": nil})
	if diff := cmp.Diff([]any{[]any{}, []any{2.0}}, []any{st["reminder_days"], st["dunning_days"]}); diff != "" {
		t.Errorf("after {reminder_days:null} (-want +got):\n%s", diff)
	}
	if got := e.must(200, "GET", "/v1/billing-settings", nil); !cmp.Equal(got["dunning_days"], []any{2.0}) {
		t.Errorf("stored dunning_days = %v, want [2]", got["dunning_days"])
	}

	cus := e.must(201, "POST", "/v1/customers", map[string]any{"email": "pat@example.com", "name": "Pat Doe", "phone": "555-0100",
		"metadata": map[string]string{"crm_id": "42", "crew": "north"}})
	id := cus["id"].(string)
	cu := e.must(200, "POST", "/v1/customers/"+id, map[string]any{"metadata": map[string]any{"crew": "", "zone": "b"}})
	if diff := cmp.Diff(map[string]any{"crm_id": "42", "zone": "b"}, cu["metadata"]); diff != "" {
		t.Errorf("metadata merge (-want +got):\n%s", diff)
	}
	if cu["name"] != "Pat Doe" || cu["phone"] != "555-0100" {
		t.Errorf("a metadata update changed name %v or phone %v", cu["name"], cu["phone"])
	}
	cu = e.must(200, "POST", "/v1/customers/"+id, map[string]any{"metadata": map[string]any{"crm_id": nil}, "phone": nil})
	if diff := cmp.Diff(map[string]any{"zone": "b"}, cu["metadata"]); diff != "" {
		t.Errorf("metadata key set to null (-want +got):\n%s", diff)
	}
	if cu["phone"] != "" || cu["name"] != "Pat Doe" || cu["email"] != "pat@example.com" {
		t.Errorf("phone:null = name %v phone %v email %v, want the phone cleared only", cu["name"], cu["phone"], cu["email"])
	}
	if status, p := e.call("POST", "/v1/customers/"+id, []byte(`{"name":7}`)); status != 400 || p["param"] != "name" {
		t.Errorf("name 7 = %d %v, want 400 naming name", status, p)
	}
}
