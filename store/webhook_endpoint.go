package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/paybridge/paybridge"
)

const endpointCols = `id, merchant_id, url, events, description, disabled, failing_since, sealed_secret,
	sealed_old_secret, old_secret_expires_at, created_at, updated_at`

func scanEndpoint(s scanner) (*paybridge.WebhookEndpoint, error) {
	var e paybridge.WebhookEndpoint
	var events string
	var failing, oldExp, created, updated int64
	if err := s.Scan(&e.ID, &e.MerchantID, &e.URL, &events, &e.Description, &e.Disabled, &failing, &e.SealedSecret,
		&e.SealedOldSecret, &oldExp, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &e.Events); err != nil {
		return nil, wrapf(err, "decode endpoint events")
	}
	e.FailingSince, e.OldSecretExpiresAt = fromMicrosPtr(failing), fromMicrosPtr(oldExp)
	e.CreatedAt, e.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &e, nil
}

func encodeEvents(ts []paybridge.EventType) string {
	if ts == nil {
		ts = []paybridge.EventType{}
	}
	b, _ := json.Marshal(ts) // strings always marshal
	return string(b)
}

// CreateWebhookEndpoint stores e, assigning ID and times.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e *paybridge.WebhookEndpoint) error {
	if e.ID == "" {
		e.ID = paybridge.NewID(paybridge.PrefixEndpoint)
	}
	e.CreatedAt = db.stamp(e.CreatedAt)
	e.UpdatedAt = e.CreatedAt
	_, err := db.exec(ctx, `INSERT INTO webhook_endpoints (`+endpointCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.ID, e.MerchantID, e.URL, encodeEvents(e.Events), e.Description, e.Disabled, microsPtr(e.FailingSince),
		e.SealedSecret, e.SealedOldSecret, microsPtr(e.OldSecretExpiresAt), micros(e.CreatedAt), micros(e.UpdatedAt))
	return db.mapErr("create webhook endpoint", err)
}

// GetWebhookEndpoint returns one of the merchant's endpoints.
func (db *DB) GetWebhookEndpoint(ctx context.Context, merchantID, id string) (*paybridge.WebhookEndpoint, error) {
	e, err := scanEndpoint(db.r.QueryRowContext(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
		WHERE id = $1 AND merchant_id = $2`, id, merchantID))
	return e, db.getErr("webhook endpoint", err)
}

// ListWebhookEndpoints returns the merchant's endpoints, oldest first.
func (db *DB) ListWebhookEndpoints(ctx context.Context, merchantID string) ([]*paybridge.WebhookEndpoint, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE merchant_id = $1
		ORDER BY seq`, merchantID)
	if err != nil {
		return nil, db.mapErr("list webhook endpoints", err)
	}
	defer rows.Close()
	var out []*paybridge.WebhookEndpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, db.mapErr("scan webhook endpoint", err)
		}
		out = append(out, e)
	}
	return out, db.mapErr("list webhook endpoints", rows.Err())
}

// UpdateWebhookEndpoint writes e's mutable fields.
func (db *DB) UpdateWebhookEndpoint(ctx context.Context, e *paybridge.WebhookEndpoint) error {
	e.UpdatedAt = db.now()
	res, err := db.exec(ctx, `UPDATE webhook_endpoints SET url = $1, events = $2, description = $3,
		disabled = $4, failing_since = $5, sealed_secret = $6, sealed_old_secret = $7, old_secret_expires_at = $8,
		updated_at = $9 WHERE id = $10 AND merchant_id = $11`,
		e.URL, encodeEvents(e.Events), e.Description, e.Disabled, microsPtr(e.FailingSince), e.SealedSecret,
		e.SealedOldSecret, microsPtr(e.OldSecretExpiresAt), micros(e.UpdatedAt), e.ID, e.MerchantID)
	return db.oneRow("webhook endpoint", res, err)
}

// DeleteWebhookEndpoint removes the endpoint; queued deliveries to it find
// it gone and stop.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, merchantID, id string) error {
	res, err := db.exec(ctx, `DELETE FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2`, id, merchantID)
	return db.oneRow("webhook endpoint", res, err)
}

// EndpointDelivered records a delivery outcome; see paybridge.EventStore.
func (db *DB) EndpointDelivered(ctx context.Context, merchantID, id string, ok bool, now time.Time, disableAfter time.Duration) (bool, error) {
	now = db.stamp(now)
	disabled := false
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		if ok {
			_, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET failing_since = 0
				WHERE id = $1 AND merchant_id = $2 AND failing_since <> 0`, id, merchantID)
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET failing_since = $1
			WHERE id = $2 AND merchant_id = $3 AND failing_since = 0`, micros(now), id, merchantID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET disabled = $1, updated_at = $2
			WHERE id = $3 AND merchant_id = $4 AND disabled = $5 AND failing_since <> 0 AND failing_since <= $6`,
			true, micros(now), id, merchantID, false, micros(now.Add(-disableAfter)))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		e, err := scanEndpoint(tx.QueryRowContext(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE id = $1`, id))
		if err != nil {
			return err
		}
		disabled = true
		return db.emit(ctx, tx, &paybridge.Event{MerchantID: merchantID, Type: paybridge.EventWebhookEndpointDisabled,
			ObjectType: "webhook_endpoint", ObjectID: id, ObjectVersion: micros(e.UpdatedAt)}, e, now)
	})
	return disabled, err
}
