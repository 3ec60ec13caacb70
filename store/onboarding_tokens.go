package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/paybridge/paybridge"
)

const upkeepCols = `u.merchant_id, u.access_expires, u.refresh_expires, u.lease_until, u.inflight_fp, u.inflight_since, u.last_error`

func scanUpkeep(s scanner) (*paybridge.TokenUpkeep, error) {
	var u paybridge.TokenUpkeep
	var ae, re, lease, since int64
	if err := s.Scan(&u.MerchantID, &ae, &re, &lease, &u.InflightFP, &since, &u.LastError); err != nil {
		return nil, err
	}
	u.AccessExpires, u.RefreshExpires = fromMicros(ae), fromMicros(re)
	u.LeaseUntil, u.InflightSince = fromMicros(lease), fromMicros(since)
	return &u, nil
}

func (db *DB) upkeepList(ctx context.Context, q string, args ...any) ([]*paybridge.TokenUpkeep, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.mapErr("token upkeep", err)
	}
	defer rows.Close()
	var out []*paybridge.TokenUpkeep
	for rows.Next() {
		u, err := scanUpkeep(rows)
		if err != nil {
			return nil, db.mapErr("token upkeep", err)
		}
		out = append(out, u)
	}
	return out, db.mapErr("token upkeep", rows.Err())
}

// TokenUpkeep returns a merchant's refresh bookkeeping.
func (db *DB) TokenUpkeep(ctx context.Context, merchantID string) (*paybridge.TokenUpkeep, error) {
	u, err := scanUpkeep(db.r.QueryRowContext(ctx, `SELECT `+upkeepCols+` FROM token_upkeep u WHERE u.merchant_id = $1`, merchantID))
	return u, db.getErr("token upkeep", err)
}

// DueTokenRefreshes lists active merchants whose access token expires
// before `before`, with no refresh in flight, soonest first.
func (db *DB) DueTokenRefreshes(ctx context.Context, before, now time.Time, limit int) ([]*paybridge.TokenUpkeep, error) {
	return db.upkeepList(ctx, `SELECT `+upkeepCols+` FROM token_upkeep u JOIN merchants m ON m.id = u.merchant_id
		WHERE m.status = $1 AND u.inflight_fp = '' AND u.lease_until < $2 AND u.access_expires < $3
		ORDER BY u.access_expires LIMIT $4`, paybridge.MerchantActive, micros(now), micros(before), limit)
}

// StaleTokenRefreshes lists merchants whose refresh is in flight and whose
// lease ran out before now: the process died or its commit failed.
func (db *DB) StaleTokenRefreshes(ctx context.Context, now time.Time, limit int) ([]*paybridge.TokenUpkeep, error) {
	return db.upkeepList(ctx, `SELECT `+upkeepCols+` FROM token_upkeep u
		WHERE u.inflight_fp <> '' AND u.lease_until < $1 ORDER BY u.inflight_since LIMIT $2`, micros(now), limit)
}

// BeginTokenRefresh records fp as in flight (see paybridge.OnboardingStore).
//
// It takes the upkeep row's lock first, in a statement of its own, and
// only then checks the credentials: on PostgreSQL (READ COMMITTED) a
// single conditional UPDATE that waits for a concurrent
// CompleteTokenRefresh re-checks its own row after that commit but
// evaluates the merchants subquery on the snapshot it started with, so
// it saw the new upkeep row (nothing in flight) with the old credentials
// and won: a second instance sent the spent refresh token, Clover refused
// it, and the merchant had to reauthorize (TestRefreshAcrossInstances).
// Locking first makes the check a new statement, which sees the commit.
// The lock order (upkeep, then merchant) is CompleteTokenRefresh's.
func (db *DB) BeginTokenRefresh(ctx context.Context, merchantID, fp string, sealedCreds []byte, leaseUntil, now time.Time) (bool, error) {
	won := false
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE token_upkeep SET updated_at = updated_at WHERE merchant_id = $1`, merchantID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE token_upkeep SET inflight_fp = $1, inflight_since = $2, lease_until = $3,
			updated_at = $2
			WHERE merchant_id = $4 AND inflight_fp = '' AND lease_until < $2
			AND EXISTS (SELECT 1 FROM merchants m WHERE m.id = $4 AND m.status = $5 AND m.sealed_creds = $6)`,
			fp, micros(now), micros(leaseUntil), merchantID, paybridge.MerchantActive, sealedCreds)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		won = n == 1
		return err
	})
	return won, db.mapErr("begin token refresh", err)
}

// CompleteTokenRefresh stores the new pair and clears the in-flight mark
// in one transaction, only if fp is still in flight.
func (db *DB) CompleteTokenRefresh(ctx context.Context, merchantID, fp string, sealedCreds []byte, accessExpires, refreshExpires, now time.Time) error {
	now = db.stamp(now)
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE token_upkeep SET access_expires = $1, refresh_expires = $2,
			lease_until = 0, inflight_fp = '', inflight_since = 0, last_error = '', updated_at = $3
			WHERE merchant_id = $4 AND inflight_fp = $5`,
			micros(accessExpires), micros(refreshExpires), micros(now), merchantID, fp)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return paybridge.Errorf(paybridge.ECONFLICT, "", "the token refresh is no longer in flight").WithCode("stale_state")
		}
		res, err = tx.ExecContext(ctx, `UPDATE merchants SET sealed_creds = $1, updated_at = $2 WHERE id = $3`,
			sealedCreds, micros(now), merchantID)
		return db.oneRow("merchant", res, err)
	})
}

// AbandonTokenRefresh clears fp's in-flight mark and lease: the refresh
// token was definitely not consumed and may be tried again.
func (db *DB) AbandonTokenRefresh(ctx context.Context, merchantID, fp, reason string, now time.Time) error {
	return db.endRefresh(ctx, merchantID, fp, reason, now)
}

// FailTokenRefresh clears fp's in-flight mark and records why the merchant
// must reauthorize.
func (db *DB) FailTokenRefresh(ctx context.Context, merchantID, fp, reason string, now time.Time) error {
	return db.endRefresh(ctx, merchantID, fp, reason, now)
}

func (db *DB) endRefresh(ctx context.Context, merchantID, fp, reason string, now time.Time) error {
	res, err := db.exec(ctx, `UPDATE token_upkeep SET lease_until = 0, inflight_fp = '', inflight_since = 0,
		last_error = $1, updated_at = $2 WHERE merchant_id = $3 AND inflight_fp = $4`,
		reason, micros(db.stamp(now)), merchantID, fp)
	if err != nil {
		return db.mapErr("end token refresh", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return paybridge.Errorf(paybridge.ECONFLICT, "", "the token refresh is no longer in flight").WithCode("stale_state")
	}
	return nil
}
