package clover_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

// TestGoldenShapes decodes CLOVER.md's example bodies into the wire types
// (refusing unknown fields), re-encodes them, and checks that every field of
// the example survives with its value: no field lost to a wrong json tag.
func TestGoldenShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		into func() any
	}{
		{"charge_create.json", func() any { return new(clover.Charge) }},
		{"order_create.json", func() any { return new(clover.Order) }},
		{"order_return.json", func() any { return new(clover.OrderReturn) }},
		{"refund.json", func() any { return new(clover.Refund) }},
		{"customer.json", func() any { return new(clover.Customer) }},
		{"deleted_card.json", func() any { return new(clover.DeletedCard) }},
		{"error_envelope.json", func() any { return new(clover.ErrorBody) }},
		{"error_decline.json", func() any { return new(clover.ErrorBody) }},
		{"oauth_token.json", func() any { return new(clover.OAuthToken) }},
		{"pakms_key.json", func() any { return new(clover.PAKMSKey) }},
		{"plan.json", func() any { return new(clover.Plan) }},
		{"token.json", func() any { return new(clover.Token) }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join("testdata", "conformance", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			v := tt.into()
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Fatalf("decode into %T: %v", v, err)
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(again, &got); err != nil {
				t.Fatal(err)
			}
			subset(t, tt.file, want, got)
		})
	}
}

// subset checks that every key and value of want is in got.
func subset(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %T, want an object", path, got)
			return
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				t.Errorf("%s.%s: lost on re-encode (want %v)", path, k, wv)
				continue
			}
			subset(t, path+"."+k, wv, gv)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s: got %v, want %v", path, got, want)
			return
		}
		for i := range w {
			subset(t, path+"["+string(rune('0'+i))+"]", w[i], g[i])
		}
	default:
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
}
