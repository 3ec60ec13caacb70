package store

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// TestPostgresWithoutFlushWritesDurably: where paybridge cannot ask
// PostgreSQL to flush (here a probe that fails, as for a role denied
// pg_logical_emit_message), there is no lazy pool, and every write, under
// Defer too, commits durably.
func TestPostgresWithoutFlushWritesDurably(t *testing.T) {
	t.Parallel()
	url := os.Getenv("PAYBRIDGE_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("PAYBRIDGE_TEST_POSTGRES_URL is not set")
	}
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := &DB{engine: EnginePostgres, Logger: slog.New(slog.DiscardHandler)}
	if lazy := db.openLazyPool(ctx, cfg, pool, "SELECT no_such_function()"); lazy != nil {
		lazy.Close()
		t.Fatal("a lazy pool was opened although the flush probe failed")
	}
	if lazy := db.openLazyPool(ctx, cfg, pool, pgFlushProbe); lazy == nil {
		t.Fatal("no lazy pool although the server can flush")
	} else {
		lazy.Close()
	}
	db.w = stdlib.OpenDBFromPool(pool)
	defer db.w.Close()
	dctx := db.Defer(ctx)
	if w, d := db.pgWriter(dctx); w != db.w || d != nil {
		t.Error("without a lazy pool a deferred write does not go to the durable pool")
	}
	if db.pgLazyWriter() != db.w {
		t.Error("without a lazy pool a lazy write does not go to the durable pool")
	}
	if err := db.withTx(dctx, func(tx Tx) error {
		var v string
		if err := tx.SQL.QueryRowContext(dctx, "SHOW synchronous_commit").Scan(&v); err != nil {
			return err
		}
		if v != "on" {
			t.Errorf("synchronous_commit = %q under Defer without a lazy pool, want on", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for name, sync := range map[string]func(context.Context) error{"Sync": db.Sync, "SyncCommits": db.SyncCommits, "SyncAll": db.SyncAll} {
		if err := sync(dctx); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if db.pgFlushes.Load() != 0 {
		t.Errorf("%d flushes asked for without a lazy pool, want none", db.pgFlushes.Load())
	}
}
