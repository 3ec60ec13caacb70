package storetest

import (
	"context"
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
