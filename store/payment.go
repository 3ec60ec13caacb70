package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/paybridge/paybridge"
)

const paymentCols = `id, merchant_id, invoice_id, customer_id, status, method, route, amount, tip_amount, currency,
	capture, amount_captured, amount_refunded, card_brand, card_last4, card_exp_month, card_exp_year,
	description, source, clover_charge_id, idempotency_key, failure_code, failure_message, client_ip,
	attempts, next_attempt_at, version, created_at, updated_at`

func scanPayment(s scanner) (*paybridge.Payment, error) {
	var p paybridge.Payment
	var invoiceID, brand, last4, expM, expY sql.NullString
	var next, created, updated int64
	if err := s.Scan(&p.ID, &p.MerchantID, &invoiceID, &p.CustomerID, &p.Status, &p.Method, &p.Route,
		&p.Amount, &p.TipAmount, &p.Currency, &p.Capture, &p.AmountCaptured, &p.AmountRefunded,
		&brand, &last4, &expM, &expY, &p.Description, &p.Source, &p.CloverChargeID, &p.IdempotencyKey,
		&p.FailureCode, &p.FailureMessage, &p.ClientIP, &p.Attempts, &next, &p.Version,
		&created, &updated); err != nil {
		return nil, err
	}
	p.InvoiceID = invoiceID.String
	if brand.Valid {
		p.Card = &paybridge.CardSummary{Brand: brand.String, Last4: last4.String, ExpMonth: expM.String, ExpYear: expY.String}
	}
	p.NextAttemptAt, p.CreatedAt, p.UpdatedAt = fromMicros(next), fromMicros(created), fromMicros(updated)
	return &p, nil
}

// cardArgs are the nullable card columns.
func cardArgs(c *paybridge.CardSummary) [4]any {
	if c == nil {
		return [4]any{nil, nil, nil, nil}
	}
	return [4]any{c.Brand, c.Last4, c.ExpMonth, c.ExpYear}
}

// nullable stores "" as NULL (payments without an invoice).
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreatePayment persists p (status pending unless set, Version 1) before
// Clover is called. An invoice of another merchant is ENOTFOUND; a second
// in-flight payment on one invoice is ECONFLICT "payment_in_progress".
func (db *DB) CreatePayment(ctx context.Context, p *paybridge.Payment) error {
	if p.ID == "" {
		p.ID = paybridge.NewID(paybridge.PrefixPayment)
	}
	if p.Status == "" {
		p.Status = paybridge.PaymentPending
	}
	p.CreatedAt = db.stamp(p.CreatedAt)
	p.UpdatedAt = p.CreatedAt
	p.NextAttemptAt = trunc(p.NextAttemptAt)
	p.Version = 1
	// One statement, with the invoice's ownership checked in it: on
	// PostgreSQL that is one round trip instead of four (BEGIN, the check,
	// the INSERT, COMMIT) on the way to every charge.
	owned := ``
	if p.InvoiceID != "" {
		owned = ` WHERE EXISTS (SELECT 1 FROM invoices WHERE id = $3 AND merchant_id = $2)`
	}
	c := cardArgs(p.Card)
	insert := `INSERT INTO payments (` + paymentCols + `, owner)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
			$20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30` + owned
	args := []any{p.ID, p.MerchantID, nullable(p.InvoiceID), p.CustomerID, p.Status, p.Method, p.Route, p.Amount,
		p.TipAmount, p.Currency, p.Capture, p.AmountCaptured, p.AmountRefunded, c[0], c[1], c[2], c[3],
		p.Description, p.Source, p.CloverChargeID, p.IdempotencyKey, p.FailureCode, p.FailureMessage,
		p.ClientIP, p.Attempts, micros(p.NextAttemptAt), p.Version, micros(p.CreatedAt), micros(p.UpdatedAt), db.Instance}
	var res sql.Result
	var err error
	if _, keyed := paybridge.RequestKeyFrom(ctx); keyed {
		// Under an Idempotency-Key: the payment and the key's recovery
		// point commit together (markCreated).
		var serr error // the INSERT's own error, for the mapping below
		err = db.withTx(ctx, func(t Tx) error {
			r, ierr := t.SQL.ExecContext(ctx, insert, args...)
			if ierr != nil {
				serr = ierr
				return ierr
			}
			n, ierr := r.RowsAffected()
			if ierr != nil {
				return ierr
			}
			res = doneResult{rows: n}
			if n == 0 {
				return nil
			}
			return db.markCreated(ctx, t.SQL, p.ID)
		})
		if serr != nil {
			err = serr
		} else if err != nil {
			return err
		}
	} else {
		res, err = db.exec(ctx, insert, args...)
	}
	switch {
	case uniqueOn(err, "payments_one_in_flight", "payments.invoice_id"):
		return paybridge.Errorf(paybridge.ECONFLICT, "invoice_id",
			"another payment of this invoice is in progress").WithCode("payment_in_progress")
	case isForeignKey(err):
		return notFound("merchant")
	case err != nil:
		return db.mapErr("insert payment", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return db.internal("rows affected", err)
	} else if n == 0 {
		return invoiceNotFound()
	}
	return nil
}

// GetPayment returns merchantID's payment id.
func (db *DB) GetPayment(ctx context.Context, merchantID, id string) (*paybridge.Payment, error) {
	p, err := scanPayment(db.r.QueryRowContext(ctx,
		`SELECT `+paymentCols+` FROM payments WHERE id = $1 AND merchant_id = $2`, id, merchantID))
	return p, db.getErr("payment", err)
}

// ListPayments returns a page of merchantID's payments (oldest first by
// default).
func (db *DB) ListPayments(ctx context.Context, merchantID string, f paybridge.PaymentFilter) ([]*paybridge.Payment, string, error) {
	q := query{sql: `SELECT seq, ` + paymentCols + ` FROM payments WHERE merchant_id = $1`, args: []any{merchantID}}
	if f.InvoiceID != "" {
		q.where("invoice_id = %s", f.InvoiceID)
	}
	if f.Status != "" {
		q.where("status = %s", string(f.Status))
	}
	if f.CustomerID != "" {
		q.where("customer_id = %s", f.CustomerID)
	}
	q.created(f.Created)
	return list(ctx, db, db.r, q, f.Cursor, f.Limit, f.Order.Newest(false), scanPayment)
}

// DuePayments returns in-flight payments to reconcile, any merchant,
// oldest first: unknown ones due by now, pending ones untouched since
// staleBefore or whose owner's lease has expired (their process died
// mid-call: lease.go); at most limit (default 100, capped at 1000).
func (db *DB) DuePayments(ctx context.Context, now, staleBefore time.Time, limit int) ([]*paybridge.Payment, error) {
	return due(ctx, db, "payments", paymentCols, now, staleBefore, limit, scanPayment)
}

// dueLimit bounds one reconciliation batch: 100 by default, 1000 at most.
func dueLimit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

// due is the reconciliation query shared by payments, refunds and returns
// (their status names agree).
func due[T any](ctx context.Context, db *DB, table, cols string, now, staleBefore time.Time, limit int,
	scan func(scanner) (T, error)) ([]T, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+cols+` FROM `+table+` t
		WHERE (status = 'unknown' AND next_attempt_at <= $1)
		OR (status = 'pending' AND (updated_at < $2 OR `+orphaned("t", "$4")+`))
		ORDER BY seq LIMIT $3`, now.UnixMicro(), staleBefore.UnixMicro(), dueLimit(limit), time.Now().UnixMicro())
	if err != nil {
		return nil, db.mapErr("due "+table, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, db.mapErr("scan due "+table, err)
		}
		out = append(out, v)
	}
	return out, db.mapErr("due "+table, rows.Err())
}
