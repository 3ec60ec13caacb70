package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/paybridge/paybridge"
)

var _ paybridge.CardUpdateStore = (*DB)(nil)

const cardLinkCols = `id, merchant_id, customer_id, token_hash, expires_at, used_at, card_id, created_at`

func scanCardLink(s scanner) (*paybridge.CardLink, error) {
	var l paybridge.CardLink
	var exp, used, created int64
	if err := s.Scan(&l.ID, &l.MerchantID, &l.CustomerID, &l.TokenHash, &exp, &used, &l.CardID, &created); err != nil {
		return nil, err
	}
	l.ExpiresAt, l.UsedAt, l.CreatedAt = fromMicros(exp), fromMicrosPtr(used), fromMicros(created)
	return &l, nil
}

// CreateCardLink stores l; a customer of another merchant is ENOTFOUND.
func (db *DB) CreateCardLink(ctx context.Context, l *paybridge.CardLink) error {
	if l.ID == "" {
		l.ID = paybridge.NewID(paybridge.PrefixCardLink)
	}
	l.CreatedAt = db.stamp(l.CreatedAt)
	l.ExpiresAt = trunc(l.ExpiresAt)
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if err := db.customerExists(ctx, tx, l.MerchantID, l.CustomerID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO card_links (`+cardLinkCols+`) VALUES ($1, $2, $3, $4, $5, 0, '', $6)`,
			l.ID, l.MerchantID, l.CustomerID, l.TokenHash, micros(l.ExpiresAt), micros(l.CreatedAt))
		return err
	})
}

// CardLinkByToken finds a link by its token hash, whatever its state.
func (db *DB) CardLinkByToken(ctx context.Context, tokenHash string) (*paybridge.CardLink, error) {
	l, err := scanCardLink(db.w.QueryRowContext(ctx, `SELECT `+cardLinkCols+` FROM card_links WHERE token_hash = $1`, tokenHash))
	return l, db.getErr("card link", err)
}

// ClaimCardLink marks an unused link used, atomically.
func (db *DB) ClaimCardLink(ctx context.Context, merchantID, id string, now time.Time) error {
	res, err := db.exec(ctx, `UPDATE card_links SET used_at = $1 WHERE id = $2 AND merchant_id = $3 AND used_at = 0`,
		micros(db.stamp(now)), id, merchantID)
	if err != nil {
		return db.mapErr("claim card link", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return db.internal("rows affected", err)
	} else if n == 0 {
		if _, err := db.cardLink(ctx, merchantID, id); err != nil {
			return err
		}
		return paybridge.Errorf(paybridge.ECONFLICT, "", "this link was used already").WithCode("link_used")
	}
	return nil
}

func (db *DB) cardLink(ctx context.Context, merchantID, id string) (*paybridge.CardLink, error) {
	l, err := scanCardLink(db.w.QueryRowContext(ctx, `SELECT `+cardLinkCols+` FROM card_links WHERE id = $1 AND merchant_id = $2`,
		id, merchantID))
	return l, db.getErr("card link", err)
}

// ReleaseCardLink makes a claimed link usable again (no card was saved).
func (db *DB) ReleaseCardLink(ctx context.Context, merchantID, id string) error {
	_, err := db.exec(ctx, `UPDATE card_links SET used_at = 0 WHERE id = $1 AND merchant_id = $2 AND card_id = ''`,
		id, merchantID)
	return db.mapErr("release card link", err)
}

// FinishCardLink records the card a claimed link saved.
func (db *DB) FinishCardLink(ctx context.Context, merchantID, id, cardID string) error {
	res, err := db.exec(ctx, `UPDATE card_links SET card_id = $1 WHERE id = $2 AND merchant_id = $3 AND used_at <> 0`,
		cardID, id, merchantID)
	if err != nil {
		return db.mapErr("finish card link", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return db.internal("rows affected", err)
	} else if n == 0 {
		return paybridge.Errorf(paybridge.ECONFLICT, "", "card link %s was not claimed", id).WithCode("link_not_claimed")
	}
	return nil
}

// SaveCardIntent records a card-saving payment's consent, once.
func (db *DB) SaveCardIntent(ctx context.Context, in *paybridge.CardIntent) error {
	in.Consent.RecordedAt = db.stamp(in.Consent.RecordedAt)
	_, err := db.exec(ctx, `INSERT INTO card_intents (payment_id, merchant_id, customer_id, clover_card_id,
		consent_actor, consent_text, consent_ip, consent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (payment_id) DO NOTHING`,
		in.PaymentID, in.MerchantID, in.CustomerID, in.CloverCardID, in.Consent.Actor, in.Consent.Text, in.Consent.ClientIP,
		micros(in.Consent.RecordedAt))
	if isForeignKey(err) {
		return notFound("merchant")
	}
	return db.mapErr("save card intent", err)
}

// GetCardIntent returns a payment's card intent.
func (db *DB) GetCardIntent(ctx context.Context, merchantID, paymentID string) (*paybridge.CardIntent, error) {
	var in paybridge.CardIntent
	var at int64
	err := db.w.QueryRowContext(ctx, `SELECT payment_id, merchant_id, customer_id, clover_card_id, consent_actor, consent_text,
		consent_ip, consent_at FROM card_intents WHERE payment_id = $1 AND merchant_id = $2`, paymentID, merchantID).
		Scan(&in.PaymentID, &in.MerchantID, &in.CustomerID, &in.CloverCardID, &in.Consent.Actor, &in.Consent.Text,
			&in.Consent.ClientIP, &at)
	if err != nil {
		return nil, db.getErr("card intent", err)
	}
	in.Consent.RecordedAt = fromMicros(at)
	return &in, nil
}

// OpenCollections returns a customer's unfinished collections.
func (db *DB) OpenCollections(ctx context.Context, merchantID, customerID string) ([]*paybridge.Collection, error) {
	return db.listColls(ctx, "open collections", `merchant_id = $1 AND customer_id = $2 AND done = $3
		ORDER BY created_at, invoice_id`, merchantID, customerID, false)
}
