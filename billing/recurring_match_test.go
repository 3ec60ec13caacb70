package billing

import (
	"errors"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// TestRunCandidates: a run is recognised by documented fields only (it pays
// an order, it is the customer's, it is the subscription's amount, it falls
// on a billing date, it is not paybridge's own), never by a tag.
func TestRunCandidates(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 31, 9, 30, 0, 0, time.UTC)
	at := func(months, hours int) int64 {
		return start.AddDate(0, months, 0).Add(time.Duration(hours) * time.Hour).UnixMilli()
	}
	sub := &paybridge.Subscription{ID: "sub_1", Amount: 5000, StartDate: "2026-01-31"}
	cs := &clover.Subscription{ID: "SUB1", Amount: 4900, Total: 5390, TipAmount: 0, StartDate: "2026-01-31T09:30:00.000+0000",
		Plan: &clover.Plan{Interval: "MONTH", IntervalCount: 1}}
	pl := &paybridge.Plan{Interval: "month", IntervalCount: 1}
	run := func(id string, amount, created int64) clover.Charge {
		return clover.Charge{ID: id, Order: "O" + id, Customer: "CUST", Amount: amount, Created: created, Status: "succeeded"}
	}
	charges := []clover.Charge{
		run("LATE", 5390, at(2, 40)),   // 40 h after March 31: beyond the slack
		run("TAXED", 5390, at(1, 0)),   // amount + tax, on the date
		run("FIRST", 4900, at(0, 0)),   // Clover's amount, on the start date
		run("LOCAL", 5000, at(3, -20)), // the amount paybridge set, 20 h early
		run("OFFDAY", 4900, at(0, 24*10)),
		run("AMOUNT", 1234, at(4, 0)),
		run("OWN", 4900, at(5, 0)),
		{ID: "NOORDER", Customer: "CUST", Amount: 4900, Created: at(6, 0), Metadata: map[string]string{"subscription_id": "SUB1"}},
		{ID: "OTHER", Order: "OOTHER", Customer: "SOMEONE", Amount: 4900, Created: at(7, 0)},
	}
	isOwn := func(ch *clover.Charge) (bool, error) { return ch.ID == "OWN", nil }
	got, err := runCandidates(sub, cs, pl, "CUST", charges, isOwn)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range got {
		ids = append(ids, c.Charge.ID)
	}
	want := []string{"FIRST", "TAXED", "LOCAL"}
	if len(ids) != len(want) {
		t.Fatalf("runs %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("runs %v, want %v", ids, want)
		}
	}
	if !got[2].Due.Equal(start.AddDate(0, 3, 0)) {
		t.Errorf("LOCAL's billing date %v", got[2].Due)
	}
	if _, err := runCandidates(sub, cs, pl, "CUST", charges, func(*clover.Charge) (bool, error) { return false, errors.New("db down") }); err == nil {
		t.Error("a store error was swallowed")
	}
}

func TestBillingDate(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		interval string
		count    int
		at       time.Time
		want     time.Time
		ok       bool
	}{
		{"DAY", 3, start.AddDate(0, 0, 9).Add(2 * time.Hour), start.AddDate(0, 0, 9), true},
		{"DAY", 3, start.AddDate(0, 0, 10).Add(12 * time.Hour), start.AddDate(0, 0, 9), true},
		{"WEEK", 2, start.AddDate(0, 0, 7), time.Time{}, false},
		{"WEEK", 2, start.AddDate(0, 0, 14), start.AddDate(0, 0, 14), true},
		{"year", 1, start.AddDate(2, 0, 0).Add(-time.Hour), start.AddDate(2, 0, 0), true},
		{"MONTH", 1, start.Add(-48 * time.Hour), time.Time{}, false},
	} {
		got, ok := billingDate(start, tt.interval, tt.count, tt.at)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("%s×%d at %v: %v %v, want %v %v", tt.interval, tt.count, tt.at, got, ok, tt.want, tt.ok)
		}
	}
}
