package store

import (
	"context"
	"database/sql"
	"sync/atomic"
)

// Deferred durability. Inside an API request that carries an
// Idempotency-Key, nothing leaves paybridge between the request's writes
// except at three points: a call to Clover, an email (a payment link), and
// the response, which is sent only after the key's stored response commits
// durably. So the request's writes need not each wait for the disk: under
// Defer they commit (visible to every reader at once) without waiting, and
// Sync, called before each Clover call (clover.Config.BeforeSend) and each
// email (email.SyncFirst) and implied by the durable commit of the stored
// response (the log is written in order, so its flush covers every commit
// before it), makes them durable before anything depends on them outside
// the database. A paid invoice then waits for the disk three times instead
// of five on SQLite and seven on PostgreSQL. Jobs run only after
// SyncCommits, so a job never acts on a commit that a power loss could
// still take back.
//
// On SQLite the group committer simply does not wait for the WAL sync
// (groupcommit.go). On PostgreSQL deferred writes go through a second pool
// whose sessions run with synchronous_commit off; Sync then asks the
// server to flush its WAL, unless a durable write that began after the
// request's last deferred commit already did (pgFlushed), as the stored
// response's does.

type deferKey struct{}

// deferral is the highest commit made under a Defer context: a WAL
// position on SQLite, a count of deferred commits (pgLazy) on PostgreSQL.
type deferral struct{ seq atomic.Uint64 }

func (d *deferral) raise(n uint64) { raise(&d.seq, n) }

// raise sets v to n if n is higher.
func raise(v *atomic.Uint64, n uint64) {
	for {
		cur := v.Load()
		if n <= cur || v.CompareAndSwap(cur, n) {
			return
		}
	}
}

// Defer returns ctx under which the DB's writes do not wait for the disk
// until Sync.
func (db *DB) Defer(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferKey{}, &deferral{})
}

func deferralOf(ctx context.Context) *deferral {
	d, _ := ctx.Value(deferKey{}).(*deferral)
	return d
}

// Sync waits until the writes made under ctx's Defer are on disk (at once
// without one).
func (db *DB) Sync(ctx context.Context) error {
	d := deferralOf(ctx)
	if d == nil {
		return nil
	}
	if db.engine == EnginePostgres {
		if db.lw == nil || d.seq.Load() <= db.pgFlushed.Load() {
			return nil
		}
		return db.pgFlush(ctx)
	}
	return db.syncTo(d.seq.Load())
}

// SyncAll waits until everything written to the WAL so far is on disk:
// every commit through the store, deferred ones included, and River's own
// transactions on the writer's connection, which the committer never sees
// (so this always waits for a sync that began after the call).
func (db *DB) SyncAll(ctx context.Context) error {
	if db.engine == EnginePostgres {
		return db.pgFlush(ctx)
	}
	return db.syncTo(db.group.wal.wrote())
}

// SyncCommits waits until every commit made through the store so far is
// on disk, deferred ones included; when they all are, it returns at once.
// A job starts after it, so it never acts on a commit that a power loss
// could take back (on SQLite, River's own transactions are not covered:
// see SyncAll). On PostgreSQL it covers every instance's commits, not only
// this one's.
func (db *DB) SyncCommits(ctx context.Context) error {
	if db.engine == EnginePostgres {
		return db.pgFlush(ctx)
	}
	return db.syncTo(db.group.wal.last())
}

func (db *DB) syncTo(n uint64) error {
	if n == 0 {
		return nil
	}
	if err := db.group.wal.wait(n); err != nil {
		return db.internal("sync wal", err)
	}
	return nil
}

// pgFlushSQL makes every commit so far durable, whichever session made
// it: when the server has WAL not yet flushed, it writes a transactional
// logical message (a WAL record with a transaction id; PostgreSQL lets
// every role write one), whose synchronous commit flushes the WAL up to
// it. A transaction that wrote no WAL would commit without flushing.
const pgFlushSQL = `SELECT CASE WHEN pg_current_wal_flush_lsn() < pg_current_wal_insert_lsn()
	THEN pg_logical_emit_message(true, 'paybridge', 'sync') END`

// pgFlushProbe checks at start-up that pgFlushSQL can flush here.
const pgFlushProbe = `SELECT pg_logical_emit_message(true, 'paybridge', 'probe')`

// pgFlush makes every PostgreSQL commit made so far durable (without the
// lazy pool, every commit already is).
func (db *DB) pgFlush(ctx context.Context) error {
	if db.lw == nil {
		return nil
	}
	before := db.pgLazy.Load()
	if _, err := db.w.ExecContext(ctx, pgFlushSQL); err != nil {
		return db.internal("flush wal", err)
	}
	db.pgFlushes.Add(1)
	raise(&db.pgFlushed, before)
	return nil
}

// pgWriter is the pool a PostgreSQL write under ctx goes to, and the
// deferral it commits under (nil: a durable write).
func (db *DB) pgWriter(ctx context.Context) (*sql.DB, *deferral) {
	if d := deferralOf(ctx); d != nil && db.lw != nil {
		return db.lw, d
	}
	return db.w, nil
}

// pgLazyWriter is the pool of PostgreSQL's lazy writes, which no Sync
// waits for (withLazyTx on SQLite).
func (db *DB) pgLazyWriter() *sql.DB {
	if db.lw != nil {
		return db.lw
	}
	return db.w
}

// pgCommitted records a PostgreSQL commit made through pgWriter's pool.
// A deferred one raises its request's deferral; a durable one that wrote
// (wrote: rows affected, so the commit flushed the WAL up to its own
// record) vouches for every deferred commit that ended before it began.
func (db *DB) pgCommitted(d *deferral, lazyBefore uint64, wrote bool) {
	switch {
	case d != nil:
		d.raise(db.pgLazy.Add(1))
	case wrote:
		raise(&db.pgFlushed, lazyBefore)
	}
}
