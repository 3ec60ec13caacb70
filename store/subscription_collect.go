package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/paybridge/paybridge"
)

// RecordSubscriptionCharge claims a Clover recurring charge for an invoice.
func (db *DB) RecordSubscriptionCharge(ctx context.Context, c *paybridge.SubscriptionCharge) (*paybridge.SubscriptionCharge, error) {
	c.CreatedAt = db.stamp(c.CreatedAt)
	_, err := db.exec(ctx, `INSERT INTO subscription_charges (merchant_id, clover_charge_id, subscription_id,
		invoice_id, paid, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.MerchantID, c.CloverChargeID, c.SubscriptionID, c.InvoiceID, c.Paid, micros(c.CreatedAt))
	if !isUnique(err) {
		return c, db.mapErr("record subscription charge", err)
	}
	var got paybridge.SubscriptionCharge
	var created int64
	if err := db.w.QueryRowContext(ctx, `SELECT merchant_id, clover_charge_id, subscription_id, invoice_id, paid, created_at
		FROM subscription_charges WHERE merchant_id = $1 AND clover_charge_id = $2`, c.MerchantID, c.CloverChargeID).
		Scan(&got.MerchantID, &got.CloverChargeID, &got.SubscriptionID, &got.InvoiceID, &got.Paid, &created); err != nil {
		return nil, db.mapErr("get subscription charge", err)
	}
	got.CreatedAt = fromMicros(created)
	return &got, paybridge.Errorf(paybridge.ECONFLICT, "", "charge %s was recorded before", c.CloverChargeID).WithCode("charge_recorded")
}

const collCols = `invoice_id, merchant_id, customer_id, kind, subscription_id, failures, next_attempt_at, last_error,
	done, version, created_at, updated_at`

func scanColl(s scanner) (*paybridge.Collection, error) {
	var c paybridge.Collection
	var next, created, updated int64
	if err := s.Scan(&c.InvoiceID, &c.MerchantID, &c.CustomerID, &c.Kind, &c.SubscriptionID, &c.Failures, &next,
		&c.LastError, &c.Done, &c.Version, &created, &updated); err != nil {
		return nil, err
	}
	if next != 0 {
		c.NextAttemptAt = fromMicros(next)
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

func nextMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

// CreateCollection starts collecting an invoice (Version 1).
func (db *DB) CreateCollection(ctx context.Context, c *paybridge.Collection) error {
	c.CreatedAt = db.stamp(c.CreatedAt)
	c.UpdatedAt, c.Version = c.CreatedAt, 1
	_, err := db.exec(ctx, `INSERT INTO collections (`+collCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.InvoiceID, c.MerchantID, c.CustomerID, c.Kind, c.SubscriptionID, c.Failures, nextMicros(c.NextAttemptAt), c.LastError,
		c.Done, c.Version, micros(c.CreatedAt), micros(c.UpdatedAt))
	switch {
	case isUnique(err):
		return paybridge.Errorf(paybridge.ECONFLICT, "", "invoice %s is being collected already", c.InvoiceID).WithCode("collection_exists")
	case isForeignKey(err):
		return notFound("invoice")
	}
	return db.mapErr("create collection", err)
}

// GetCollection returns an invoice's collection.
func (db *DB) GetCollection(ctx context.Context, merchantID, invoiceID string) (*paybridge.Collection, error) {
	c, err := scanColl(db.w.QueryRowContext(ctx, `SELECT `+collCols+` FROM collections WHERE invoice_id = $1 AND merchant_id = $2`,
		invoiceID, merchantID))
	return c, db.getErr("collection", err)
}

// UpdateCollection writes c with a compare-and-set on Version, and evs in
// the same transaction.
func (db *DB) UpdateCollection(ctx context.Context, c *paybridge.Collection, evs ...*paybridge.Event) error {
	now := db.now()
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE collections SET failures = $1, next_attempt_at = $2, last_error = $3, done = $4,
			version = version + 1, updated_at = $5 WHERE invoice_id = $6 AND merchant_id = $7 AND version = $8`,
			c.Failures, nextMicros(c.NextAttemptAt), c.LastError, c.Done, micros(now), c.InvoiceID, c.MerchantID, c.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return paybridge.Errorf(paybridge.ECONFLICT, "", "collection of %s changed meanwhile", c.InvoiceID).WithCode("stale_state")
		}
		c.Version++
		c.UpdatedAt = now
		for _, ev := range evs {
			ev.MerchantID = c.MerchantID
			if err := db.emit(ctx, tx, ev, nil, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// DueCollections returns unfinished collections due at now, any merchant.
func (db *DB) DueCollections(ctx context.Context, now time.Time, limit int) ([]*paybridge.Collection, error) {
	return db.listColls(ctx, "due collections", `done = $1 AND next_attempt_at > 0 AND next_attempt_at <= $2
		ORDER BY next_attempt_at LIMIT $3`, false, micros(now), pageLimit(limit))
}

// listColls returns the collections matching where (its conditions and
// order); op names the query in the log.
func (db *DB) listColls(ctx context.Context, op, where string, args ...any) ([]*paybridge.Collection, error) {
	rows, err := db.w.QueryContext(ctx, `SELECT `+collCols+` FROM collections WHERE `+where, args...)
	if err != nil {
		return nil, db.internal(op, err)
	}
	defer rows.Close()
	var out []*paybridge.Collection
	for rows.Next() {
		c, err := scanColl(rows)
		if err != nil {
			return nil, db.internal("scan collection", err)
		}
		out = append(out, c)
	}
	return out, db.mapErr(op, rows.Err())
}

// AutopayDue returns (merchant, invoice) of open invoices due by today
// whose customer has autopay on and which no collection covers yet.
func (db *DB) AutopayDue(ctx context.Context, today string, limit int) ([][2]string, error) {
	rows, err := db.w.QueryContext(ctx, `SELECT i.merchant_id, i.id FROM invoices i
		JOIN customer_autopay a ON a.customer_id = i.customer_id AND a.merchant_id = i.merchant_id
		WHERE a.enabled = $1 AND i.status IN ('open', 'partially_paid') AND i.due_date <> '' AND i.due_date <= $2
		AND NOT EXISTS (SELECT 1 FROM collections c WHERE c.invoice_id = i.id)
		ORDER BY i.due_date LIMIT $3`, true, today, pageLimit(limit))
	if err != nil {
		return nil, db.internal("autopay due", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var v [2]string
		if err := rows.Scan(&v[0], &v[1]); err != nil {
			return nil, db.internal("scan autopay due", err)
		}
		out = append(out, v)
	}
	return out, db.mapErr("autopay due", rows.Err())
}

// ReminderCandidates returns unpaid invoices due between from and to.
func (db *DB) ReminderCandidates(ctx context.Context, from, to string, limit int) ([]paybridge.ReminderCandidate, error) {
	rows, err := db.w.QueryContext(ctx, `SELECT merchant_id, id, due_date FROM invoices
		WHERE status IN ('open', 'partially_paid') AND due_date <> '' AND due_date >= $1 AND due_date <= $2
		ORDER BY due_date LIMIT $3`, from, to, pageLimit(limit))
	if err != nil {
		return nil, db.internal("reminder candidates", err)
	}
	defer rows.Close()
	var out []paybridge.ReminderCandidate
	for rows.Next() {
		var c paybridge.ReminderCandidate
		if err := rows.Scan(&c.MerchantID, &c.InvoiceID, &c.DueDate); err != nil {
			return nil, db.internal("scan reminder candidate", err)
		}
		out = append(out, c)
	}
	return out, db.mapErr("reminder candidates", rows.Err())
}

// MarkReminder records a reminder as sent; false when it was already.
func (db *DB) MarkReminder(ctx context.Context, merchantID, invoiceID string, offset int, now time.Time) (bool, error) {
	_, err := db.exec(ctx, `INSERT INTO invoice_reminders (invoice_id, merchant_id, day_offset, sent_at)
		VALUES ($1, $2, $3, $4)`, invoiceID, merchantID, offset, micros(db.stamp(now)))
	if isUnique(err) {
		return false, nil
	}
	return err == nil, db.mapErr("mark reminder", err)
}

// GetBillingSettings returns the merchant's policy, or the default.
func (db *DB) GetBillingSettings(ctx context.Context, merchantID string) (*paybridge.BillingSettings, error) {
	var rem, dun string
	var updated int64
	err := db.w.QueryRowContext(ctx, `SELECT reminder_days, dunning_days, updated_at FROM billing_settings WHERE merchant_id = $1`,
		merchantID).Scan(&rem, &dun, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return paybridge.DefaultBillingSettings(merchantID), nil
	} else if err != nil {
		return nil, db.internal("get billing settings", err)
	}
	s := &paybridge.BillingSettings{MerchantID: merchantID, UpdatedAt: fromMicros(updated)}
	if json.Unmarshal([]byte(rem), &s.ReminderDays) != nil || json.Unmarshal([]byte(dun), &s.DunningDays) != nil {
		return nil, db.internal("decode billing settings", errors.New("bad JSON"))
	}
	return s, nil
}

// SetBillingSettings stores the merchant's policy.
func (db *DB) SetBillingSettings(ctx context.Context, s *paybridge.BillingSettings) error {
	rem, _ := json.Marshal(orInts(s.ReminderDays))
	dun, _ := json.Marshal(orInts(s.DunningDays))
	s.UpdatedAt = db.stamp(s.UpdatedAt)
	_, err := db.exec(ctx, `INSERT INTO billing_settings (merchant_id, reminder_days, dunning_days, updated_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (merchant_id) DO UPDATE SET reminder_days = excluded.reminder_days,
		dunning_days = excluded.dunning_days, updated_at = excluded.updated_at`, s.MerchantID, string(rem), string(dun), micros(s.UpdatedAt))
	if isForeignKey(err) {
		return notFound("merchant")
	}
	return db.mapErr("set billing settings", err)
}

func orInts(v []int) []int {
	if v == nil {
		return []int{}
	}
	return v
}
