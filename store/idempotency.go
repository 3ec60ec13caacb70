package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/paybridge/paybridge"
)

// BeginIdempotent inserts rec as in flight and returns (nil, nil); if the
// (merchant, key) pair exists it returns the stored record (completed or
// in flight) and writes nothing.
func (db *DB) BeginIdempotent(ctx context.Context, rec *paybridge.IdempotencyRecord) (*paybridge.IdempotencyRecord, error) {
	rec.CreatedAt = db.stamp(rec.CreatedAt)
	rec.Completed, rec.Status, rec.Body = false, 0, nil
	var stored *paybridge.IdempotencyRecord
	begin := func(q querier) error {
		// A conflicting key released between our INSERT and SELECT is
		// gone; then the INSERT is simply tried again.
		for range 3 {
			res, err := q.ExecContext(ctx, `INSERT INTO idempotency_keys
				(merchant_id, key, request_hash, completed, status, body, created_at)
				VALUES ($1, $2, $3, $4, 0, NULL, $5) ON CONFLICT (merchant_id, key) DO NOTHING`,
				rec.MerchantID, rec.Key, rec.RequestHash, false, micros(rec.CreatedAt))
			if err != nil {
				return wrapf(err, "insert idempotency key")
			}
			if n, err := res.RowsAffected(); err != nil || n == 1 {
				return err
			}
			// The key exists. On PostgreSQL the conflicting row is
			// committed (ON CONFLICT waited for it), so this read sees it.
			var s paybridge.IdempotencyRecord
			var created int64
			err = q.QueryRowContext(ctx, `SELECT merchant_id, key, request_hash, completed, status, body, created_at
				FROM idempotency_keys WHERE merchant_id = $1 AND key = $2`, rec.MerchantID, rec.Key).
				Scan(&s.MerchantID, &s.Key, &s.RequestHash, &s.Completed, &s.Status, &s.Body, &created)
			if err == sql.ErrNoRows {
				continue
			} else if err != nil {
				return wrapf(err, "read idempotency key")
			}
			s.CreatedAt = fromMicros(created)
			stored = &s
			return nil
		}
		return errors.New("idempotency key kept vanishing")
	}
	// Nothing outside the database depends on the key alone being on disk:
	// the request's first durable write or sync makes it durable too, and
	// if a power loss takes it before that, nothing of the request happened.
	if db.engine == EnginePostgres {
		// Each statement on its own, on the lazy pool: the INSERT is
		// atomic, and the SELECT only reads a committed row. No
		// transaction saves the BEGIN and COMMIT round trips on every
		// idempotent request.
		err := begin(db.pgLazyWriter())
		return stored, db.mapErr("begin idempotency key", err)
	}
	err := db.withLazyTx(ctx, func(t Tx) error { return begin(t.SQL) })
	return stored, err
}

// CompleteIdempotent stores the response of an in-flight key. An absent
// key is ENOTFOUND; a completed one is ECONFLICT "idempotency_completed"
// (the first response stands).
func (db *DB) CompleteIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	res, err := db.exec(ctx, `UPDATE idempotency_keys SET completed = $1, status = $2, body = $3
		WHERE merchant_id = $4 AND key = $5 AND completed = $6`, true, status, body, merchantID, key, false)
	return db.inFlightOnly(ctx, res, err, merchantID, key)
}

// ReleaseIdempotent forgets an in-flight key so the client may retry. An
// absent key is ENOTFOUND; a completed one is ECONFLICT and stays.
func (db *DB) ReleaseIdempotent(ctx context.Context, merchantID, key string) error {
	res, err := db.exec(ctx, `DELETE FROM idempotency_keys
		WHERE merchant_id = $1 AND key = $2 AND completed = $3`, merchantID, key, false)
	return db.inFlightOnly(ctx, res, err, merchantID, key)
}

// inFlightOnly explains a write that matched no in-flight key.
func (db *DB) inFlightOnly(ctx context.Context, res sql.Result, err error, merchantID, key string) error {
	if err != nil {
		return db.mapErr("idempotency key", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return db.internal("rows affected", err)
	} else if n == 1 {
		return nil
	}
	var one int
	err = db.w.QueryRowContext(ctx, `SELECT 1 FROM idempotency_keys WHERE merchant_id = $1 AND key = $2`,
		merchantID, key).Scan(&one)
	if err == sql.ErrNoRows {
		return notFound("idempotency key")
	} else if err != nil {
		return db.mapErr("idempotency key", err)
	}
	return paybridge.Errorf(paybridge.ECONFLICT, "", "the idempotency key already has a response").
		WithCode("idempotency_completed")
}

// PurgeIdempotent deletes keys created before t and returns how many.
func (db *DB) PurgeIdempotent(ctx context.Context, before time.Time) (int, error) {
	res, err := db.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, before.UnixMicro())
	if err != nil {
		return 0, db.mapErr("purge idempotency keys", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, db.internal("rows affected", err)
	}
	return int(n), nil
}
