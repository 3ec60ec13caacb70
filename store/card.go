package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/paybridge/paybridge"
)

var _ paybridge.CardStore = (*DB)(nil)

const cardCols = `id, merchant_id, customer_id, brand, last4, exp_month, exp_year, clover_card_id,
	consent_actor, consent_text, consent_ip, consent_at, created_at, removed_at`

func scanCard(s scanner) (*paybridge.Card, error) {
	var c paybridge.Card
	var consentAt, created, removed int64
	if err := s.Scan(&c.ID, &c.MerchantID, &c.CustomerID, &c.Brand, &c.Last4, &c.ExpMonth, &c.ExpYear,
		&c.CloverCardID, &c.Consent.Actor, &c.Consent.Text, &c.Consent.ClientIP, &consentAt, &created, &removed); err != nil {
		return nil, err
	}
	c.Consent.RecordedAt, c.CreatedAt, c.RemovedAt = fromMicros(consentAt), fromMicros(created), fromMicrosPtr(removed)
	return &c, nil
}

// cardEvent is the card as events and the API show it.
func (db *DB) emitCard(ctx context.Context, tx *sql.Tx, c *paybridge.Card, t paybridge.EventType, now time.Time) error {
	return db.emit(ctx, tx, &paybridge.Event{MerchantID: c.MerchantID, Type: t, ObjectType: "card", ObjectID: c.ID,
		ObjectVersion: now.UnixMicro()}, c, now)
}

// CreateCard stores c with a card.saved event. The same Clover card saved
// twice is ECONFLICT "card_exists".
func (db *DB) CreateCard(ctx context.Context, c *paybridge.Card) error {
	if c.ID == "" {
		c.ID = paybridge.NewID(paybridge.PrefixCard)
	}
	c.CreatedAt = db.stamp(c.CreatedAt)
	c.Consent.RecordedAt = db.stamp(c.Consent.RecordedAt)
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if err := db.customerExists(ctx, tx, c.MerchantID, c.CustomerID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO cards (`+cardCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0)`,
			c.ID, c.MerchantID, c.CustomerID, c.Brand, c.Last4, c.ExpMonth, c.ExpYear, c.CloverCardID,
			c.Consent.Actor, c.Consent.Text, c.Consent.ClientIP, micros(c.Consent.RecordedAt), micros(c.CreatedAt))
		if isUnique(err) {
			return paybridge.Errorf(paybridge.ECONFLICT, "", "this card is already saved").WithCode("card_exists")
		} else if err != nil {
			return err
		}
		return db.emitCard(ctx, tx, c, paybridge.EventCardSaved, c.CreatedAt)
	})
}

// GetCard returns a card that was not removed.
func (db *DB) GetCard(ctx context.Context, merchantID, id string) (*paybridge.Card, error) {
	c, err := scanCard(db.r.QueryRowContext(ctx, `SELECT `+cardCols+` FROM cards
		WHERE id = $1 AND merchant_id = $2 AND removed_at = 0`, id, merchantID))
	return c, db.getErr("card", err)
}

// CardByCloverID returns the card saved under a Clover card id, removed or
// not.
func (db *DB) CardByCloverID(ctx context.Context, merchantID, cloverCardID string) (*paybridge.Card, error) {
	c, err := scanCard(db.r.QueryRowContext(ctx, `SELECT `+cardCols+` FROM cards
		WHERE merchant_id = $1 AND clover_card_id = $2`, merchantID, cloverCardID))
	return c, db.getErr("card", err)
}

// ListCards returns a customer's cards that were not removed, oldest first.
func (db *DB) ListCards(ctx context.Context, merchantID, customerID string) ([]*paybridge.Card, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+cardCols+` FROM cards
		WHERE merchant_id = $1 AND customer_id = $2 AND removed_at = 0 ORDER BY seq`, merchantID, customerID)
	if err != nil {
		return nil, db.internal("list cards", err)
	}
	defer rows.Close()
	out := []*paybridge.Card{}
	for rows.Next() {
		c, err := scanCard(rows)
		if err != nil {
			return nil, db.internal("scan card", err)
		}
		out = append(out, c)
	}
	return out, db.mapErr("list cards", rows.Err())
}

// RemoveCard marks a card removed (with a card.removed event) and turns
// off autopay that used it.
func (db *DB) RemoveCard(ctx context.Context, merchantID, id string, now time.Time) error {
	now = db.stamp(now)
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		c, err := scanCard(tx.QueryRowContext(ctx, `SELECT `+cardCols+` FROM cards
			WHERE id = $1 AND merchant_id = $2 AND removed_at = 0`, id, merchantID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("card")
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cards SET removed_at = $1 WHERE id = $2`, micros(now), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customer_autopay SET enabled = $1, card_id = '', updated_at = $2
			WHERE merchant_id = $3 AND card_id = $4`, false, micros(now), merchantID, id); err != nil {
			return err
		}
		c.RemovedAt = &now
		return db.emitCard(ctx, tx, c, paybridge.EventCardRemoved, now)
	})
}

// SetPaymentSource changes the source of a payment that is still pending.
func (db *DB) SetPaymentSource(ctx context.Context, merchantID, paymentID, source string) error {
	res, err := db.exec(ctx, `UPDATE payments SET source = $1 WHERE id = $2 AND merchant_id = $3 AND status = 'pending'`,
		source, paymentID, merchantID)
	return db.oneRow("pending payment", res, err)
}

// GetAutopay returns a customer's autopay, disabled when never set.
func (db *DB) GetAutopay(ctx context.Context, merchantID, customerID string) (*paybridge.Autopay, error) {
	if err := db.customerExists(ctx, db.w, merchantID, customerID); err != nil {
		return nil, err
	}
	a := &paybridge.Autopay{CustomerID: customerID}
	var updated int64
	err := db.w.QueryRowContext(ctx, `SELECT enabled, card_id, updated_at FROM customer_autopay
		WHERE customer_id = $1 AND merchant_id = $2`, customerID, merchantID).Scan(&a.Enabled, &a.CardID, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return a, nil
	} else if err != nil {
		return nil, db.internal("get autopay", err)
	}
	a.UpdatedAt = fromMicros(updated)
	return a, nil
}

// SetAutopay stores a customer's autopay choice.
func (db *DB) SetAutopay(ctx context.Context, merchantID string, a *paybridge.Autopay) error {
	a.UpdatedAt = db.stamp(a.UpdatedAt)
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if err := db.customerExists(ctx, tx, merchantID, a.CustomerID); err != nil {
			return err
		}
		if a.Enabled {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM cards WHERE id = $1 AND merchant_id = $2 AND customer_id = $3
				AND removed_at = 0`, a.CardID, merchantID, a.CustomerID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return paybridge.Errorf(paybridge.EINVALID, "card_id", "autopay needs a saved card of this customer").WithCode("resource_missing")
			} else if err != nil {
				return err
			}
		} else {
			a.CardID = ""
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO customer_autopay (customer_id, merchant_id, enabled, card_id, updated_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (customer_id) DO UPDATE SET enabled = excluded.enabled, card_id = excluded.card_id,
				updated_at = excluded.updated_at`, a.CustomerID, merchantID, a.Enabled, a.CardID, micros(a.UpdatedAt))
		return err
	})
}
