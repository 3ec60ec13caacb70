package httpapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paybridge/paybridge"
)

// TestEventTypesInSpec: the spec's EventType enum is exactly the types the
// code can emit (the store refuses to write any other), each described as
// the catalogue GET /v1/event-types serves describes it. A type added in
// code and not in the spec, or left in the spec after the code dropped it,
// fails here.
func TestEventTypesInSpec(t *testing.T) {
	doc, err := specDoc()
	if err != nil {
		t.Fatal(err)
	}
	ref := doc.Components.Schemas["EventType"]
	if ref == nil || ref.Value == nil {
		t.Fatal("openapi.yaml has no EventType schema")
	}
	inSpec := map[string]bool{}
	for _, e := range ref.Value.Enum {
		inSpec[fmt.Sprint(e)] = true
	}
	for _, info := range paybridge.EventTypeInfos() {
		if !inSpec[string(info.Type)] {
			t.Errorf("the code emits %s; openapi.yaml's EventType enum lacks it", info.Type)
		}
		delete(inSpec, string(info.Type))
		line := fmt.Sprintf("- `%s` (%s): %s\n", info.Type, info.ObjectType, info.Description)
		if !strings.Contains(ref.Value.Description, line) {
			t.Errorf("EventType's description lacks %q (event_types.go's wording)", line)
		}
	}
	for extra := range inSpec {
		t.Errorf("openapi.yaml's EventType lists %s, which the code does not know", extra)
	}
}

// TestSpecStatesIdempotencyTTL: the spec promises replays for as long as
// the code keeps the keys.
func TestSpecStatesIdempotencyTTL(t *testing.T) {
	doc, err := specDoc()
	if err != nil {
		t.Fatal(err)
	}
	p := doc.Components.Parameters["IdempotencyKey"]
	want := fmt.Sprintf("for %d h", int(paybridge.IdempotencyTTL.Hours()))
	if p == nil || !strings.Contains(p.Value.Description, want) {
		t.Errorf("the IdempotencyKey parameter's description does not say %q (paybridge.IdempotencyTTL)", want)
	}
}
