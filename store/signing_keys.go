package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/paybridge/paybridge"
)

// AddSigningKey stores a new key of the API-key ring.
func (db *DB) AddSigningKey(ctx context.Context, k *paybridge.SigningKey) error {
	_, err := db.exec(ctx, `INSERT INTO signing_keys (kid, sealed_seed, created_at) VALUES ($1, $2, $3)`,
		k.KID, k.SealedSeed, micros(db.stamp(k.CreatedAt)))
	return db.mapErr("add signing key", err)
}

// SigningKeys lists the live keys, oldest first (ties by kid), so the last
// is the active one on every instance alike.
func (db *DB) SigningKeys(ctx context.Context) ([]*paybridge.SigningKey, error) {
	rows, err := db.w.QueryContext(ctx, `SELECT kid, sealed_seed, created_at FROM signing_keys
		WHERE retired_at = 0 ORDER BY created_at, kid`)
	if err != nil {
		return nil, db.mapErr("list signing keys", err)
	}
	defer rows.Close()
	var out []*paybridge.SigningKey
	for rows.Next() {
		k := &paybridge.SigningKey{}
		var created int64
		if err := rows.Scan(&k.KID, &k.SealedSeed, &created); err != nil {
			return nil, db.mapErr("list signing keys", err)
		}
		k.CreatedAt = fromMicros(created)
		out = append(out, k)
	}
	return out, db.mapErr("list signing keys", rows.Err())
}

// RetireSigningKey retires a live key other than the active one, checked
// in the same transaction so a concurrent rotate cannot leave no key.
func (db *DB) RetireSigningKey(ctx context.Context, kid string, now time.Time) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		var active string
		err := tx.QueryRowContext(ctx, `SELECT kid FROM signing_keys WHERE retired_at = 0
			ORDER BY created_at DESC, kid DESC LIMIT 1`).Scan(&active)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return db.mapErr("retire signing key", err)
		}
		if kid == active {
			return paybridge.Errorf(paybridge.EINVALID, "kid", "%s is the active signing key: rotate first", kid).WithCode("active_signing_key")
		}
		res, err := tx.ExecContext(ctx, `UPDATE signing_keys SET retired_at = $1 WHERE kid = $2 AND retired_at = 0`,
			micros(db.stamp(now)), kid)
		return db.oneRow("signing key", res, err)
	})
}
