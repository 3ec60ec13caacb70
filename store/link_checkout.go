package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/paybridge/paybridge"
)

// CreateCheckoutSession records a hosted checkout session.
func (db *DB) CreateCheckoutSession(ctx context.Context, s *paybridge.CheckoutSession) error {
	s.CreatedAt = db.stamp(s.CreatedAt)
	_, err := db.exec(ctx, `INSERT INTO checkout_sessions (id, merchant_id, invoice_id, link_id, amount, lang, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.ID, s.MerchantID, s.InvoiceID, s.LinkID, s.Amount, s.Lang, micros(s.CreatedAt))
	if isForeignKey(err) {
		return notFound("invoice")
	}
	return db.mapErr("create checkout session", err)
}

// GetCheckoutSession finds a session by Clover's id.
func (db *DB) GetCheckoutSession(ctx context.Context, id string) (*paybridge.CheckoutSession, error) {
	var s paybridge.CheckoutSession
	var created int64
	err := db.r.QueryRowContext(ctx, `SELECT id, merchant_id, invoice_id, link_id, amount, lang, created_at
		FROM checkout_sessions WHERE id = $1`, id).Scan(&s.ID, &s.MerchantID, &s.InvoiceID, &s.LinkID, &s.Amount, &s.Lang, &created)
	if err != nil {
		return nil, db.getErr("checkout session", err)
	}
	s.CreatedAt = fromMicros(created)
	return &s, nil
}

// PaymentByCloverCharge finds a merchant's payment by Clover charge id.
func (db *DB) PaymentByCloverCharge(ctx context.Context, merchantID, chargeID string) (*paybridge.Payment, error) {
	if chargeID == "" {
		return nil, notFound("payment")
	}
	p, err := scanPayment(db.w.QueryRowContext(ctx, `SELECT `+paymentCols+` FROM payments
		WHERE merchant_id = $1 AND clover_charge_id = $2 ORDER BY seq LIMIT 1`, merchantID, chargeID))
	return p, db.getErr("payment", err)
}

// WebSettings returns a merchant's pay-page settings, defaults when unset.
func (db *DB) WebSettings(ctx context.Context, merchantID string) (*paybridge.WebSettings, error) {
	s := paybridge.WebSettings{MerchantID: merchantID}
	var updated int64
	err := db.r.QueryRowContext(ctx, `SELECT checkout_mode, sealed_hco_secret, updated_at FROM web_settings
		WHERE merchant_id = $1`, merchantID).Scan(&s.CheckoutMode, &s.SealedHCOSecret, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		s.CheckoutMode = paybridge.CheckoutIframe
		return &s, nil
	case err != nil:
		return nil, db.mapErr("get web settings", err)
	}
	s.UpdatedAt = fromMicros(updated)
	return &s, nil
}

// SetWebSettings creates or replaces a merchant's settings.
func (db *DB) SetWebSettings(ctx context.Context, s *paybridge.WebSettings) error {
	if s.CheckoutMode != paybridge.CheckoutIframe && s.CheckoutMode != paybridge.CheckoutHosted {
		return paybridge.Errorf(paybridge.EINVALID, "checkout_mode", "checkout_mode must be %q or %q",
			paybridge.CheckoutIframe, paybridge.CheckoutHosted).WithCode("invalid_checkout_mode")
	}
	s.UpdatedAt = db.stamp(s.UpdatedAt)
	_, err := db.exec(ctx, `INSERT INTO web_settings (merchant_id, checkout_mode, sealed_hco_secret, updated_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (merchant_id) DO UPDATE
		SET checkout_mode = excluded.checkout_mode, sealed_hco_secret = excluded.sealed_hco_secret, updated_at = excluded.updated_at`,
		s.MerchantID, s.CheckoutMode, s.SealedHCOSecret, micros(s.UpdatedAt))
	if isForeignKey(err) {
		return notFound("merchant")
	}
	return db.mapErr("set web settings", err)
}
