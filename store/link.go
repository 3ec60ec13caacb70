package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/paybridge/paybridge"
)

var _ paybridge.LinkStore = (*DB)(nil)

const linkCols = `id, merchant_id, invoice_id, token_hash, expires_at, revoked_at, created_at`

func scanLink(s scanner) (*paybridge.PaymentLink, error) {
	var l paybridge.PaymentLink
	var exp, rev, created int64
	if err := s.Scan(&l.ID, &l.MerchantID, &l.InvoiceID, &l.TokenHash, &exp, &rev, &created); err != nil {
		return nil, err
	}
	l.ExpiresAt, l.RevokedAt, l.CreatedAt = fromMicros(exp), fromMicrosPtr(rev), fromMicros(created)
	return &l, nil
}

// CreatePaymentLink stores l. An invoice of another merchant is ENOTFOUND.
func (db *DB) CreatePaymentLink(ctx context.Context, l *paybridge.PaymentLink) error {
	if l.ID == "" {
		l.ID = paybridge.NewID(paybridge.PrefixLink)
	}
	l.CreatedAt = db.stamp(l.CreatedAt)
	l.ExpiresAt = trunc(l.ExpiresAt)
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if ok, err := owned(ctx, tx, "invoices", l.MerchantID, l.InvoiceID); err != nil {
			return err
		} else if !ok {
			return notFound("invoice")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO payment_links (`+linkCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			l.ID, l.MerchantID, l.InvoiceID, l.TokenHash, micros(l.ExpiresAt), microsPtr(l.RevokedAt), micros(l.CreatedAt))
		return err
	})
}

// PaymentLinkByToken finds a link by its token hash, whatever its state.
func (db *DB) PaymentLinkByToken(ctx context.Context, tokenHash string) (*paybridge.PaymentLink, error) {
	l, err := scanLink(db.r.QueryRowContext(ctx, `SELECT `+linkCols+` FROM payment_links WHERE token_hash = $1`, tokenHash))
	return l, db.getErr("payment link", err)
}

// RevokePaymentLinks revokes the invoice's unrevoked links.
func (db *DB) RevokePaymentLinks(ctx context.Context, merchantID, invoiceID string, now time.Time) (int, error) {
	res, err := db.exec(ctx, `UPDATE payment_links SET revoked_at = $1
		WHERE merchant_id = $2 AND invoice_id = $3 AND revoked_at = 0`, micros(db.stamp(now)), merchantID, invoiceID)
	if err != nil {
		return 0, db.mapErr("revoke payment links", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, db.internal("rows affected", err)
	}
	return int(n), nil
}

const attemptCols = `link_id, attempt_key, payment_id, error_code, lang, created_at, updated_at`

func scanAttempt(s scanner) (*paybridge.LinkAttempt, error) {
	var a paybridge.LinkAttempt
	var created, updated int64
	if err := s.Scan(&a.LinkID, &a.AttemptKey, &a.PaymentID, &a.ErrorCode, &a.Lang, &created, &updated); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &a, nil
}

// BeginLinkAttempt inserts a, or returns the attempt already stored under
// its (link, key). Insert-or-read runs in one write transaction, so two
// concurrent submits cannot both insert.
func (db *DB) BeginLinkAttempt(ctx context.Context, a *paybridge.LinkAttempt) (*paybridge.LinkAttempt, error) {
	a.CreatedAt = db.stamp(a.CreatedAt)
	a.UpdatedAt = a.CreatedAt
	var existing *paybridge.LinkAttempt
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO link_attempts (`+attemptCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (link_id, attempt_key) DO NOTHING`,
			a.LinkID, a.AttemptKey, a.PaymentID, a.ErrorCode, a.Lang, micros(a.CreatedAt), micros(a.UpdatedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		existing, err = scanAttempt(tx.QueryRowContext(ctx, `SELECT `+attemptCols+` FROM link_attempts
			WHERE link_id = $1 AND attempt_key = $2`, a.LinkID, a.AttemptKey))
		return err
	})
	if err != nil {
		return nil, err
	}
	return existing, nil
}

// CompleteLinkAttempt records an attempt's outcome once.
func (db *DB) CompleteLinkAttempt(ctx context.Context, linkID, attemptKey, paymentID, errorCode string, now time.Time) error {
	res, err := db.exec(ctx, `UPDATE link_attempts SET payment_id = $1, error_code = $2, updated_at = $3
		WHERE link_id = $4 AND attempt_key = $5 AND payment_id = '' AND error_code = ''`,
		paymentID, errorCode, micros(db.stamp(now)), linkID, attemptKey)
	if err != nil {
		return db.mapErr("complete link attempt", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return db.internal("rows affected", err)
	} else if n == 0 {
		if _, gerr := db.GetLinkAttempt(ctx, linkID, attemptKey); gerr != nil {
			return gerr
		}
		return paybridge.Errorf(paybridge.ECONFLICT, "", "attempt already completed").WithCode("stale_state")
	}
	return nil
}

// GetLinkAttempt returns one attempt.
func (db *DB) GetLinkAttempt(ctx context.Context, linkID, attemptKey string) (*paybridge.LinkAttempt, error) {
	a, err := scanAttempt(db.w.QueryRowContext(ctx, `SELECT `+attemptCols+` FROM link_attempts
		WHERE link_id = $1 AND attempt_key = $2`, linkID, attemptKey))
	return a, db.getErr("link attempt", err)
}
