package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/paybridge/paybridge"
)

const returnCols = `id, merchant_id, invoice_id, items, amount, currency, status, clover_return_id,
	idempotency_key, failure_code, failure_message, attempts, next_attempt_at, created_at, updated_at`

func scanReturn(s scanner) (*paybridge.Return, error) {
	var r paybridge.Return
	var items string
	var next, created, updated int64
	if err := s.Scan(&r.ID, &r.MerchantID, &r.InvoiceID, &items, &r.Amount, &r.Currency, &r.Status,
		&r.CloverReturnID, &r.IdempotencyKey, &r.FailureCode, &r.FailureMessage, &r.Attempts, &next,
		&created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(items), &r.Items); err != nil {
		return nil, wrapf(err, "decode return items")
	}
	r.NextAttemptAt, r.CreatedAt, r.UpdatedAt = fromMicros(next), fromMicros(created), fromMicros(updated)
	return &r, nil
}

// CreateReturn reserves each item's quantity on its invoice line (never
// more than quantity − returned − reserved: EINVALID "quantity_too_large")
// and r.Amount on the invoice (never more than paid − refunded − reserved:
// EINVALID "amount_too_large"), then stores r as pending. An invoice of
// another merchant, or a line not on the invoice, is ENOTFOUND.
func (db *DB) CreateReturn(ctx context.Context, r *paybridge.Return) error {
	if len(r.Items) == 0 {
		return paybridge.Errorf(paybridge.EINVALID, "items", "a return needs at least one item")
	}
	for _, it := range r.Items {
		if it.Quantity <= 0 {
			return paybridge.Errorf(paybridge.EINVALID, "items.quantity", "quantity must be positive")
		}
	}
	if r.Amount < 0 {
		return paybridge.Errorf(paybridge.EINVALID, "amount", "amount must not be negative")
	}
	if r.ID == "" {
		r.ID = paybridge.NewID(paybridge.PrefixReturn)
	}
	if r.Status == "" {
		r.Status = paybridge.RefundPending
	}
	r.CreatedAt = db.stamp(r.CreatedAt)
	r.UpdatedAt = r.CreatedAt
	r.NextAttemptAt = trunc(r.NextAttemptAt)
	items, err := json.Marshal(r.Items)
	if err != nil {
		return db.internal("encode return items", err)
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if err := db.invoiceExists(ctx, tx, r.MerchantID, r.InvoiceID); err != nil {
			return err
		}
		for _, it := range r.Items {
			res, err := tx.ExecContext(ctx, `UPDATE line_items SET quantity_reserved = quantity_reserved + $1
				WHERE id = $2 AND invoice_id = $3 AND quantity - quantity_returned - quantity_reserved >= $1`,
				it.Quantity, it.LineItemID, r.InvoiceID)
			if err != nil {
				return wrapf(err, "reserve line item")
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				continue
			}
			var one int
			err = tx.QueryRowContext(ctx, `SELECT 1 FROM line_items WHERE id = $1 AND invoice_id = $2`,
				it.LineItemID, r.InvoiceID).Scan(&one)
			if err == sql.ErrNoRows {
				return paybridge.Errorf(paybridge.ENOTFOUND, "items.line_item_id", "line item not found")
			} else if err != nil {
				return err
			}
			return paybridge.Errorf(paybridge.EINVALID, "items.quantity",
				"quantity is more than what is left to return").WithCode("quantity_too_large")
		}
		if r.Amount > 0 {
			if err := db.reserveOnInvoice(ctx, tx, r.MerchantID, r.InvoiceID, r.Amount); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO returns (`+returnCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			r.ID, r.MerchantID, r.InvoiceID, string(items), r.Amount, r.Currency, r.Status, r.CloverReturnID,
			r.IdempotencyKey, r.FailureCode, r.FailureMessage, r.Attempts, micros(r.NextAttemptAt),
			micros(r.CreatedAt), micros(r.UpdatedAt))
		return err
	})
}

// invoiceExists is ENOTFOUND (param invoice_id) unless merchantID owns it.
func (db *DB) invoiceExists(ctx context.Context, q querier, merchantID, invoiceID string) error {
	if ok, err := owned(ctx, q, "invoices", merchantID, invoiceID); err != nil || ok {
		return err
	}
	return invoiceNotFound()
}

func invoiceNotFound() error {
	return paybridge.Errorf(paybridge.ENOTFOUND, "invoice_id", "invoice not found")
}

// GetReturn returns merchantID's return id.
func (db *DB) GetReturn(ctx context.Context, merchantID, id string) (*paybridge.Return, error) {
	r, err := scanReturn(db.r.QueryRowContext(ctx,
		`SELECT `+returnCols+` FROM returns WHERE id = $1 AND merchant_id = $2`, id, merchantID))
	return r, db.getErr("return", err)
}

// ListReturns returns every return of merchantID's invoice, oldest first;
// an invoice of another merchant is ENOTFOUND.
func (db *DB) ListReturns(ctx context.Context, merchantID, invoiceID string) ([]*paybridge.Return, error) {
	if err := db.invoiceExists(ctx, db.r, merchantID, invoiceID); err != nil {
		return nil, db.mapErr("list returns", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+returnCols+` FROM returns
		WHERE invoice_id = $1 AND merchant_id = $2 ORDER BY seq`, invoiceID, merchantID)
	if err != nil {
		return nil, db.mapErr("list returns", err)
	}
	defer rows.Close()
	var out []*paybridge.Return
	for rows.Next() {
		r, err := scanReturn(rows)
		if err != nil {
			return nil, db.mapErr("scan return", err)
		}
		out = append(out, r)
	}
	return out, db.mapErr("list returns", rows.Err())
}

// DueReturns returns in-flight returns to reconcile, like DuePayments.
func (db *DB) DueReturns(ctx context.Context, now, staleBefore time.Time, limit int) ([]*paybridge.Return, error) {
	return due(ctx, db, "returns", returnCols, now, staleBefore, limit, scanReturn)
}

// ApplyReturn moves r from `from` to r.Status. Succeeded: each line's
// reserved quantity becomes returned, and the invoice's AmountReturned and
// AmountRefunded grow by r.Amount; failed: the reservations are released.
// A return no longer in `from` is ECONFLICT "stale_state". On success r
// holds the stored row.
func (db *DB) ApplyReturn(ctx context.Context, r *paybridge.Return, from paybridge.RefundStatus, now time.Time) (*paybridge.Invoice, error) {
	if !refundCanTransition(from, r.Status) {
		return nil, invalidTransition("return", from, r.Status)
	}
	now = db.stamp(now)
	var inv *paybridge.Invoice
	var stored *paybridge.Return
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		var err error
		stored, err = scanReturn(tx.QueryRowContext(ctx, `UPDATE returns SET status = $1, clover_return_id = $2,
			failure_code = $3, failure_message = $4, attempts = $5, next_attempt_at = $6, updated_at = $7
			WHERE id = $8 AND merchant_id = $9 AND status = $10
			RETURNING `+returnCols,
			r.Status, r.CloverReturnID, r.FailureCode, r.FailureMessage, r.Attempts, micros(trunc(r.NextAttemptAt)),
			micros(now), r.ID, r.MerchantID, from))
		if err == sql.ErrNoRows {
			return db.staleOrMissing(ctx, tx, "returns", "return", r.MerchantID, r.ID)
		} else if err != nil {
			return wrapf(err, "update return")
		}
		invoiceID, amount := stored.InvoiceID, stored.Amount
		var d moneyDelta
		var stmt string
		switch r.Status {
		case paybridge.RefundSucceeded:
			stmt = `UPDATE line_items SET quantity_reserved = quantity_reserved - $1,
				quantity_returned = quantity_returned + $1 WHERE id = $2 AND invoice_id = $3`
			d = moneyDelta{refunded: amount, returned: amount, reserved: -amount}
		case paybridge.RefundFailed:
			stmt = `UPDATE line_items SET quantity_reserved = quantity_reserved - $1 WHERE id = $2 AND invoice_id = $3`
			d = moneyDelta{reserved: -amount}
		}
		if stmt != "" {
			for _, it := range stored.Items {
				if _, err := tx.ExecContext(ctx, stmt, it.Quantity, it.LineItemID, invoiceID); err != nil {
					return wrapf(err, "settle return line")
				}
			}
		}
		if from != r.Status {
			if err := db.emitRefundLike(ctx, tx, "return", r.MerchantID, r.ID, stored.Status, stored.UpdatedAt, stored, now); err != nil {
				return err
			}
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
