package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/paybridge/paybridge"
)

// RecordAPIKey stores k and, unless k is Standalone, revokes every other
// live key of the same (app, merchant, employee), in one transaction.
func (db *DB) RecordAPIKey(ctx context.Context, k *paybridge.APIKeyRecord) error {
	k.IssuedAt = db.stamp(k.IssuedAt)
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if !k.Standalone {
			if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1
				WHERE app_id = $2 AND merchant_id = $3 AND employee_id = $4 AND revoked_at = 0 AND jti <> $5`,
				micros(k.IssuedAt), k.AppID, k.MerchantID, k.EmployeeID, k.JTI); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys
			(jti, merchant_id, employee_id, app_id, integration_id, issued_at, expires_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			k.JTI, k.MerchantID, k.EmployeeID, k.AppID, k.IntegrationID, micros(k.IssuedAt), micros(k.ExpiresAt),
			microsPtr(k.RevokedAt))
		return err
	})
}

// RevokeAPIKey revokes one key by jti; revoking twice keeps the first time.
func (db *DB) RevokeAPIKey(ctx context.Context, jti string, now time.Time) error {
	res, err := db.exec(ctx, `UPDATE api_keys
		SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE revoked_at END WHERE jti = $2`,
		micros(db.stamp(now)), jti)
	return db.oneRow("api key", res, err)
}

// APIKeyRevoked reports whether the key with jti must be refused: revoked,
// recorded for another merchant or integration than its claims name (a
// signed token is trusted for nothing the record does not bear out),
// issued through an integration that is gone, unlinked or bound to another
// merchant since, or never recorded (every key paybridge issues is
// recorded, so each can be revoked by its jti).
func (db *DB) APIKeyRevoked(ctx context.Context, jti, merchantID, integrationID string) (bool, error) {
	var revoked int64
	var merchant, integration string
	var bound sql.NullString
	err := db.r.QueryRowContext(ctx, `SELECT k.revoked_at, k.merchant_id, k.integration_id, i.merchant_id
		FROM api_keys k LEFT JOIN integrations i ON i.id = k.integration_id WHERE k.jti = $1`, jti).
		Scan(&revoked, &merchant, &integration, &bound)
	switch {
	case err == sql.ErrNoRows:
		return true, nil
	case err != nil:
		return false, db.mapErr("api key revoked", err)
	case revoked != 0, merchant != merchantID, integration != integrationID:
		return true, nil
	case integration != "" && (!bound.Valid || bound.String != merchant):
		return true, nil
	}
	return false, nil
}
