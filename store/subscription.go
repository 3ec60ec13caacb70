package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/paybridge/paybridge"
)

var _ paybridge.RecurringStore = (*DB)(nil)

const planCols = `id, merchant_id, name, amount, currency, interval_unit, interval_count, active, clover_plan_id, created_at`

func scanPlan(s scanner) (*paybridge.Plan, error) {
	var p paybridge.Plan
	var created int64
	if err := s.Scan(&p.ID, &p.MerchantID, &p.Name, &p.Amount, &p.Currency, &p.Interval, &p.IntervalCount,
		&p.Active, &p.CloverPlanID, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMicros(created)
	return &p, nil
}

// CreatePlan stores a plan.
func (db *DB) CreatePlan(ctx context.Context, p *paybridge.Plan) error {
	if p.ID == "" {
		p.ID = paybridge.NewID(paybridge.PrefixPlan)
	}
	p.CreatedAt = db.stamp(p.CreatedAt)
	_, err := db.exec(ctx, `INSERT INTO plans (`+planCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		p.ID, p.MerchantID, p.Name, p.Amount, p.Currency, p.Interval, p.IntervalCount, p.Active, p.CloverPlanID, micros(p.CreatedAt))
	if isForeignKey(err) {
		return notFound("merchant")
	}
	return db.mapErr("create plan", err)
}

// GetPlan returns one of the merchant's plans.
func (db *DB) GetPlan(ctx context.Context, merchantID, id string) (*paybridge.Plan, error) {
	p, err := scanPlan(db.r.QueryRowContext(ctx, `SELECT `+planCols+` FROM plans WHERE id = $1 AND merchant_id = $2`, id, merchantID))
	return p, db.getErr("plan", err)
}

// ListPlans returns the merchant's plans, oldest first.
func (db *DB) ListPlans(ctx context.Context, merchantID string) ([]*paybridge.Plan, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+planCols+` FROM plans WHERE merchant_id = $1 ORDER BY seq`, merchantID)
	if err != nil {
		return nil, db.internal("list plans", err)
	}
	defer rows.Close()
	out := []*paybridge.Plan{}
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, db.internal("scan plan", err)
		}
		out = append(out, p)
	}
	return out, db.mapErr("list plans", rows.Err())
}

const subCols = `id, merchant_id, customer_id, plan_id, status, amount, currency, start_date, failure_count,
	last_run_date, clover_subscription_id, synced_through, version, created_at, updated_at, canceled_at`

func scanSub(s scanner) (*paybridge.Subscription, error) {
	var v paybridge.Subscription
	var created, updated, canceled int64
	if err := s.Scan(&v.ID, &v.MerchantID, &v.CustomerID, &v.PlanID, &v.Status, &v.Amount, &v.Currency, &v.StartDate,
		&v.FailureCount, &v.LastRunDate, &v.CloverSubscriptionID, &v.SyncedThrough, &v.Version, &created, &updated, &canceled); err != nil {
		return nil, err
	}
	v.CreatedAt, v.UpdatedAt, v.CanceledAt = fromMicros(created), fromMicros(updated), fromMicrosPtr(canceled)
	return &v, nil
}

func (db *DB) emitSub(ctx context.Context, tx *sql.Tx, s *paybridge.Subscription, t paybridge.EventType, now time.Time) error {
	return db.emit(ctx, tx, &paybridge.Event{MerchantID: s.MerchantID, Type: t, ObjectType: "subscription",
		ObjectID: s.ID, ObjectVersion: s.Version}, s, now)
}

// CreateSubscription stores s (Version 1) with a subscription.created event.
func (db *DB) CreateSubscription(ctx context.Context, s *paybridge.Subscription) error {
	if s.ID == "" {
		s.ID = paybridge.NewID(paybridge.PrefixSubscription)
	}
	s.CreatedAt = db.stamp(s.CreatedAt)
	s.UpdatedAt, s.Version = s.CreatedAt, 1
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if err := db.customerExists(ctx, tx, s.MerchantID, s.CustomerID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (`+subCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			s.ID, s.MerchantID, s.CustomerID, s.PlanID, s.Status, s.Amount, s.Currency, s.StartDate, s.FailureCount,
			s.LastRunDate, s.CloverSubscriptionID, s.SyncedThrough, s.Version, micros(s.CreatedAt), micros(s.UpdatedAt),
			microsPtr(s.CanceledAt))
		if isForeignKey(err) {
			return notFound("plan")
		} else if err != nil {
			return err
		}
		return db.emitSub(ctx, tx, s, paybridge.EventSubscriptionCreated, s.CreatedAt)
	})
}

// GetSubscription returns one of the merchant's subscriptions.
func (db *DB) GetSubscription(ctx context.Context, merchantID, id string) (*paybridge.Subscription, error) {
	s, err := scanSub(db.r.QueryRowContext(ctx, `SELECT `+subCols+` FROM subscriptions WHERE id = $1 AND merchant_id = $2`, id, merchantID))
	return s, db.getErr("subscription", err)
}

func (db *DB) listSubs(ctx context.Context, where string, args ...any) ([]*paybridge.Subscription, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+subCols+` FROM subscriptions WHERE `+where, args...)
	if err != nil {
		return nil, db.internal("list subscriptions", err)
	}
	defer rows.Close()
	out := []*paybridge.Subscription{}
	for rows.Next() {
		s, err := scanSub(rows)
		if err != nil {
			return nil, db.internal("scan subscription", err)
		}
		out = append(out, s)
	}
	return out, db.mapErr("list subscriptions", rows.Err())
}

// ListSubscriptions lists the merchant's subscriptions, oldest first.
func (db *DB) ListSubscriptions(ctx context.Context, merchantID, customerID string) ([]*paybridge.Subscription, error) {
	if customerID != "" {
		return db.listSubs(ctx, `merchant_id = $1 AND customer_id = $2 ORDER BY seq`, merchantID, customerID)
	}
	return db.listSubs(ctx, `merchant_id = $1 ORDER BY seq`, merchantID)
}

// LiveSubscriptions returns active and past-due subscriptions of any
// merchant.
func (db *DB) LiveSubscriptions(ctx context.Context, limit int) ([]*paybridge.Subscription, error) {
	return db.listSubs(ctx, `status IN ('active', 'past_due') ORDER BY seq LIMIT $1`, pageLimit(limit))
}

// UpdateSubscription writes s with a compare-and-set on Version and, when
// ev is set, its event.
func (db *DB) UpdateSubscription(ctx context.Context, s *paybridge.Subscription, ev paybridge.EventType) error {
	now := db.now()
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE subscriptions SET status = $1, amount = $2, failure_count = $3,
			last_run_date = $4, synced_through = $5, version = version + 1, updated_at = $6, canceled_at = $7
			WHERE id = $8 AND merchant_id = $9 AND version = $10`,
			s.Status, s.Amount, s.FailureCount, s.LastRunDate, s.SyncedThrough, micros(now), microsPtr(s.CanceledAt),
			s.ID, s.MerchantID, s.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if _, err := scanSub(tx.QueryRowContext(ctx, `SELECT `+subCols+` FROM subscriptions WHERE id = $1 AND merchant_id = $2`,
				s.ID, s.MerchantID)); errors.Is(err, sql.ErrNoRows) {
				return notFound("subscription")
			}
			return paybridge.Errorf(paybridge.ECONFLICT, "", "subscription %s changed meanwhile", s.ID).WithCode("stale_state")
		}
		s.Version++
		s.UpdatedAt = now
		if ev == "" {
			return nil
		}
		return db.emitSub(ctx, tx, s, ev, now)
	})
}
