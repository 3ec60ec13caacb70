package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/store"
)

// RunRecovery runs the crash-recovery conformance suite on *store.DB
// (SQLite or PostgreSQL): instance leases, Idempotency-Key recovery points
// recorded with the resource they create, claims, and orphan detection.
// open returns a fresh, migrated store per subtest.
func RunRecovery(t *testing.T, open func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"RecoveryPoints", testRecoveryPoints},
		{"TakenOverKeyCommitsNothing", testTakenOverKey},
		{"LeaseTakeOver", testLeaseTakeOver},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// begin takes key for m under claim as db's current instance.
func begin(t *testing.T, db *store.DB, m *paybridge.Merchant, key, claim string) *paybridge.IdempotencyRecord {
	t.Helper()
	prev, err := db.BeginIdempotent(context.Background(), &paybridge.IdempotencyRecord{
		MerchantID: m.ID, Key: key, RequestHash: "h", Claim: claim})
	ok(t, err)
	return prev
}

// read returns the stored record of key (as a retry sees it).
func read(t *testing.T, db *store.DB, m *paybridge.Merchant, key string) *paybridge.IdempotencyRecord {
	t.Helper()
	got := begin(t, db, m, key, "reader")
	if got == nil {
		t.Fatalf("key %s was not stored", key)
	}
	return got
}

func under(m *paybridge.Merchant, key, claim string) context.Context {
	return paybridge.WithRequestKey(context.Background(), paybridge.RequestKey{MerchantID: m.ID, Key: key, Claim: claim})
}

func testRecoveryPoints(t *testing.T, db *store.DB) {
	ctx := context.Background()
	m := newMerchant(t, db)
	inv := newInvoice(t, db, m, newCustomer(t, db, m))
	db.Instance = "ins_a"
	ok(t, db.HoldLease(ctx, "slot-a", time.Minute, true))
	if begin(t, db, m, "k1", "c1") != nil {
		t.Fatal("a new key was found stored")
	}
	if got := read(t, db, m, "k1"); got.Phase != paybridge.PhaseStarted || got.Orphaned || got.Claim != "c1" {
		t.Fatalf("started key: %+v", got)
	}
	// The payment and the recovery point commit together.
	p := pendingPayment(m, inv, 700)
	ok(t, db.CreatePayment(under(m, "k1", "c1"), p))
	if got := read(t, db, m, "k1"); got.Phase != paybridge.PhaseCreated || got.Resource != p.ID {
		t.Fatalf("after the payment: %+v", got)
	}
	// A key that created its payment is never released for a second one.
	if err := db.ReleaseIdempotent(under(m, "k1", "c1"), m.ID, "k1"); paybridge.ErrorCode(err) != "idempotency_created" {
		t.Fatalf("release of a key with its payment: %v", err)
	}
	// Its owner alive: neither the key nor the payment is orphaned.
	if recs, err := db.OrphanedIdempotent(ctx, 10); err != nil || len(recs) != 0 {
		t.Fatalf("orphaned while the owner lives: %v %v", recs, err)
	}
	stale := time.Now().Add(-time.Hour)
	if due, err := db.DuePayments(ctx, time.Now(), stale, 10); err != nil || len(due) != 0 {
		t.Fatalf("due while the owner lives: %v %v", due, err)
	}
	// The owner dies (its lease gone): both are orphaned at once.
	ok(t, db.DropLease(ctx))
	db.Instance = "ins_b"
	ok(t, db.HoldLease(ctx, "slot-b", time.Minute, true))
	if got := read(t, db, m, "k1"); !got.Orphaned {
		t.Fatalf("key of a dead owner: %+v", got)
	}
	recs, err := db.OrphanedIdempotent(ctx, 10)
	if err != nil || len(recs) != 1 || recs[0].Key != "k1" || recs[0].Resource != p.ID || recs[0].Claim != "c1" {
		t.Fatalf("orphaned keys: %+v %v", recs, err)
	}
	due, err := db.DuePayments(ctx, time.Now(), stale, 10)
	if err != nil || len(due) != 1 || due[0].ID != p.ID {
		t.Fatalf("due payments of a dead owner: %+v %v", due, err)
	}
	// Recovery answers under the dead request's claim; a stored 202 is
	// replaced by the final answer, and that one stands.
	ok(t, db.CompleteIdempotent(under(m, "k1", "c1"), m.ID, "k1", 202, []byte("processing")))
	if got := read(t, db, m, "k1"); !got.Completed || got.Status != 202 || got.Orphaned || got.Phase != paybridge.PhaseAnswered {
		t.Fatalf("answered 202: %+v", got)
	}
	ok(t, db.CompleteIdempotent(ctx, m.ID, "k1", 201, []byte("final")))
	if err := db.CompleteIdempotent(ctx, m.ID, "k1", 201, []byte("again")); paybridge.ErrorCode(err) != "idempotency_completed" {
		t.Fatalf("a final answer was overwritten: %v", err)
	}
	if got := read(t, db, m, "k1"); got.Status != 201 || string(got.Body) != "final" {
		t.Fatalf("final: %+v", got)
	}
}

// testTakenOverKey: a request whose key recovery released (its process
// thought dead) cannot create its payment, nor answer, under it.
func testTakenOverKey(t *testing.T, db *store.DB) {
	ctx := context.Background()
	m := newMerchant(t, db)
	inv := newInvoice(t, db, m, newCustomer(t, db, m))
	db.Instance = "ins_slow"
	begin(t, db, m, "k2", "slow")
	ok(t, db.ReleaseIdempotent(under(m, "k2", "slow"), m.ID, "k2")) // recovery, under the slow claim
	db.Instance = "ins_retry"
	begin(t, db, m, "k2", "retry") // the retry takes the key
	p := pendingPayment(m, inv, 900)
	if err := db.CreatePayment(under(m, "k2", "slow"), p); paybridge.ErrorCode(err) != "idempotency_taken_over" {
		t.Fatalf("payment under a lost key: %v", err)
	}
	if _, err := db.GetPayment(ctx, m.ID, p.ID); paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
		t.Fatalf("the refused payment was stored: %v", err)
	}
	if err := db.CompleteIdempotent(under(m, "k2", "slow"), m.ID, "k2", 201, nil); paybridge.ErrorCode(err) != "idempotency_taken_over" {
		t.Fatalf("answer under a lost key: %v", err)
	}
	if err := db.ReleaseIdempotent(under(m, "k2", "slow"), m.ID, "k2"); paybridge.ErrorCode(err) != "idempotency_taken_over" {
		t.Fatalf("release under a lost key: %v", err)
	}
	ok(t, db.CreatePayment(under(m, "k2", "retry"), pendingPayment(m, inv, 900)))
}

// testLeaseTakeOver: a process starting in a slot ends the leases of the
// slot's earlier processes, not those of other slots.
func testLeaseTakeOver(t *testing.T, db *store.DB) {
	ctx := context.Background()
	m := newMerchant(t, db)
	db.Instance = "ins_old"
	ok(t, db.HoldLease(ctx, "slot", time.Minute, true))
	begin(t, db, m, "k3", "c")
	db.Instance = "ins_other"
	ok(t, db.HoldLease(ctx, "other-slot", time.Minute, true))
	begin(t, db, m, "k4", "c")
	db.Instance = "ins_new"
	ok(t, db.HoldLease(ctx, "slot", time.Minute, true))
	recs, err := db.OrphanedIdempotent(ctx, 10)
	if err != nil || len(recs) != 1 || recs[0].Key != "k3" {
		t.Fatalf("orphaned after the slot's restart: %+v %v", recs, err)
	}
}
