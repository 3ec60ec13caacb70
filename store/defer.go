package store

import (
	"context"
	"sync/atomic"
)

// Deferred durability on SQLite. Inside an API request that carries an
// Idempotency-Key, nothing leaves paybridge between the request's writes
// except at three points: a call to Clover, an email (a payment link), and
// the response, which is sent only after the key's stored response commits
// durably. So the request's writes need not each wait for the disk: under
// Defer they commit (visible to every reader at once) without waiting, and
// Sync, called before each Clover call (clover.Config.BeforeSend) and each
// email (email.SyncFirst) and implied by the durable commit
// of the stored response (the WAL is written in order, so its sync covers
// every commit before it), makes them durable before anything depends on
// them outside the database. A paid invoice then waits for the disk three
// times instead of five. Jobs run only after SyncCommits, so a job never acts
// on a commit that a power loss could still take back.
//
// On PostgreSQL every commit is durable when it returns and these are
// no-ops.

type deferKey struct{}

// deferral is the highest commit made under a Defer context.
type deferral struct{ seq atomic.Uint64 }

func (d *deferral) raise(n uint64) {
	for {
		cur := d.seq.Load()
		if n <= cur || d.seq.CompareAndSwap(cur, n) {
			return
		}
	}
}

// Defer returns ctx under which the DB's writes do not wait for the disk
// until Sync.
func (db *DB) Defer(ctx context.Context) context.Context {
	if db.group == nil {
		return ctx
	}
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
	return db.syncTo(d.seq.Load())
}

// SyncAll waits until everything written to the WAL so far is on disk:
// every commit through the store, deferred ones included, and River's own
// transactions on the writer's connection, which the committer never sees
// (so this always waits for a sync that began after the call).
func (db *DB) SyncAll(ctx context.Context) error {
	if db.group == nil {
		return nil
	}
	return db.syncTo(db.group.wal.wrote())
}

// SyncCommits waits until every commit made through the store so far is
// on disk, deferred ones included; when they all are, it returns at once.
// A job starts after it, so it never acts on a commit that a power loss
// could take back (River's own transactions are not covered: see SyncAll).
func (db *DB) SyncCommits(ctx context.Context) error {
	if db.group == nil {
		return nil
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
