package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/paybridge/paybridge"
)

const merchantCols = `id, clover_merchant_id, name, currency, status, pakms_key, created_at, updated_at`

func scanMerchant(s scanner) (*paybridge.Merchant, error) {
	var m paybridge.Merchant
	var created, updated int64
	err := s.Scan(&m.ID, &m.CloverMerchantID, &m.Name, &m.Currency, &m.Status, &m.PAKMSKey, &created, &updated)
	if err != nil {
		return nil, err
	}
	m.CreatedAt, m.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &m, nil
}

// CreateMerchant stores m and its sealed credentials. An existing id or
// Clover merchant id is ECONFLICT "merchant_exists".
func (db *DB) CreateMerchant(ctx context.Context, m *paybridge.Merchant, sealedCreds []byte) error {
	if m.ID == "" {
		m.ID = paybridge.NewID(paybridge.PrefixMerchant)
	}
	if m.Status == "" {
		m.Status = paybridge.MerchantActive
	}
	m.CreatedAt = db.stamp(m.CreatedAt)
	m.UpdatedAt = m.CreatedAt
	_, err := db.exec(ctx, `INSERT INTO merchants (`+merchantCols+`, sealed_creds)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		m.ID, m.CloverMerchantID, m.Name, m.Currency, m.Status, m.PAKMSKey,
		micros(m.CreatedAt), micros(m.UpdatedAt), sealedCreds)
	if isUnique(err) {
		return paybridge.Errorf(paybridge.ECONFLICT, "", "merchant already exists").WithCode("merchant_exists")
	}
	return db.mapErr("create merchant", err)
}

// GetMerchant returns the merchant with id.
func (db *DB) GetMerchant(ctx context.Context, id string) (*paybridge.Merchant, error) {
	m, err := scanMerchant(db.r.QueryRowContext(ctx, `SELECT `+merchantCols+` FROM merchants WHERE id = $1`, id))
	return m, db.getErr("merchant", err)
}

// GetMerchantByCloverID finds the merchant for a Clover merchant UUID.
func (db *DB) GetMerchantByCloverID(ctx context.Context, cloverMerchantID string) (*paybridge.Merchant, error) {
	m, err := scanMerchant(db.r.QueryRowContext(ctx,
		`SELECT `+merchantCols+` FROM merchants WHERE clover_merchant_id = $1`, cloverMerchantID))
	return m, db.getErr("merchant", err)
}

// MerchantCredentials returns the sealed credentials (nil if none stored).
func (db *DB) MerchantCredentials(ctx context.Context, merchantID string) ([]byte, error) {
	var b []byte
	err := db.r.QueryRowContext(ctx, `SELECT sealed_creds FROM merchants WHERE id = $1`, merchantID).Scan(&b)
	return b, db.getErr("merchant", err)
}

// MerchantWithCredentials returns the merchant and its sealed credentials
// in one statement: every Clover call on a request needs both.
func (db *DB) MerchantWithCredentials(ctx context.Context, id string) (*paybridge.Merchant, []byte, error) {
	var sealed []byte
	m, err := scanMerchant(appendScan{db.r.QueryRowContext(ctx,
		`SELECT `+merchantCols+`, sealed_creds FROM merchants WHERE id = $1`, id), []any{&sealed}})
	if err != nil {
		return nil, nil, db.getErr("merchant", err)
	}
	return m, sealed, nil
}

// SetMerchantCredentials replaces the sealed credentials.
func (db *DB) SetMerchantCredentials(ctx context.Context, merchantID string, sealedCreds []byte) error {
	res, err := db.exec(ctx, `UPDATE merchants SET sealed_creds = $1, updated_at = $2 WHERE id = $3`,
		sealedCreds, micros(db.now()), merchantID)
	return db.oneRow("merchant", res, err)
}

// SetMerchantStatus changes a merchant's status.
// A change writes merchant.reauthorization_required (or
// merchant.reactivated) in the same transaction.
func (db *DB) SetMerchantStatus(ctx context.Context, merchantID string, status paybridge.MerchantStatus) error {
	now := db.now()
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := lockMerchant(ctx, tx, merchantID, now); err != nil {
			return err
		}
		return db.setMerchantStatusTx(ctx, tx, merchantID, status, now)
	})
}

// lockMerchant takes the merchant's row lock for the transaction (a write,
// so PostgreSQL serialises concurrent changes and connects) and returns
// its status.
func lockMerchant(ctx context.Context, tx *sql.Tx, merchantID string, now time.Time) (paybridge.MerchantStatus, error) {
	var old paybridge.MerchantStatus
	err := tx.QueryRowContext(ctx, `UPDATE merchants SET updated_at = $1 WHERE id = $2 RETURNING status`,
		micros(now), merchantID).Scan(&old)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("merchant")
	} else if err != nil {
		return "", wrapf(err, "lock merchant")
	}
	return old, nil
}

// setMerchantStatusTx sets the status of a merchant locked by
// lockMerchant in tx, with its event when it changes.
func (db *DB) setMerchantStatusTx(ctx context.Context, tx *sql.Tx, merchantID string, status paybridge.MerchantStatus, now time.Time) error {
	var old paybridge.MerchantStatus
	if err := tx.QueryRowContext(ctx, `SELECT status FROM merchants WHERE id = $1`, merchantID).Scan(&old); err != nil {
		return wrapf(err, "read merchant status")
	}
	if old == status {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE merchants SET status = $1 WHERE id = $2`, status, merchantID); err != nil {
		return wrapf(err, "update merchant")
	}
	m, err := scanMerchant(tx.QueryRowContext(ctx, `SELECT `+merchantCols+` FROM merchants WHERE id = $1`, merchantID))
	if err != nil {
		return wrapf(err, "reread merchant")
	}
	t := paybridge.EventMerchantReactivated
	if status == paybridge.MerchantReauthorizationRequired {
		t = paybridge.EventMerchantReauthRequired
	}
	return db.emit(ctx, tx, &paybridge.Event{MerchantID: merchantID, Type: t, ObjectType: "merchant",
		ObjectID: merchantID, ObjectVersion: micros(m.UpdatedAt)}, m, now)
}

// getErr maps the error of a single-row read, naming what was not found.
func (db *DB) getErr(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what)
	}
	return db.mapErr("get "+what, err)
}

// oneRow maps the result of an UPDATE that must touch exactly one row.
func (db *DB) oneRow(what string, res sql.Result, err error) error {
	if err != nil {
		return db.mapErr("update "+what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return db.internal("rows affected", err)
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}
