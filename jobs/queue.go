package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/paybridge/paybridge/store"
)

// queue is a River client whichever its transaction type: what the
// runner needs, with the store's Tx pair mapped to the driver's own.
type queue interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	InsertTx(ctx context.Context, tx store.Tx, params []river.InsertManyParams) error
	Insert(ctx context.Context, params []river.InsertManyParams) error
}

type riverQueue[TTx any] struct {
	c    *river.Client[TTx]
	txOf func(store.Tx) TTx
	db   *store.DB
}

func (q *riverQueue[TTx]) Start(ctx context.Context) error { return q.c.Start(ctx) }
func (q *riverQueue[TTx]) Stop(ctx context.Context) error  { return q.c.Stop(ctx) }

func (q *riverQueue[TTx]) InsertTx(ctx context.Context, tx store.Tx, params []river.InsertManyParams) error {
	_, err := q.c.InsertManyTx(ctx, q.txOf(tx), params)
	return err
}

// Insert is for callers outside any transaction (on SQLite, never while a
// transaction is open in the same goroutine: the one connection is busy).
// River commits its own transactions without waiting for the disk on
// SQLite (store/defer.go), so Insert waits for it: an inserted job is
// durable when Insert returns.
func (q *riverQueue[TTx]) Insert(ctx context.Context, params []river.InsertManyParams) error {
	if _, err := q.c.InsertMany(ctx, params); err != nil {
		return err
	}
	return q.db.SyncAll(ctx)
}

// newQueue migrates River's schema up and builds the client for the
// store's engine.
func newQueue(ctx context.Context, db *store.DB, cfg *river.Config) (queue, error) {
	switch db.Dialect() {
	case store.EnginePostgres:
		unlock, err := lockMigrations(ctx, db.Pool())
		if err != nil {
			return nil, err
		}
		defer unlock()
		return build(ctx, db, riverpgxv5.New(db.Pool()), cfg, func(t store.Tx) pgx.Tx { return t.PGX })
	default:
		return build(ctx, db, riversqlite.New(db.Writer()), cfg, func(t store.Tx) *sql.Tx { return t.SQL })
	}
}

// lockMigrations takes a session advisory lock, keyed by the current
// schema, for River's migrations: rivermigrate does not serialise itself,
// and instances starting together on a new schema otherwise race to
// create the same functions and tables (duplicate key on pg_proc). The
// others wait for the first, then find nothing to do.
func lockMigrations(ctx context.Context, pool *pgxpool.Pool) (func(), error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("river migrate lock: %w", err)
	}
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		conn.Release()
		return nil, fmt.Errorf("river migrate lock: current schema: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("paybridge-river-migrate:" + schema))
	key := int64(h.Sum64() >> 1)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		conn.Release()
		return nil, fmt.Errorf("river migrate lock: %w", err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", key); err != nil {
			// The session may be broken: close it, which frees the lock.
			_ = conn.Conn().Close(ctx)
		}
		conn.Release()
	}, nil
}

func build[TTx any](ctx context.Context, db *store.DB, d riverdriver.Driver[TTx], cfg *river.Config, txOf func(store.Tx) TTx) (queue, error) {
	m, err := rivermigrate.New(d, &rivermigrate.Config{Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("river migrate: %w", err)
	}
	c, err := river.NewClient(d, cfg)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return &riverQueue[TTx]{c: c, txOf: txOf, db: db}, nil
}
