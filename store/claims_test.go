package store

import (
	"context"
	"sync"
	"testing"

	"github.com/paybridge/paybridge"
)

// claimFixture is a SQLite store with one merchant, and a function that
// reads an idempotency key's row as stored (nil when there is none).
func claimFixture(t *testing.T) (*DB, *paybridge.Merchant, func(key string) *paybridge.IdempotencyRecord) {
	t.Helper()
	db := openGroupDB(t)
	m := &paybridge.Merchant{CloverMerchantID: "CLAIMS0000001", Name: "Claims", Currency: "usd"}
	if err := db.CreateMerchant(context.Background(), m, nil); err != nil {
		t.Fatal(err)
	}
	row := func(key string) *paybridge.IdempotencyRecord {
		t.Helper()
		r, err := db.readIdempotent(context.Background(), db.r, m.ID, key)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	return db, m, row
}

func begin(t *testing.T, db *DB, ctx context.Context, m *paybridge.Merchant, key, hash string) *paybridge.IdempotencyRecord {
	t.Helper()
	prev, err := db.BeginIdempotent(ctx, &paybridge.IdempotencyRecord{MerchantID: m.ID, Key: key, RequestHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	return prev
}

// TestClaimWrittenWithFirstWrite: under Defer, a begun key is claimed in
// memory, refused to a second request at once, and its in-flight row is
// written by the request's first successful write, in that write's
// transaction; completing it stores the response and ends the claim.
func TestClaimWrittenWithFirstWrite(t *testing.T) {
	t.Parallel()
	db, m, row := claimFixture(t)
	bg := context.Background()
	ctx := db.Defer(bg)
	if prev := begin(t, db, ctx, m, "k1", "h1"); prev != nil {
		t.Fatalf("first begin = %+v", prev)
	}
	if r := row("k1"); r != nil {
		t.Fatalf("row before any write: %+v", r)
	}
	for name, other := range map[string]context.Context{"deferred": db.Defer(bg), "plain": bg} {
		prev := begin(t, db, other, m, "k1", "h2")
		if prev == nil || prev.Completed || prev.RequestHash != "h1" {
			t.Fatalf("%s second begin while in flight = %+v, want the first request's in-flight record", name, prev)
		}
	}

	// A write that fails takes the key's row with it.
	err := db.CreateInvoice(ctx, &paybridge.Invoice{MerchantID: m.ID, CustomerID: "cus_missing", Currency: "usd"})
	if paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
		t.Fatalf("CreateInvoice of a missing customer: %v", err)
	}
	if r := row("k1"); r != nil {
		t.Fatalf("row after a failed write: %+v", r)
	}
	c := &paybridge.Customer{MerchantID: m.ID, Email: "a@example.com"}
	if err := db.CreateCustomer(ctx, c); err != nil {
		t.Fatal(err)
	}
	if r := row("k1"); r == nil || r.Completed || r.RequestHash != "h1" {
		t.Fatalf("row after the first write = %+v, want in flight", r)
	}
	if err := db.CreateCustomer(ctx, &paybridge.Customer{MerchantID: m.ID, Email: "b@example.com"}); err != nil {
		t.Fatalf("second write of the request: %v", err)
	}

	if err := db.CompleteIdempotent(bg, m.ID, "k1", 201, []byte(`{"id":"`+c.ID+`"}`)); err != nil {
		t.Fatal(err)
	}
	prev := begin(t, db, db.Defer(bg), m, "k1", "h1")
	if prev == nil || !prev.Completed || prev.Status != 201 || string(prev.Body) != `{"id":"`+c.ID+`"}` {
		t.Fatalf("begin after completion = %+v, want the stored response", prev)
	}
	if db.group.claims.get(m.ID, "k1") != nil {
		t.Fatal("claim outlived its completion")
	}
	if err := db.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestClaimEndsWithoutWrites: a request that wrote nothing stores its
// response in one insert, or on release leaves nothing behind.
func TestClaimEndsWithoutWrites(t *testing.T) {
	t.Parallel()
	db, m, row := claimFixture(t)
	bg := context.Background()

	begin(t, db, db.Defer(bg), m, "done", "h")
	if err := db.CompleteIdempotent(bg, m.ID, "done", 422, []byte(`{"code":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if r := row("done"); r == nil || !r.Completed || r.Status != 422 || r.RequestHash != "h" {
		t.Fatalf("completed without writes: %+v", r)
	}
	if err := db.CompleteIdempotent(bg, m.ID, "done", 200, nil); paybridge.ErrorCode(err) != "idempotency_completed" {
		t.Fatalf("second completion: %v", err)
	}

	begin(t, db, db.Defer(bg), m, "gone", "h")
	if err := db.ReleaseIdempotent(bg, m.ID, "gone"); err != nil {
		t.Fatal(err)
	}
	if r := row("gone"); r != nil {
		t.Fatalf("released without writes left %+v", r)
	}
	if prev := begin(t, db, db.Defer(bg), m, "gone", "h2"); prev != nil {
		t.Fatalf("begin after release = %+v, want a fresh start", prev)
	}

	// Released after a write: the row goes.
	ctx := db.Defer(bg)
	begin(t, db, ctx, m, "written", "h")
	if err := db.CreateCustomer(ctx, &paybridge.Customer{MerchantID: m.ID, Email: "c@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseIdempotent(bg, m.ID, "written"); err != nil {
		t.Fatal(err)
	}
	if r := row("written"); r != nil {
		t.Fatalf("released after a write left %+v", r)
	}
}

// TestClaimMeetsAStoredRow: a row that appears after the claim (another
// process on the same file, which paybridge does not support) makes the
// request's first write fail as in flight, and that write is not kept.
func TestClaimMeetsAStoredRow(t *testing.T) {
	t.Parallel()
	db, m, row := claimFixture(t)
	bg := context.Background()
	ctx := db.Defer(bg)
	begin(t, db, ctx, m, "dup", "h")
	if _, err := db.exec(bg, insertKey, m.ID, "dup", "h-other", false, 0, nil, 1); err != nil {
		t.Fatal(err)
	}
	c := &paybridge.Customer{MerchantID: m.ID, Email: "d@example.com"}
	if err := db.CreateCustomer(ctx, c); paybridge.ErrorCode(err) != "idempotency_in_flight" {
		t.Fatalf("first write with the key stored elsewhere: %v", err)
	}
	if _, err := db.GetCustomer(bg, m.ID, c.ID); paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
		t.Fatalf("the refused write was kept: %v", err)
	}
	if r := row("dup"); r == nil || r.RequestHash != "h-other" {
		t.Fatalf("the other row changed: %+v", r)
	}
}

// TestClaimConcurrent: of many requests beginning one key at once, one
// runs and the others see it in flight; after it completes, all replay.
func TestClaimConcurrent(t *testing.T) {
	t.Parallel()
	db, m, _ := claimFixture(t)
	bg := context.Background()
	const n = 32
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []context.Context
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			ctx := db.Defer(bg)
			<-start
			prev, err := db.BeginIdempotent(ctx, &paybridge.IdempotencyRecord{MerchantID: m.ID, Key: "race", RequestHash: "h"})
			if err != nil {
				t.Error(err)
				return
			}
			if prev == nil {
				mu.Lock()
				winners = append(winners, ctx)
				mu.Unlock()
			} else if prev.Completed {
				t.Errorf("completed before anyone completed it: %+v", prev)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d requests began the key, want 1", len(winners))
	}
	if err := db.CreateCustomer(winners[0], &paybridge.Customer{MerchantID: m.ID, Email: "e@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CompleteIdempotent(bg, m.ID, "race", 201, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	for range n {
		wg.Go(func() {
			prev, err := db.BeginIdempotent(db.Defer(bg), &paybridge.IdempotencyRecord{MerchantID: m.ID, Key: "race", RequestHash: "h"})
			if err != nil || prev == nil || !prev.Completed {
				t.Errorf("begin after completion = %+v, %v; want the stored response", prev, err)
			}
		})
	}
	wg.Wait()
}
