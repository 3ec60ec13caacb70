package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/paybridge/paybridge"
)

// moneyDelta is how an invoice's amounts change in one transition, and
// whether its Clover order became paid (item returns can go through the
// order from then on).
type moneyDelta struct {
	paid, tip, refunded, returned, reserved int64
	orderPaid                               bool
}

func (d moneyDelta) zero() bool { return d == moneyDelta{} }

// moveInvoiceMoney adds d to the invoice's amounts, Settle()s it and
// returns it, inside tx: one read (the row locked on PostgreSQL) and one
// write, whatever the status becomes.
func (db *DB) moveInvoiceMoney(ctx context.Context, tx *sql.Tx, merchantID, invoiceID string, d moneyDelta,
	now time.Time) (*paybridge.Invoice, error) {
	inv, err := db.getInvoice(ctx, tx, merchantID, invoiceID, db.lockInvoice())
	if err != nil {
		return nil, db.getErr("invoice", err)
	}
	if d.zero() {
		return inv, nil
	}
	status := inv.Status
	inv.AmountPaid += d.paid
	inv.TipPaid += d.tip
	inv.AmountRefunded += d.refunded
	inv.AmountReturned += d.returned
	inv.OrderPaid = inv.OrderPaid || d.orderPaid
	inv.Version++
	inv.UpdatedAt = now
	inv.Settle(now)
	// Amounts as increments, so the write is right even if it were ever
	// run without the lock; status and paid_at as Settle decided.
	res, err := tx.ExecContext(ctx, `UPDATE invoices SET amount_paid = amount_paid + $1, tip_paid = tip_paid + $2,
		amount_refunded = amount_refunded + $3, amount_returned = amount_returned + $4,
		amount_reserved = amount_reserved + $5, order_paid = $6, status = $7, paid_at = $8,
		version = version + 1, updated_at = $9 WHERE id = $10 AND merchant_id = $11`,
		d.paid, d.tip, d.refunded, d.returned, d.reserved, inv.OrderPaid, inv.Status, microsPtr(inv.PaidAt),
		micros(now), invoiceID, merchantID)
	if err := db.oneRow("invoice", res, err); err != nil {
		return nil, err
	}
	// Events only when paid or refunded money moved (a reservation alone
	// is not news).
	if d.paid != 0 || d.refunded != 0 {
		if err := db.emitInvoice(ctx, tx, inv, status, now); err != nil {
			return nil, err
		}
	}
	return inv, nil
}

// invalidTransition is the EINVALID of a state change the machine forbids.
func invalidTransition(what string, from, to any) *paybridge.Error {
	return paybridge.Errorf(paybridge.EINVALID, "status", "a %s cannot go from %v to %v", what, from, to).
		WithCode("invalid_transition")
}

// contribution is what a payment in status s counts on its invoice.
func contribution(s paybridge.PaymentStatus, captured, tip int64) (paid, tipPaid int64) {
	if s.Settled() {
		return captured, tip
	}
	return 0, 0
}

// ApplyPayment moves p from `from` to p.Status (or rewrites it in place
// when they are equal, e.g. an unknown payment's next attempt) and adjusts
// its invoice. A transition the state machine forbids is EINVALID
// "invalid_transition"; a payment no longer in `from` is ECONFLICT
// "stale_state". AmountRefunded is written only when p moves to a refund
// status (a refund made outside paybridge); otherwise refunds own it. On
// success p holds the stored row (new Version included).
func (db *DB) ApplyPayment(ctx context.Context, p *paybridge.Payment, from paybridge.PaymentStatus, now time.Time) (*paybridge.Invoice, error) {
	if from != p.Status && !paybridge.CanTransition(from, p.Status) {
		return nil, invalidTransition("payment", from, p.Status)
	}
	now = db.stamp(now)
	if p.Status == paybridge.PaymentSucceeded && p.AmountCaptured == 0 {
		p.AmountCaptured = p.Amount
	}
	writeRefunded := p.Status == paybridge.PaymentPartiallyRefunded || p.Status == paybridge.PaymentRefunded
	var inv *paybridge.Invoice
	var stored *paybridge.Payment
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		var old priorPayment
		var err error
		old, stored, err = db.updatePayment(ctx, tx, p, from, writeRefunded, now)
		if err == sql.ErrNoRows {
			return db.staleOrMissing(ctx, tx, "payments", "payment", p.MerchantID, p.ID)
		} else if err != nil {
			return wrapf(err, "update payment")
		}
		if err := db.emitPayment(ctx, tx, stored, from, now); err != nil {
			return err
		}
		if !old.invoiceID.Valid {
			return nil
		}
		oldPaid, oldTipPaid := contribution(from, old.captured, old.tip)
		newPaid, newTipPaid := contribution(p.Status, p.AmountCaptured, p.TipAmount)
		d := moneyDelta{paid: newPaid - oldPaid, tip: newTipPaid - oldTipPaid, refunded: stored.AmountRefunded - old.refunded,
			orderPaid: p.Route == paybridge.RouteOrderPay && p.Status.Settled() && !from.Settled()}
		inv, err = db.moveInvoiceMoney(ctx, tx, p.MerchantID, old.invoiceID.String, d, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	*p = *stored
	return inv, nil
}

// priorPayment is what a payment held before ApplyPayment's update.
type priorPayment struct {
	captured, tip, refunded int64
	invoiceID               sql.NullString
}

// paymentSet is ApplyPayment's assignment, reading the row's current
// values through prior (a table name and dot, or ""); $19 says whether
// amount_refunded takes $5 or keeps its value.
func paymentSet(prior string) string {
	return `status = $1, amount = $2, tip_amount = $3, amount_captured = $4,
	amount_refunded = CASE WHEN $19 THEN $5 ELSE ` + prior + `amount_refunded END, card_brand = $6,
	card_last4 = $7, card_exp_month = $8, card_exp_year = $9, source = $10, clover_charge_id = $11,
	failure_code = $12, failure_message = $13, attempts = $14, next_attempt_at = $15, route = $16,
	updated_at = $17, version = ` + prior + `version + 1`
}

// updatePaymentPG and updatePaymentSQLite are updatePayment's writes, built
// once rather than on every payment.
var (
	updatePaymentPG = `UPDATE payments p SET ` + paymentSet("o.") + `
		FROM (SELECT id, amount_captured, tip_amount, amount_refunded, invoice_id, version FROM payments
			WHERE id = $18 AND merchant_id = $20 AND status = $21 FOR UPDATE) o
		WHERE p.id = o.id
		RETURNING ` + prefixCols("p.", paymentCols) + `, o.amount_captured, o.tip_amount, o.amount_refunded, o.invoice_id`
	updatePaymentSQLite = `UPDATE payments SET ` + paymentSet("") + `
		WHERE id = $18 AND merchant_id = $20 AND status = $21 RETURNING ` + paymentCols
)

// updatePayment writes p over the payment if it is still in status from,
// returning what it held before and the new row; sql.ErrNoRows when it is
// not (stale or missing). On PostgreSQL it is one statement that locks the
// row and returns its prior values (one round trip); SQLite cannot return
// another table's columns from an UPDATE, and its one writer needs no
// lock, so there it is a read and a write.
func (db *DB) updatePayment(ctx context.Context, tx *sql.Tx, p *paybridge.Payment, from paybridge.PaymentStatus,
	writeRefunded bool, now time.Time) (priorPayment, *paybridge.Payment, error) {
	var old priorPayment
	c := cardArgs(p.Card)
	args := []any{p.Status, p.Amount, p.TipAmount, p.AmountCaptured, p.AmountRefunded, c[0], c[1], c[2], c[3],
		p.Source, p.CloverChargeID, p.FailureCode, p.FailureMessage, p.Attempts, micros(trunc(p.NextAttemptAt)),
		p.Route, micros(now), p.ID, writeRefunded, p.MerchantID, from}
	if db.engine == EnginePostgres {
		stored, err := scanPayment(appendScan{tx.QueryRowContext(ctx, updatePaymentPG, args...),
			[]any{&old.captured, &old.tip, &old.refunded, &old.invoiceID}})
		return old, stored, err
	}
	err := tx.QueryRowContext(ctx, `SELECT amount_captured, tip_amount, amount_refunded, invoice_id FROM payments
		WHERE id = $1 AND merchant_id = $2 AND status = $3`, p.ID, p.MerchantID, from).
		Scan(&old.captured, &old.tip, &old.refunded, &old.invoiceID)
	if err != nil {
		return old, nil, err
	}
	stored, err := scanPayment(tx.QueryRowContext(ctx, updatePaymentSQLite, args...))
	return old, stored, err
}
