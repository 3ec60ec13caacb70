package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/paybridge/paybridge"
)

func testAudit(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	var entries []*paybridge.AuditEntry
	for i, obj := range []string{"pay_1", "pay_2", "pay_1"} {
		e := &paybridge.AuditEntry{MerchantID: m.ID, Actor: "api:jti1", Action: "clover POST /v1/charges",
			ObjectID: obj, Outcome: "201", LatencyMS: int64(40 + i), RequestID: "req", IdempotencyKey: "idem",
			Detail: "amount=100", CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		ok(t, s.AppendAudit(ctx, e))
		entries = append(entries, e)
	}
	got, next, err := s.ListAudit(ctx, m.ID, paybridge.AuditFilter{})
	ok(t, err)
	want := []*paybridge.AuditEntry{entries[2], entries[1], entries[0]}
	if diff := cmp.Diff(want, got); diff != "" || next != "" {
		t.Errorf("ListAudit newest first, next %q (-want +got):\n%s", next, diff)
	}
	got, _, err = s.ListAudit(ctx, m.ID, paybridge.AuditFilter{ObjectID: "pay_1"})
	ok(t, err)
	if diff := cmp.Diff([]*paybridge.AuditEntry{entries[2], entries[0]}, got); diff != "" {
		t.Errorf("ListAudit(object) (-want +got):\n%s", diff)
	}
}

// testAuditBatch appends batches across the store's rows-per-statement
// boundary: every entry is kept, in the order given, and a batch with one
// bad entry (a duplicate ID) stores none of its entries.
func testAuditBatch(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	batch := func(n int, prefix string) []*paybridge.AuditEntry {
		var es []*paybridge.AuditEntry
		for i := range n {
			es = append(es, &paybridge.AuditEntry{MerchantID: m.ID, Actor: "paybridge", Action: "clover POST /v1/orders",
				ObjectID: fmt.Sprintf("%s%03d", prefix, i), Outcome: "200", CreatedAt: t0})
		}
		return es
	}
	var want []string
	for _, n := range []int{1, 64, 65, 150} {
		es := batch(n, fmt.Sprintf("b%d_", n))
		ok(t, s.AppendAudit(ctx, es...))
		for _, e := range es {
			if e.ID == "" {
				t.Fatalf("entry %s has no ID", e.ObjectID)
			}
			want = append(want, e.ObjectID)
		}
	}
	bad := batch(100, "bad_")
	bad[0].ID = "aud_duplicate"
	bad[99].ID = "aud_duplicate"
	if err := s.AppendAudit(ctx, bad...); err == nil {
		t.Fatal("a batch with a duplicate ID was stored")
	}
	var got []string
	for cur := ""; ; {
		page, next, err := s.ListAudit(ctx, m.ID, paybridge.AuditFilter{Cursor: cur, Limit: 100})
		ok(t, err)
		for _, e := range page {
			got = append(got, e.ObjectID)
		}
		if cur = next; cur == "" {
			break
		}
	}
	slices.Reverse(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit entries in insertion order, none of the failed batch (-want +got):\n%s", diff)
	}
}
