package store

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/paybridge/paybridge"
)

// EventRef names one stored event.
type EventRef struct{ ID, MerchantID string }

// insertPendingFanouts records listened events committed while no runner
// is hooked (OnEvents nil), in their own transaction, so that whoever
// starts a runner next enqueues their fan-out: an event is never stored
// without a way to its endpoints.
func insertPendingFanouts(ctx context.Context, tx *sql.Tx, events []*paybridge.Event, now time.Time) error {
	for chunk := range slices.Chunk(events, maxRows) {
		args := make([]any, 0, 3*len(chunk))
		for _, ev := range chunk {
			args = append(args, ev.ID, ev.MerchantID, micros(now))
		}
		q := multiInsert(`INSERT INTO pending_fanouts (event_id, merchant_id, created_at) VALUES `, len(chunk), 3, 0)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return wrapf(err, "insert pending fan-outs")
		}
	}
	return nil
}

// HasPendingFanouts reports, from the read pool, whether any pending
// fan-out waits: the periodic sweep asks first, so an idle install does
// not put an empty write transaction through the writer every few seconds.
func (db *DB) HasPendingFanouts(ctx context.Context) (bool, error) {
	var yes bool
	err := db.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pending_fanouts)`).Scan(&yes)
	return yes, db.mapErr("pending fan-outs", err)
}

// TakePendingFanouts deletes up to limit pending fan-outs, oldest first,
// in tx and returns them: the caller enqueues their jobs in the same tx,
// so each is taken exactly once however many instances sweep at once (on
// PostgreSQL a concurrent taker waits on the row and then skips it).
func (db *DB) TakePendingFanouts(ctx context.Context, tx Tx, limit int) ([]EventRef, error) {
	rows, err := tx.SQL.QueryContext(ctx, `DELETE FROM pending_fanouts WHERE event_id IN
		(SELECT event_id FROM pending_fanouts ORDER BY created_at, event_id LIMIT $1)
		RETURNING event_id, merchant_id`, limit)
	if err != nil {
		return nil, db.mapErr("take pending fan-outs", err)
	}
	defer rows.Close()
	var refs []EventRef
	for rows.Next() {
		var r EventRef
		if err := rows.Scan(&r.ID, &r.MerchantID); err != nil {
			return nil, db.mapErr("take pending fan-outs", err)
		}
		refs = append(refs, r)
	}
	return refs, db.mapErr("take pending fan-outs", rows.Err())
}
