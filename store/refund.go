package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/paybridge/paybridge"
)

const refundCols = `id, merchant_id, payment_id, invoice_id, return_id, amount, currency, reason, status,
	clover_refund_id, idempotency_key, failure_code, failure_message, attempts, next_attempt_at,
	created_at, updated_at`

func scanRefund(s scanner) (*paybridge.Refund, error) {
	var r paybridge.Refund
	var next, created, updated int64
	if err := s.Scan(&r.ID, &r.MerchantID, &r.PaymentID, &r.InvoiceID, &r.ReturnID, &r.Amount, &r.Currency,
		&r.Reason, &r.Status, &r.CloverRefundID, &r.IdempotencyKey, &r.FailureCode, &r.FailureMessage,
		&r.Attempts, &next, &created, &updated); err != nil {
		return nil, err
	}
	r.NextAttemptAt, r.CreatedAt, r.UpdatedAt = fromMicros(next), fromMicros(created), fromMicros(updated)
	return &r, nil
}

// amountTooLarge is the EINVALID of a refund or return above what is left.
func amountTooLarge() *paybridge.Error {
	return paybridge.Errorf(paybridge.EINVALID, "amount", "amount is more than what is left to refund").
		WithCode("amount_too_large")
}

// CreateRefund reserves r.Amount on the payment (and on its invoice, where
// returns reserve too) and stores r as pending. r.InvoiceID is taken from
// the payment. A payment of another merchant is ENOTFOUND; more than
// captured − refunded − reserved is EINVALID "amount_too_large".
func (db *DB) CreateRefund(ctx context.Context, r *paybridge.Refund) error {
	if r.Amount <= 0 {
		return paybridge.Errorf(paybridge.EINVALID, "amount", "amount must be positive")
	}
	if r.ID == "" {
		r.ID = paybridge.NewID(paybridge.PrefixRefund)
	}
	if r.Status == "" {
		r.Status = paybridge.RefundPending
	}
	r.CreatedAt = db.stamp(r.CreatedAt)
	r.UpdatedAt = r.CreatedAt
	r.NextAttemptAt = trunc(r.NextAttemptAt)
	var invoiceID string
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		var inv sql.NullString
		err := tx.QueryRowContext(ctx, `UPDATE payments SET amount_reserved = amount_reserved + $1
			WHERE id = $2 AND merchant_id = $3 AND amount_captured - amount_refunded - amount_reserved >= $1
			RETURNING invoice_id`, r.Amount, r.PaymentID, r.MerchantID).Scan(&inv)
		if err == sql.ErrNoRows {
			if err := db.staleOrMissing(ctx, tx, "payments", "payment", r.MerchantID, r.PaymentID); kindIs(err, paybridge.ENOTFOUND) {
				return paybridge.Errorf(paybridge.ENOTFOUND, "payment_id", "payment not found")
			} else if !kindIs(err, paybridge.ECONFLICT) {
				return err
			}
			return amountTooLarge()
		} else if err != nil {
			return wrapf(err, "reserve refund")
		}
		invoiceID = inv.String
		if inv.Valid {
			if err := db.reserveOnInvoice(ctx, tx, r.MerchantID, invoiceID, r.Amount); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO refunds (`+refundCols+`, owner)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
			r.ID, r.MerchantID, r.PaymentID, invoiceID, r.ReturnID, r.Amount, r.Currency, r.Reason, r.Status,
			r.CloverRefundID, r.IdempotencyKey, r.FailureCode, r.FailureMessage, r.Attempts,
			micros(r.NextAttemptAt), micros(r.CreatedAt), micros(r.UpdatedAt), db.Instance)
		if err != nil {
			return err
		}
		return db.markCreated(ctx, tx, r.ID)
	})
	if err == nil {
		r.InvoiceID = invoiceID
	}
	return err
}

// reserveOnInvoice reserves amount of what an invoice can still give back.
func (db *DB) reserveOnInvoice(ctx context.Context, tx *sql.Tx, merchantID, invoiceID string, amount int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE invoices SET amount_reserved = amount_reserved + $1
		WHERE id = $2 AND merchant_id = $3 AND amount_paid - amount_refunded - amount_reserved >= $1`,
		amount, invoiceID, merchantID)
	if err != nil {
		return wrapf(err, "reserve on invoice")
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return amountTooLarge()
	}
	return nil
}

// GetRefund returns merchantID's refund id.
func (db *DB) GetRefund(ctx context.Context, merchantID, id string) (*paybridge.Refund, error) {
	r, err := scanRefund(db.r.QueryRowContext(ctx,
		`SELECT `+refundCols+` FROM refunds WHERE id = $1 AND merchant_id = $2`, id, merchantID))
	return r, db.getErr("refund", err)
}

// ListRefunds returns a page of merchantID's refunds (oldest first by
// default).
func (db *DB) ListRefunds(ctx context.Context, merchantID string, f paybridge.RefundFilter) ([]*paybridge.Refund, string, error) {
	q := query{sql: `SELECT seq, ` + refundCols + ` FROM refunds WHERE merchant_id = $1`, args: []any{merchantID}}
	if f.PaymentID != "" {
		q.where("payment_id = %s", f.PaymentID)
	}
	if f.InvoiceID != "" {
		q.where("invoice_id = %s", f.InvoiceID)
	}
	if f.Status != "" {
		q.where("status = %s", string(f.Status))
	}
	q.created(f.Created)
	return list(ctx, db, db.r, q, f.Cursor, f.Limit, f.Order.Newest(false), scanRefund)
}

// DueRefunds returns in-flight refunds to reconcile, like DuePayments.
func (db *DB) DueRefunds(ctx context.Context, now, staleBefore time.Time, limit int) ([]*paybridge.Refund, error) {
	return due(ctx, db, "refunds", refundCols, now, staleBefore, limit, scanRefund)
}

// refundCanTransition is the refund and return machine: pending → any
// outcome, unknown → a definite one, and any in-flight state rewritten in
// place (a rescheduled attempt).
func refundCanTransition(from, to paybridge.RefundStatus) bool {
	switch from {
	case paybridge.RefundPending:
		return true
	case paybridge.RefundUnknown:
		return to != paybridge.RefundPending
	}
	return false
}

// ApplyRefund moves r from `from` to r.Status, writing its Clover id,
// failure, attempts and next attempt. Succeeded turns the reservation into
// refunded money on the payment (partially_refunded or refunded) and on its
// invoice; failed releases it. A refund no longer in `from` is ECONFLICT
// "stale_state". On success r holds the stored row.
func (db *DB) ApplyRefund(ctx context.Context, r *paybridge.Refund, from paybridge.RefundStatus, now time.Time) (*paybridge.Invoice, error) {
	if !refundCanTransition(from, r.Status) {
		return nil, invalidTransition("refund", from, r.Status)
	}
	now = db.stamp(now)
	var inv *paybridge.Invoice
	var stored *paybridge.Refund
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		var err error
		stored, err = scanRefund(tx.QueryRowContext(ctx, `UPDATE refunds SET status = $1, clover_refund_id = $2,
			failure_code = $3, failure_message = $4, attempts = $5, next_attempt_at = $6, updated_at = $7
			WHERE id = $8 AND merchant_id = $9 AND status = $10
			RETURNING `+refundCols,
			r.Status, r.CloverRefundID, r.FailureCode, r.FailureMessage, r.Attempts, micros(trunc(r.NextAttemptAt)),
			micros(now), r.ID, r.MerchantID, from))
		if err == sql.ErrNoRows {
			return db.staleOrMissing(ctx, tx, "refunds", "refund", r.MerchantID, r.ID)
		} else if err != nil {
			return wrapf(err, "update refund")
		}
		paymentID, invoiceID, amount := stored.PaymentID, stored.InvoiceID, stored.Amount
		var d moneyDelta
		var p *paybridge.Payment
		switch r.Status {
		case paybridge.RefundSucceeded:
			p, err = scanPayment(tx.QueryRowContext(ctx, `UPDATE payments SET amount_reserved = amount_reserved - $1,
				amount_refunded = amount_refunded + $1,
				status = CASE WHEN amount_refunded + $1 >= amount_captured THEN 'refunded' ELSE 'partially_refunded' END,
				version = version + 1, updated_at = $2 WHERE id = $3
				RETURNING `+paymentCols, amount, micros(now), paymentID))
			d = moneyDelta{refunded: amount, reserved: -amount}
		case paybridge.RefundFailed:
			_, err = tx.ExecContext(ctx, `UPDATE payments SET amount_reserved = amount_reserved - $1,
				version = version + 1, updated_at = $2 WHERE id = $3`, amount, micros(now), paymentID)
			d = moneyDelta{reserved: -amount}
		}
		if err != nil {
			return wrapf(err, "settle refund on payment")
		}
		if from != r.Status {
			if err := db.emitRefundLike(ctx, tx, "refund", r.MerchantID, r.ID, stored.Status, stored.UpdatedAt, stored, now); err != nil {
				return err
			}
		}
		if p != nil {
			if err := db.emitPayment(ctx, tx, p, "", now); err != nil {
				return err
			}
		}
		if invoiceID == "" {
			return nil
		}
		inv, err = db.moveInvoiceMoney(ctx, tx, r.MerchantID, invoiceID, d, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	*r = *stored
	return inv, nil
}
