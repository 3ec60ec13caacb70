package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/store"
)

// TestPostgresDeferredDurability: on PostgreSQL a request's deferred writes
// commit without waiting for the disk, and are on disk once Sync returns,
// which asks for a flush only when no durable write has covered them; the
// idempotent request's own flow (lazy key, deferred write, durable stored
// response) needs none. SyncCommits covers another instance's commits.
func TestPostgresDeferredDurability(t *testing.T) {
	t.Parallel()
	url := pgSchemaURL(t)
	db := openPostgresAt(t, url, true)
	ctx := context.Background()
	dctx := db.Defer(ctx)

	syncCommit := func(ctx context.Context) string {
		t.Helper()
		var v string
		if err := db.WithTx(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&v)
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := syncCommit(ctx); got != "on" {
		t.Errorf("synchronous_commit of a durable transaction = %q, want on", got)
	}
	if got := syncCommit(dctx); got != "off" {
		t.Errorf("synchronous_commit of a deferred transaction = %q, want off", got)
	}

	n := 0
	write := func(db *store.DB, ctx context.Context) (lsn string) {
		t.Helper()
		n++
		if err := db.WithTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, '', 0)`,
				"deferred-"+string(rune('a'+n)))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.Writer().QueryRowContext(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&lsn); err != nil {
			t.Fatal(err)
		}
		return lsn
	}
	flushedPast := func(lsn string) bool {
		t.Helper()
		var ok bool
		if err := db.Writer().QueryRowContext(ctx, "SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn", lsn).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	sync := func(ctx context.Context, wantFlushes uint64) {
		t.Helper()
		before := store.PGFlushes(db)
		if err := db.Sync(ctx); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if got := store.PGFlushes(db) - before; got != wantFlushes {
			t.Errorf("Sync asked for %d flushes, want %d", got, wantFlushes)
		}
	}

	sync(ctx, 0) // nothing deferred
	lsn := write(db, dctx)
	sync(dctx, 1)
	if !flushedPast(lsn) {
		t.Errorf("after Sync the WAL is flushed only to before the deferred commit at %s", lsn)
	}
	sync(dctx, 0) // already on disk

	// An idempotent request: the key is written lazily, the handler's
	// writes deferred, and the stored response durably, which flushes
	// everything before it.
	rec := &paybridge.IdempotencyRecord{MerchantID: "m_defer", Key: "k1", RequestHash: "h"}
	if _, err := db.BeginIdempotent(ctx, rec); err != nil {
		t.Fatal(err)
	}
	rctx := db.Defer(ctx)
	lsn = write(db, rctx)
	if err := db.CompleteIdempotent(ctx, rec.MerchantID, rec.Key, 201, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	sync(rctx, 0)
	if !flushedPast(lsn) {
		t.Errorf("after the stored response the WAL is flushed only to before the deferred commit at %s", lsn)
	}

	// Another instance's deferred commit, then a job on this one.
	other := openPostgresAt(t, url, false)
	lsn = write(other, other.Defer(ctx))
	before := store.PGFlushes(db)
	if err := db.SyncCommits(ctx); err != nil {
		t.Fatal(err)
	}
	if store.PGFlushes(db) != before+1 || !flushedPast(lsn) {
		t.Errorf("SyncCommits did not flush another instance's deferred commit at %s", lsn)
	}
}
