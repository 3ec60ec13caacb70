package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybridge/paybridge"
)

// Engine names, as Dialect returns them.
const (
	EngineSQLite   = "sqlite"
	EnginePostgres = "postgres"
)

// Options tune Open. The zero value is ready to use.
type Options struct {
	// Logger receives internal errors; slog.Default() when nil.
	Logger *slog.Logger
	// Now stamps CreatedAt/UpdatedAt when the caller gives no time;
	// time.Now when nil. Tests stub it.
	Now func() time.Time
	// Migrate runs the embedded migrations in Open, so a single binary can
	// start on an empty database.
	Migrate bool
	// ReadConns sizes SQLite's read pool (default 4). Ignored on PostgreSQL.
	ReadConns int
}

// DB is a paybridge.Store on SQLite or PostgreSQL. Its exported fields are
// the dependencies set by Open; change them before use, not during.
type DB struct {
	Logger *slog.Logger
	Now    func() time.Time
	// OnEvents, when set, runs inside every transaction that wrote events
	// someone listens to, just before commit (tx.go): the job runner
	// enqueues deliveries there.
	OnEvents EventsFunc
	// Instance is the lease id of the process using the store (lease.go):
	// the owner recorded on Idempotency-Keys and payments it starts. ""
	// records no owner (such rows fall under the staleness rule alone).
	Instance string
	// OnOrderSync, when set, runs inside the transaction that stores an
	// invoice whose Clover order is still to be made (CreateInvoice): the
	// job runner enqueues the order's sync job there.
	OnOrderSync OrderSyncFunc

	engine string
	txs    sync.Map  // *sql.Tx → *txState of open transactions (tx.go)
	w      *sql.DB   // every write and transaction; one connection on SQLite
	r      *readPool // plain reads; a query_only pool on SQLite, w on PostgreSQL
	pool   *pgxpool.Pool
	group  *committer // SQLite's group commit (groupcommit.go); nil on PostgreSQL

	// PostgreSQL's deferred durability (defer.go); nil and zero on SQLite.
	lw        *sql.DB // writes that need not wait for the disk (synchronous_commit off)
	lazyPool  *pgxpool.Pool
	pgLazy    atomic.Uint64 // deferred commits made so far
	pgFlushed atomic.Uint64 // the first pgFlushed of them are known to be on disk
	pgFlushes atomic.Uint64 // flushes asked for by Sync, SyncCommits and SyncAll
}

var _ paybridge.Store = (*DB)(nil)

// Open connects to dsn: a postgres:// (or postgresql://) URL, or a SQLite
// file path or file: URI. It migrates only if opts.Migrate is set.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	db := &DB{Logger: opts.Logger, Now: opts.Now}
	if db.Logger == nil {
		db.Logger = slog.Default()
	}
	if db.Now == nil {
		db.Now = time.Now
	}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db.engine = EnginePostgres
		err = db.openPostgres(ctx, dsn)
	} else {
		db.engine = EngineSQLite
		err = db.openSQLite(ctx, dsn, opts.ReadConns)
	}
	if err != nil {
		return nil, err
	}
	if opts.Migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// Dialect is EngineSQLite or EnginePostgres.
func (db *DB) Dialect() string { return db.engine }

// Writer is the *sql.DB every write goes through (on SQLite, its single
// connection), for packages such as jobs that add work to the same
// database; use WithTx to join a state change's transaction.
func (db *DB) Writer() *sql.DB { return db.w }

// Pool is the pgx pool on PostgreSQL (nil on SQLite), for drivers that
// want it natively.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping checks the database is reachable (for /readyz).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return db.internal("ping", err)
	}
	return nil
}

// Close releases every connection.
func (db *DB) Close() error {
	var errs []error
	if db.group != nil {
		errs = append(errs, db.group.close())
	}
	if db.r != nil && db.r.DB != db.w {
		errs = append(errs, db.r.Close())
	}
	for _, w := range []*sql.DB{db.w, db.lw} {
		if w != nil {
			errs = append(errs, w.Close())
		}
	}
	for _, p := range []*pgxpool.Pool{db.pool, db.lazyPool} {
		if p != nil {
			p.Close()
		}
	}
	return errors.Join(errs...)
}

// WithTx runs fn in one write transaction (BEGIN IMMEDIATE on SQLite),
// committing if fn returns nil. *paybridge.Error values from fn pass
// through unchanged; anything else becomes an internal error whose SQL
// details go to the log, never to the caller.
func (db *DB) WithTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.withTx(ctx, func(t Tx) error { return fn(t.SQL) })
}

// readTx runs fn in a read-only snapshot, so a read of several tables
// (an invoice and its lines) never mixes two versions. On SQLite the read
// pool's deferred transaction is a WAL snapshot; on PostgreSQL it is
// REPEATABLE READ.
func (db *DB) readTx(ctx context.Context, fn func(q querier) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.engine == EnginePostgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.r.BeginTx(ctx, opts)
	if err != nil {
		return db.internal("begin read", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	return fn(readTxQuerier{Tx: tx, pool: db.r})
}

// now is the store's clock, truncated to what the database keeps.
func (db *DB) now() time.Time { return trunc(db.Now()) }

// stamp returns t, or now when t is zero, truncated.
func (db *DB) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return db.now()
	}
	return trunc(t)
}

// wrapf formats an internal error for logs (never for clients).
func wrapf(err error, format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, err)...)
}
