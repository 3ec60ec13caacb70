package paybridge

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPatch(t *testing.T) {
	for _, tc := range []struct {
		body string
		want string
	}{
		{`{}`, "old"},          // absent: unchanged
		{`{"v":null}`, ""},     // null: cleared
		{`{"v":"new"}`, "new"}, // set
		{`{"v":""}`, ""},       // set to empty
	} {
		var in struct {
			V Patch[string] `json:"v"`
		}
		if err := json.Unmarshal([]byte(tc.body), &in); err != nil {
			t.Fatal(err)
		}
		if got := in.V.Apply("old"); got != tc.want {
			t.Errorf("%s: Apply(old) = %q, want %q", tc.body, got, tc.want)
		}
	}
}

func TestMergeMetadata(t *testing.T) {
	s := func(v string) *string { return &v }
	old := map[string]string{"a": "1", "b": "2", "c": "3"}
	got := MergeMetadata(old, map[string]*string{"a": s("10"), "b": s(""), "c": nil, "d": s("4")})
	if diff := cmp.Diff(map[string]string{"a": "10", "d": "4"}, got); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"a": "1", "b": "2", "c": "3"}, old); diff != "" {
		t.Errorf("old changed (-want +got):\n%s", diff)
	}
}
