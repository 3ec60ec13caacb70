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
// in flight) and writes nothing. On SQLite under Defer the key is claimed
// and its row written with the request's first write (claims.go).
func (db *DB) BeginIdempotent(ctx context.Context, rec *paybridge.IdempotencyRecord) (*paybridge.IdempotencyRecord, error) {
	rec.CreatedAt = db.stamp(rec.CreatedAt)
	rec.Completed, rec.Status, rec.Body = false, 0, nil
	if db.group != nil {
		if c := db.group.claims.holder(rec.MerchantID, rec.Key); c != nil {
			return c.inFlight(), nil
		}
		if d := deferralOf(ctx); d != nil {
			return db.claimIdempotent(ctx, d, rec)
		}
	}
	var stored *paybridge.IdempotencyRecord
	begin := func(q querier) error {
		// A conflicting key released between our INSERT and SELECT is
		// gone; then the INSERT is simply tried again.
		for range 3 {
			res, err := q.ExecContext(ctx, insertKey, rec.MerchantID, rec.Key, rec.RequestHash, false, 0, nil,
				micros(rec.CreatedAt))
			if err != nil {
				return wrapf(err, "insert idempotency key")
			}
			if n, err := res.RowsAffected(); err != nil || n == 1 {
				return err
			}
			// The key exists. On PostgreSQL the conflicting row is
			// committed (ON CONFLICT waited for it), so this read sees it.
			if stored, err = db.readIdempotent(ctx, q, rec.MerchantID, rec.Key); err != nil || stored != nil {
				return err
			}
		}
		return errors.New("idempotency key kept vanishing")
	}
	if db.engine == EnginePostgres {
		// Each statement on its own: the INSERT is atomic, and the
		// SELECT only reads a committed row. No transaction saves the
		// BEGIN and COMMIT round trips on every idempotent request.
		err := begin(db.w)
		return stored, db.mapErr("begin idempotency key", err)
	}
	// Nothing outside the database depends on the key alone being on disk:
	// the request's first durable write makes it durable too, and if a
	// power loss takes it before that, nothing of the request happened.
	err := db.withLazyTx(ctx, func(t Tx) error { return begin(t.SQL) })
	return stored, err
}

// readIdempotent returns the stored key, or nil if there is none.
func (db *DB) readIdempotent(ctx context.Context, q rowQuerier, merchantID, key string) (*paybridge.IdempotencyRecord, error) {
	var s paybridge.IdempotencyRecord
	var created int64
	err := q.QueryRowContext(ctx, `SELECT merchant_id, key, request_hash, completed, status, body, created_at
		FROM idempotency_keys WHERE merchant_id = $1 AND key = $2`, merchantID, key).
		Scan(&s.MerchantID, &s.Key, &s.RequestHash, &s.Completed, &s.Status, &s.Body, &created)
	if err == sql.ErrNoRows {
		return nil, nil
	} else if err != nil {
		return nil, wrapf(err, "read idempotency key")
	}
	s.CreatedAt = fromMicros(created)
	return &s, nil
}

// CompleteIdempotent stores the response of an in-flight key. An absent
// key is ENOTFOUND; a completed one is ECONFLICT "idempotency_completed"
// (the first response stands).
func (db *DB) CompleteIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	defer db.dropClaim(merchantID, key)
	if done, err := db.endClaim(ctx, merchantID, key, true, status, body); done {
		return err
	}
	res, err := db.exec(ctx, `UPDATE idempotency_keys SET completed = $1, status = $2, body = $3
		WHERE merchant_id = $4 AND key = $5 AND completed = $6`, true, status, body, merchantID, key, false)
	return db.inFlightOnly(ctx, res, err, merchantID, key)
}

// ReleaseIdempotent forgets an in-flight key so the client may retry. An
// absent key is ENOTFOUND; a completed one is ECONFLICT and stays.
func (db *DB) ReleaseIdempotent(ctx context.Context, merchantID, key string) error {
	defer db.dropClaim(merchantID, key)
	if done, err := db.endClaim(ctx, merchantID, key, false, 0, nil); done {
		return err
	}
	res, err := db.exec(ctx, `DELETE FROM idempotency_keys
		WHERE merchant_id = $1 AND key = $2 AND completed = $3`, merchantID, key, false)
	return db.inFlightOnly(ctx, res, err, merchantID, key)
}

// dropClaim ends a key's claim in this process, after its end is written.
func (db *DB) dropClaim(merchantID, key string) {
	if db.group != nil {
		db.group.claims.drop(merchantID, key)
	}
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
