package store

import (
	"context"
	"time"

	"github.com/paybridge/paybridge"
)

// ClaimReceipt inserts the payment's receipt row; only the first caller
// inserts, so only it mails.
func (db *DB) ClaimReceipt(ctx context.Context, merchantID, paymentID string, now time.Time) (bool, error) {
	res, err := db.exec(ctx, `INSERT INTO payment_receipts (payment_id, merchant_id, claimed_at)
		VALUES ($1, $2, $3) ON CONFLICT (payment_id) DO NOTHING`, paymentID, merchantID, micros(db.stamp(now)))
	if err != nil {
		return false, db.mapErr("claim receipt", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, db.internal("rows affected", err)
	}
	return n == 1, nil
}

// ReleaseReceipt deletes an unsent claim.
func (db *DB) ReleaseReceipt(ctx context.Context, paymentID string) error {
	_, err := db.exec(ctx, `DELETE FROM payment_receipts WHERE payment_id = $1 AND sent_at = 0`, paymentID)
	return db.mapErr("release receipt", err)
}

// MarkReceiptSent stamps a claimed receipt as mailed.
func (db *DB) MarkReceiptSent(ctx context.Context, paymentID string, now time.Time) error {
	_, err := db.exec(ctx, `UPDATE payment_receipts SET sent_at = $1 WHERE payment_id = $2`,
		micros(db.stamp(now)), paymentID)
	return db.mapErr("mark receipt sent", err)
}

// LinkAttemptByPayment finds the attempt that recorded paymentID.
func (db *DB) LinkAttemptByPayment(ctx context.Context, paymentID string) (*paybridge.LinkAttempt, error) {
	if paymentID == "" {
		return nil, notFound("link attempt")
	}
	a, err := scanAttempt(db.w.QueryRowContext(ctx, `SELECT `+attemptCols+` FROM link_attempts
		WHERE payment_id = $1 LIMIT 1`, paymentID))
	return a, db.getErr("link attempt", err)
}

// UnreceiptedAttempts lists attempts whose payment settled since since and
// has no receipt claim, oldest payment update first.
func (db *DB) UnreceiptedAttempts(ctx context.Context, since time.Time, limit int) ([]*paybridge.LinkAttempt, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := db.w.QueryContext(ctx, `SELECT a.link_id, a.attempt_key, a.payment_id, a.error_code, a.lang, a.created_at, a.updated_at
		FROM payments p JOIN link_attempts a ON a.payment_id = p.id
		WHERE p.updated_at >= $1 AND p.status IN ('succeeded', 'captured', 'partially_refunded', 'refunded')
		  AND NOT EXISTS (SELECT 1 FROM payment_receipts r WHERE r.payment_id = p.id)
		ORDER BY p.updated_at LIMIT $2`, micros(since), limit)
	if err != nil {
		return nil, db.mapErr("unreceipted attempts", err)
	}
	defer rows.Close()
	var out []*paybridge.LinkAttempt
	for rows.Next() {
		a, err := scanAttempt(rows)
		if err != nil {
			return nil, db.internal("scan attempt", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, db.mapErr("unreceipted attempts", err)
	}
	return out, nil
}

// GetPaymentLink returns a link by id.
func (db *DB) GetPaymentLink(ctx context.Context, id string) (*paybridge.PaymentLink, error) {
	l, err := scanLink(db.r.QueryRowContext(ctx, `SELECT `+linkCols+` FROM payment_links WHERE id = $1`, id))
	return l, db.getErr("payment link", err)
}
