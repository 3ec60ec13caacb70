package clover_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// TestListDecodesBothShapes: the documented envelope and the bare array of
// recorded mocks (CLOVER.md §13.8) decode to the same list.
func TestListDecodesBothShapes(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"envelope":   `{"object":"list","url":"/v1/refunds","data":[{"id":"64X5EKBXSQMMA","amount":100,"charge":"4WDHVF04KJ7ET"}]}`,
		"bare array": `[{"id":"64X5EKBXSQMMA","amount":100,"charge":"4WDHVF04KJ7ET","inReportingPeriod":true,"voided":false}]`,
	} {
		var l clover.List[clover.Refund]
		if err := json.Unmarshal([]byte(body), &l); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if l.Object != "list" || len(l.Data) != 1 || l.Data[0].ID != "64X5EKBXSQMMA" || l.Data[0].Amount != 100 {
			t.Errorf("%s: %+v", name, l)
		}
	}
	var bad clover.List[clover.Refund]
	if err := json.Unmarshal([]byte(`"list"`), &bad); err == nil {
		t.Error("a string decoded as a list")
	}
}

// TestMillisDecodes: Clover's times as milliseconds, digit strings and the
// ISO-8601 forms seen (CLOVER.md §7, §9, §13.5).
func TestMillisDecodes(t *testing.T) {
	t.Parallel()
	want := time.Date(2025, 7, 4, 23, 57, 25, 541e6, time.UTC).UnixMilli()
	for _, in := range []string{`1751673445541`, `"1751673445541"`, `"2025-07-04T23:57:25.541+0000"`,
		`"2025-07-04T23:57:25.541Z"`, `"2025-07-04@23:57:25.541+0000"`, `"2025-07-05T01:57:25.541+0200"`} {
		var m clover.Millis
		if err := json.Unmarshal([]byte(in), &m); err != nil || int64(m) != want {
			t.Errorf("%s: %d, %v; want %d", in, m, err, want)
		}
	}
	for _, in := range []string{`"yesterday"`, `true`, `1.5`} {
		var m clover.Millis
		if err := json.Unmarshal([]byte(in), &m); err == nil {
			t.Errorf("%s decoded as %d", in, m)
		}
	}
	var m clover.Millis
	if err := json.Unmarshal([]byte(`null`), &m); err != nil || m != 0 || !m.Time().IsZero() {
		t.Errorf("null: %d, %v", m, err)
	}
}
