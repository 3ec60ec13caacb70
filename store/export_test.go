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
