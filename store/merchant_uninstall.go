package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/paybridge/paybridge"
)

// MarkAppUninstalled records Clover's app-uninstall notice of time `at`
// (Clover's ts) for a merchant: it becomes reauthorization_required, with
// its event, unless it connected at or after `at`. Webhooks arrive late
// and out of order; an uninstall the merchant has since undone by
// reconnecting must not lock it out again. The check and the change run in
// one transaction holding the merchant's row, so a connect cannot slip in
// between. It reports whether the merchant was marked.
//
// The connect time is the latest of the merchant's creation and the last
// write to an integration bound to it (Connect binds the integration in
// its transaction).
func (db *DB) MarkAppUninstalled(ctx context.Context, merchantID string, at time.Time) (bool, error) {
	now := db.now()
	marked := false
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := lockMerchant(ctx, tx, merchantID, now); err != nil {
			return err
		}
		connected, err := merchantConnectedAt(ctx, tx, merchantID)
		if err != nil {
			return err
		}
		if !at.After(connected) {
			return nil
		}
		marked = true
		return db.setMerchantStatusTx(ctx, tx, merchantID, paybridge.MerchantReauthorizationRequired, now)
	})
	return marked, err
}

// MerchantConnectedAt returns when the merchant last connected its Clover
// account (see MarkAppUninstalled).
func (db *DB) MerchantConnectedAt(ctx context.Context, merchantID string) (time.Time, error) {
	var t time.Time
	err := db.readTx(ctx, func(q querier) error {
		var err error
		t, err = merchantConnectedAt(ctx, q, merchantID)
		return err
	})
	return t, err
}

func merchantConnectedAt(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, merchantID string) (time.Time, error) {
	var created, bound int64
	err := q.QueryRowContext(ctx, `SELECT m.created_at,
		COALESCE((SELECT MAX(i.updated_at) FROM integrations i WHERE i.merchant_id = m.id), 0)
		FROM merchants m WHERE m.id = $1`, merchantID).Scan(&created, &bound)
	if err == sql.ErrNoRows {
		return time.Time{}, notFound("merchant")
	} else if err != nil {
		return time.Time{}, wrapf(err, "merchant connect time")
	}
	return fromMicros(max(created, bound)), nil
}
