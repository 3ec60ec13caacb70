package paybridge

import (
	"encoding/json"
	"reflect"
)

// Patch is one field of a partial update, with Stripe's semantics: a field
// the request leaves out leaves the value as it is, null clears it, and
// anything else sets it. (A pointer cannot tell null from absent.)
type Patch[T any] struct {
	Set   bool // the field was in the request
	Null  bool // and it was null
	Value T
}

// UnmarshalJSON records that the field was present, and whether it was null.
func (p *Patch[T]) UnmarshalJSON(b []byte) error {
	p.Set = true
	if string(b) == "null" {
		var zero T
		p.Null, p.Value = true, zero
		return nil
	}
	return json.Unmarshal(b, &p.Value)
}

// PatchElem is the type of the value (for the API's strict body checks,
// which check the value as if the field were a T).
func (Patch[T]) PatchElem() reflect.Type { return reflect.TypeFor[T]() }

// Apply returns the updated value: old when the field was absent, the zero
// value when it was null, else the new value.
func (p Patch[T]) Apply(old T) T {
	if !p.Set {
		return old
	}
	return p.Value
}

// MergeMetadata applies a metadata update as Stripe does: keys merge one
// by one, and a key set to "" or null is removed. It returns a new map; old
// is not changed.
func MergeMetadata(old map[string]string, update map[string]*string) map[string]string {
	out := make(map[string]string, len(old)+len(update))
	for k, v := range old {
		out[k] = v
	}
	for k, v := range update {
		if v == nil || *v == "" {
			delete(out, k)
		} else {
			out[k] = *v
		}
	}
	return out
}
