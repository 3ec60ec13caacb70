package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/paybridge/paybridge"
)

// idemCols are an idempotency key's columns as scanIdem reads them; $1 is
// the current time in microseconds (for the owner's lease).
const idemCols = `merchant_id, key, request_hash, completed, status, body, created_at, phase, resource, claim,
	CASE WHEN k.completed = $1 THEN 0 WHEN ` + `k.owner <> '' AND NOT EXISTS (SELECT 1 FROM instance_leases l
		WHERE l.id = k.owner AND l.expires_at > $2) THEN 1 ELSE 0 END`

func scanIdem(s scanner) (*paybridge.IdempotencyRecord, error) {
	var r paybridge.IdempotencyRecord
	var created, orphan int64
	if err := s.Scan(&r.MerchantID, &r.Key, &r.RequestHash, &r.Completed, &r.Status, &r.Body, &created,
		&r.Phase, &r.Resource, &r.Claim, &orphan); err != nil {
		return nil, err
	}
	r.CreatedAt, r.Orphaned = fromMicros(created), orphan == 1
	return &r, nil
}

// BeginIdempotent inserts rec as in flight (phase started, owned by
// db.Instance, under rec.Claim) and returns (nil, nil); if the (merchant,
// key) pair exists it returns the stored record (completed or in flight,
// Orphaned when its owner's lease has expired) and writes nothing.
func (db *DB) BeginIdempotent(ctx context.Context, rec *paybridge.IdempotencyRecord) (*paybridge.IdempotencyRecord, error) {
	rec.CreatedAt = db.stamp(rec.CreatedAt)
	rec.Completed, rec.Status, rec.Body = false, 0, nil
	rec.Phase, rec.Resource, rec.Orphaned = paybridge.PhaseStarted, "", false
	var stored *paybridge.IdempotencyRecord
	begin := func(q querier) error {
		// A conflicting key released between our INSERT and SELECT is
		// gone; then the INSERT is simply tried again.
		for range 3 {
			res, err := q.ExecContext(ctx, `INSERT INTO idempotency_keys
				(merchant_id, key, request_hash, completed, status, body, created_at, phase, resource, owner, claim)
				VALUES ($1, $2, $3, $4, 0, NULL, $5, $6, '', $7, $8) ON CONFLICT (merchant_id, key) DO NOTHING`,
				rec.MerchantID, rec.Key, rec.RequestHash, false, micros(rec.CreatedAt), rec.Phase, db.Instance, rec.Claim)
			if err != nil {
				return wrapf(err, "insert idempotency key")
			}
			if n, err := res.RowsAffected(); err != nil || n == 1 {
				return err
			}
			// The key exists. On PostgreSQL the conflicting row is
			// committed (ON CONFLICT waited for it), so this read sees it.
			s, err := scanIdem(q.QueryRowContext(ctx, `SELECT `+idemCols+`
				FROM idempotency_keys k WHERE merchant_id = $3 AND key = $4`,
				true, time.Now().UnixMicro(), rec.MerchantID, rec.Key))
			if err == sql.ErrNoRows {
				continue
			} else if err != nil {
				return wrapf(err, "read idempotency key")
			}
			stored = s
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

// CompleteIdempotent stores the response of an in-flight key (phase
// answered), or replaces a stored 202 (a payment that was still
// processing) with the final answer. When ctx carries a RequestKey its
// claim must still hold the key: a request whose key was taken over by
// recovery cannot overwrite what recovery stored. An absent key is
// ENOTFOUND; a completed one (not 202) is ECONFLICT "idempotency_completed"
// (the first response stands).
func (db *DB) CompleteIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	claim := claimOf(ctx, merchantID, key)
	res, err := db.exec(ctx, `UPDATE idempotency_keys SET completed = $1, status = $2, body = $3, phase = $4
		WHERE merchant_id = $5 AND key = $6
		AND ((completed = $7 AND ($8 = '' OR claim = $8)) OR (completed = $1 AND status = 202))`,
		true, status, body, paybridge.PhaseAnswered, merchantID, key, false, claim)
	return db.inFlightOnly(ctx, res, err, merchantID, key)
}

// ReleaseIdempotent forgets an in-flight key so the client may retry. An
// absent key is ENOTFOUND; a completed one is ECONFLICT and stays; so does
// one whose request created its resource (ECONFLICT "idempotency_created":
// a retry must get that resource's outcome, never make a second one) or
// whose claim another request holds ("idempotency_taken_over").
func (db *DB) ReleaseIdempotent(ctx context.Context, merchantID, key string) error {
	claim := claimOf(ctx, merchantID, key)
	res, err := db.exec(ctx, `DELETE FROM idempotency_keys
		WHERE merchant_id = $1 AND key = $2 AND completed = $3 AND resource = '' AND ($4 = '' OR claim = $4)`,
		merchantID, key, false, claim)
	return db.inFlightOnly(ctx, res, err, merchantID, key)
}

// claimOf is the claim of ctx's RequestKey when it names this key.
func claimOf(ctx context.Context, merchantID, key string) string {
	if k, ok := paybridge.RequestKeyFrom(ctx); ok && k.MerchantID == merchantID && k.Key == key {
		return k.Claim
	}
	return ""
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
	var completed bool
	var resource, claim string
	err = db.w.QueryRowContext(ctx, `SELECT completed, resource, claim FROM idempotency_keys WHERE merchant_id = $1 AND key = $2`,
		merchantID, key).Scan(&completed, &resource, &claim)
	mine := claimOf(ctx, merchantID, key)
	switch {
	case err == sql.ErrNoRows:
		return notFound("idempotency key")
	case err != nil:
		return db.mapErr("idempotency key", err)
	case completed:
		return paybridge.Errorf(paybridge.ECONFLICT, "", "the idempotency key already has a response").
			WithCode("idempotency_completed")
	case resource != "" && (mine == "" || mine == claim):
		return paybridge.Errorf(paybridge.ECONFLICT, "", "the idempotency key's request created %s", resource).
			WithCode("idempotency_created")
	}
	return paybridge.Errorf(paybridge.ECONFLICT, "", "another request took over the idempotency key").
		WithCode("idempotency_taken_over")
}

// OrphanedIdempotent returns up to limit in-flight keys, any merchant,
// whose owner no longer holds its lease, oldest first (bodies not read).
func (db *DB) OrphanedIdempotent(ctx context.Context, limit int) ([]*paybridge.IdempotencyRecord, error) {
	now := time.Now().UnixMicro()
	rows, err := db.r.QueryContext(ctx, `SELECT `+idemCols+` FROM idempotency_keys k
		WHERE completed = $3 AND `+orphaned("k", "$2")+` ORDER BY created_at LIMIT $4`,
		true, now, false, dueLimit(limit))
	if err != nil {
		return nil, db.mapErr("orphaned idempotency keys", err)
	}
	defer rows.Close()
	var out []*paybridge.IdempotencyRecord
	for rows.Next() {
		r, err := scanIdem(rows)
		if err != nil {
			return nil, db.mapErr("scan idempotency key", err)
		}
		out = append(out, r)
	}
	return out, db.mapErr("orphaned idempotency keys", rows.Err())
}

// markCreated records, in the transaction tx that creates resource, that
// the request of ctx's RequestKey reached phase created (the first resource
// a request creates is the one it answers with). It fails, rolling the
// creation back, when the request no longer holds its key: recovery took it
// over, thinking its process dead, and may be running the request again.
func (db *DB) markCreated(ctx context.Context, q querier, resource string) error {
	k, ok := paybridge.RequestKeyFrom(ctx)
	if !ok {
		return nil
	}
	res, err := q.ExecContext(ctx, `UPDATE idempotency_keys
		SET phase = $1, resource = CASE WHEN resource = '' THEN $2 ELSE resource END
		WHERE merchant_id = $3 AND key = $4 AND claim = $5 AND completed = $6`,
		paybridge.PhaseCreated, resource, k.MerchantID, k.Key, k.Claim, false)
	if err != nil {
		return wrapf(err, "mark idempotency key")
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrapf(err, "mark idempotency key")
	} else if n != 1 {
		return paybridge.Errorf(paybridge.ECONFLICT, "", "another request took over the idempotency key").
			WithCode("idempotency_taken_over")
	}
	return nil
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
