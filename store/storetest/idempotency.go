package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
)

func testIdempotency(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	rec := func(key string) *paybridge.IdempotencyRecord {
		return &paybridge.IdempotencyRecord{MerchantID: m.ID, Key: key, RequestHash: "hash-" + key}
	}

	prev, err := s.BeginIdempotent(ctx, rec("a"))
	ok(t, err)
	if prev != nil {
		t.Fatalf("first Begin returned %+v", prev)
	}
	prev, err = s.BeginIdempotent(ctx, &paybridge.IdempotencyRecord{MerchantID: m.ID, Key: "a", RequestHash: "other"})
	ok(t, err)
	if prev == nil || prev.Completed || prev.RequestHash != "hash-a" {
		t.Fatalf("Begin while in flight = %+v, want the in-flight record", prev)
	}

	body := []byte(`{"id":"pay_1"}`)
	ok(t, s.CompleteIdempotent(ctx, m.ID, "a", 201, body))
	prev, err = s.BeginIdempotent(ctx, rec("a"))
	ok(t, err)
	if prev == nil || !prev.Completed || prev.Status != 201 || string(prev.Body) != string(body) || prev.CreatedAt.IsZero() {
		t.Fatalf("replay = %+v", prev)
	}
	wantErr(t, s.CompleteIdempotent(ctx, m.ID, "a", 500, nil), paybridge.ECONFLICT, "")
	wantErr(t, s.ReleaseIdempotent(ctx, m.ID, "a"), paybridge.ECONFLICT, "")
	wantErr(t, s.CompleteIdempotent(ctx, m.ID, "missing", 201, nil), paybridge.ENOTFOUND, "")
	wantErr(t, s.ReleaseIdempotent(ctx, m.ID, "missing"), paybridge.ENOTFOUND, "")

	_, err = s.BeginIdempotent(ctx, rec("b"))
	ok(t, err)
	ok(t, s.ReleaseIdempotent(ctx, m.ID, "b"))
	prev, err = s.BeginIdempotent(ctx, rec("b"))
	ok(t, err)
	if prev != nil {
		t.Errorf("Begin after release = %+v, want a fresh start", prev)
	}
}

func testIdempotencyPurge(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		_, err := s.BeginIdempotent(ctx, &paybridge.IdempotencyRecord{MerchantID: m.ID, Key: unique("old", i),
			RequestHash: "h", CreatedAt: old.Add(time.Duration(i) * time.Hour)})
		ok(t, err)
	}
	_, err := s.BeginIdempotent(ctx, &paybridge.IdempotencyRecord{MerchantID: m.ID, Key: "new", RequestHash: "h"})
	ok(t, err)
	n, err := s.PurgeIdempotent(ctx, old.Add(90*time.Minute))
	ok(t, err)
	if n != 2 {
		t.Errorf("purged %d, want 2", n)
	}
	for key, gone := range map[string]bool{unique("old", 0): true, unique("old", 1): true, unique("old", 2): false, "new": false} {
		prev, err := s.BeginIdempotent(ctx, &paybridge.IdempotencyRecord{MerchantID: m.ID, Key: key, RequestHash: "h"})
		ok(t, err)
		if (prev == nil) != gone {
			t.Errorf("key %s: purged = %v, want %v", key, prev == nil, gone)
		}
	}
}

// testIdempotencyConcurrent races one key: exactly one request starts,
// every other one sees its record.
func testIdempotencyConcurrent(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	const n = 20
	var (
		wg            sync.WaitGroup
		mu            sync.Mutex
		first, others int
	)
	for range n {
		wg.Go(func() {
			prev, err := s.BeginIdempotent(ctx, &paybridge.IdempotencyRecord{MerchantID: m.ID, Key: "race", RequestHash: "h"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("BeginIdempotent: %v", err)
			case prev == nil:
				first++
			case prev.Key == "race" && !prev.Completed:
				others++
			}
		})
	}
	wg.Wait()
	if first != 1 || others != n-1 {
		t.Errorf("%d requests started, %d saw the record; want 1 and %d", first, others, n-1)
	}
}
