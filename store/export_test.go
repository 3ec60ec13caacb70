package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/paybridge/paybridge"
)

// Emit exposes emit to the external tests: an event with an empty object.
func Emit(ctx context.Context, db *DB, tx *sql.Tx, ev *paybridge.Event) error {
	return db.emit(ctx, tx, ev, struct{}{}, time.Time{})
}

// PGFlushes is how many times Sync, SyncCommits or SyncAll asked
// PostgreSQL to flush its WAL.
func PGFlushes(db *DB) uint64 { return db.pgFlushes.Load() }
