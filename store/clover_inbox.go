package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/paybridge/paybridge"
)

// AcceptCloverNotices records the items of one Clover platform webhook and
// calls enqueue, in the same transaction, with the ones never seen before
// (so a replayed webhook is processed once). enqueue typically inserts one
// sync job; an error rolls everything back and the webhook is refused, so
// Clover retries it.
func (db *DB) AcceptCloverNotices(ctx context.Context, ns []paybridge.CloverNotice,
	enqueue func(ctx context.Context, tx Tx, fresh []paybridge.CloverNotice) error) (int, error) {
	var fresh []paybridge.CloverNotice
	err := db.withTx(ctx, func(tx Tx) error {
		var err error
		if fresh, err = db.RecordCloverNotices(ctx, tx, ns); err != nil || len(fresh) == 0 {
			return err
		}
		return enqueue(ctx, tx, fresh)
	})
	return len(fresh), err
}

// RecordCloverNotices stores ns for deduplication inside tx (from
// WithRiverTx) and returns the ones never seen before. Batching several
// webhooks into one transaction is how acceptance keeps up with Clover's
// bursts on SQLite's single writer.
func (db *DB) RecordCloverNotices(ctx context.Context, tx Tx, ns []paybridge.CloverNotice) ([]paybridge.CloverNotice, error) {
	var fresh []paybridge.CloverNotice
	now := micros(db.now())
	for _, n := range ns {
		key := fmt.Sprintf("%s|%s|%s|%d", n.CloverMerchantID, n.ObjectID, n.Type, n.TS)
		res, err := tx.SQL.ExecContext(ctx, `INSERT INTO clover_notices (notice_key, received_at) VALUES ($1, $2)
			ON CONFLICT (notice_key) DO NOTHING`, key, now)
		if err != nil {
			return nil, wrapf(err, "record clover notice")
		}
		if k, _ := res.RowsAffected(); k == 1 {
			fresh = append(fresh, n)
		}
	}
	return fresh, nil
}

// Setting returns a named operator setting ("" when unset).
func (db *DB) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, db.mapErr("get setting", err)
}

// SetSetting stores a named operator setting.
func (db *DB) SetSetting(ctx context.Context, name, value string) error {
	_, err := db.exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		name, value, micros(db.now()))
	return db.mapErr("set setting", err)
}

// MerchantIDs returns every merchant's id (for periodic sweeps).
func (db *DB) MerchantIDs(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id FROM merchants ORDER BY id`)
	if err != nil {
		return nil, db.mapErr("list merchants", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, db.mapErr("scan merchant", err)
		}
		out = append(out, id)
	}
	return out, db.mapErr("list merchants", rows.Err())
}

// RefundByCloverID finds the paybridge refund of a Clover refund id.
func (db *DB) RefundByCloverID(ctx context.Context, merchantID, cloverRefundID string) (*paybridge.Refund, error) {
	r, err := scanRefund(db.r.QueryRowContext(ctx, `SELECT `+refundCols+` FROM refunds
		WHERE merchant_id = $1 AND clover_refund_id = $2`, merchantID, cloverRefundID))
	return r, db.getErr("refund", err)
}

// InvoiceByCloverOrder finds the invoice of a Clover order id.
func (db *DB) InvoiceByCloverOrder(ctx context.Context, merchantID, orderID string) (*paybridge.Invoice, error) {
	var id string
	err := db.r.QueryRowContext(ctx, `SELECT id FROM invoices WHERE merchant_id = $1 AND clover_order_id = $2`,
		merchantID, orderID).Scan(&id)
	if err != nil {
		return nil, db.getErr("invoice", err)
	}
	return db.GetInvoice(ctx, merchantID, id)
}
