package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/paybridge/paybridge"
)

var _ paybridge.OnboardingStore = (*DB)(nil)

const integrationCols = `id, type, external_key, return_url, merchant_id, unlinked_at, created_at, updated_at`

func scanIntegration(s scanner) (*paybridge.Integration, error) {
	var it paybridge.Integration
	var unlinked, created, updated int64
	if err := s.Scan(&it.ID, &it.Type, &it.ExternalKey, &it.ReturnURL, &it.MerchantID, &unlinked, &created, &updated); err != nil {
		return nil, err
	}
	it.UnlinkedAt = fromMicrosPtr(unlinked)
	it.CreatedAt, it.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &it, nil
}

// FindOrCreateIntegration returns the integration of (in.Type,
// in.ExternalKey), creating it from in when absent; an existing one gets
// in.ReturnURL registered. Concurrent callers converge on one row.
func (db *DB) FindOrCreateIntegration(ctx context.Context, in *paybridge.Integration) (*paybridge.Integration, bool, error) {
	it, created, err := db.findOrCreateIntegration(ctx, in)
	if paybridge.ErrorKind(err) == paybridge.ECONFLICT {
		// A concurrent caller inserted the row first (PostgreSQL): it is
		// there now, so this attempt finds it.
		it, created, err = db.findOrCreateIntegration(ctx, in)
	}
	return it, created, err
}

func (db *DB) findOrCreateIntegration(ctx context.Context, in *paybridge.Integration) (*paybridge.Integration, bool, error) {
	var out *paybridge.Integration
	created := false
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		res, err := tx.ExecContext(ctx, `UPDATE integrations SET return_url = $1, updated_at = $2
			WHERE type = $3 AND external_key = $4`, in.ReturnURL, micros(now), in.Type, in.ExternalKey)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			created = true
			in.CreatedAt = db.stamp(in.CreatedAt)
			in.UpdatedAt = in.CreatedAt
			if _, err := tx.ExecContext(ctx, `INSERT INTO integrations (`+integrationCols+`)
				VALUES ($1, $2, $3, $4, '', 0, $5, $6)`,
				in.ID, in.Type, in.ExternalKey, in.ReturnURL, micros(in.CreatedAt), micros(in.UpdatedAt)); err != nil {
				return err
			}
		}
		out, err = scanIntegration(tx.QueryRowContext(ctx, `SELECT `+integrationCols+` FROM integrations
			WHERE type = $1 AND external_key = $2`, in.Type, in.ExternalKey))
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

// GetIntegration returns the integration with id.
func (db *DB) GetIntegration(ctx context.Context, id string) (*paybridge.Integration, error) {
	it, err := scanIntegration(db.r.QueryRowContext(ctx, `SELECT `+integrationCols+` FROM integrations WHERE id = $1`, id))
	return it, db.getErr("integration", err)
}

// UnlinkIntegration clears the binding, drops pending hand-offs and revokes
// every key issued through the integration, in one transaction.
func (db *DB) UnlinkIntegration(ctx context.Context, id string, now time.Time) error {
	now = db.stamp(now)
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE integrations SET merchant_id = '', unlinked_at = $1, updated_at = $1
			WHERE id = $2`, micros(now), id)
		if err := db.oneRow("integration", res, err); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE integration_id = $2 AND revoked_at = 0`,
			micros(now), id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM handoffs WHERE integration_id = $1`, id)
		return err
	})
}

// CreateConnectState stores one authorization attempt.
func (db *DB) CreateConnectState(ctx context.Context, s *paybridge.ConnectState) error {
	s.CreatedAt = db.stamp(s.CreatedAt)
	_, err := db.exec(ctx, `INSERT INTO connect_states
		(state_hash, integration_id, sealed_verifier, crm_state, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		s.StateHash, s.IntegrationID, s.SealedVerifier, s.CRMState, micros(s.ExpiresAt), micros(s.CreatedAt))
	return db.mapErr("create connect state", err)
}

// ConsumeConnectState deletes and returns the state (single use).
func (db *DB) ConsumeConnectState(ctx context.Context, stateHash string, now time.Time) (*paybridge.ConnectState, error) {
	var s paybridge.ConnectState
	var exp, created int64
	err := db.w.QueryRowContext(ctx, `DELETE FROM connect_states WHERE state_hash = $1
		RETURNING state_hash, integration_id, sealed_verifier, crm_state, expires_at, created_at`, stateHash).
		Scan(&s.StateHash, &s.IntegrationID, &s.SealedVerifier, &s.CRMState, &exp, &created)
	if err != nil {
		return nil, db.getErr("connect state", err)
	}
	s.ExpiresAt, s.CreatedAt = fromMicros(exp), fromMicros(created)
	if !now.Before(s.ExpiresAt) {
		return nil, paybridge.Errorf(paybridge.EINVALID, "state", "the authorization attempt expired").WithCode("state_expired")
	}
	return &s, nil
}

// Connect stores a successful OAuth callback in one transaction (see
// paybridge.OnboardingStore).
func (db *DB) Connect(ctx context.Context, c *paybridge.Connection, now time.Time) error {
	now = db.stamp(now)
	m := c.Merchant
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE merchants SET name = $1, currency = $2, pakms_key = $3,
			sealed_creds = $4, updated_at = $5 WHERE id = $6`,
			m.Name, m.Currency, m.PAKMSKey, c.SealedCreds, micros(now), m.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			// A reconnect: a merchant that needed reauthorization is
			// active again, and the CRM hears it (merchant.reactivated).
			if err := db.setMerchantStatusTx(ctx, tx, m.ID, paybridge.MerchantActive, now); err != nil {
				return err
			}
		} else {
			m.CreatedAt = now
			_, err := tx.ExecContext(ctx, `INSERT INTO merchants (`+merchantCols+`, sealed_creds)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				m.ID, m.CloverMerchantID, m.Name, m.Currency, paybridge.MerchantActive, m.PAKMSKey,
				micros(now), micros(now), c.SealedCreds)
			if isUnique(err) {
				return paybridge.Errorf(paybridge.ECONFLICT, "", "merchant already exists").WithCode("merchant_exists")
			}
			if err != nil {
				return err
			}
		}
		m.Status, m.UpdatedAt = paybridge.MerchantActive, now
		if _, err := tx.ExecContext(ctx, `INSERT INTO token_upkeep
			(merchant_id, access_expires, refresh_expires, lease_until, inflight_fp, inflight_since, last_error, updated_at)
			VALUES ($1, $2, $3, 0, '', 0, '', $4)
			ON CONFLICT (merchant_id) DO UPDATE SET access_expires = excluded.access_expires,
				refresh_expires = excluded.refresh_expires, lease_until = 0, inflight_fp = '', inflight_since = 0,
				last_error = '', updated_at = excluded.updated_at`,
			m.ID, micros(c.AccessExpires), micros(c.RefreshExpires), micros(now)); err != nil {
			return err
		}
		if err := bindIntegration(ctx, tx, c.IntegrationID, m.ID, now); err != nil {
			return err
		}
		h := c.Handoff
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1
			WHERE app_id = $2 AND merchant_id = $3 AND employee_id = $4 AND revoked_at = 0`,
			micros(now), h.AppID, m.ID, h.EmployeeID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM handoffs WHERE app_id = $1 AND merchant_id = $2 AND employee_id = $3`,
			h.AppID, m.ID, h.EmployeeID); err != nil {
			return err
		}
		h.MerchantID, h.IntegrationID, h.CreatedAt = m.ID, c.IntegrationID, now
		_, err = tx.ExecContext(ctx, `INSERT INTO handoffs
			(code_hash, integration_id, merchant_id, employee_id, app_id, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			h.CodeHash, h.IntegrationID, h.MerchantID, h.EmployeeID, h.AppID, micros(h.ExpiresAt), micros(now))
		return err
	})
}

// bindIntegration binds an unbound integration to merchantID (or confirms
// it is already bound to it): a compare-and-set, so two first connects by
// different merchants cannot both win.
func bindIntegration(ctx context.Context, tx *sql.Tx, integrationID, merchantID string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE integrations SET merchant_id = $1, updated_at = $2
		WHERE id = $3 AND (merchant_id = '' OR merchant_id = $1)`, merchantID, micros(now), integrationID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var bound string
	err = tx.QueryRowContext(ctx, `SELECT merchant_id FROM integrations WHERE id = $1`, integrationID).Scan(&bound)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("integration")
	}
	if err != nil {
		return err
	}
	return paybridge.Errorf(paybridge.ECONFLICT, "", "the integration is bound to another merchant").WithCode("integration_bound_elsewhere")
}

// RedeemHandoff deletes and returns a hand-off (single use).
func (db *DB) RedeemHandoff(ctx context.Context, integrationID, codeHash string, now time.Time) (*paybridge.Handoff, error) {
	var h paybridge.Handoff
	var exp, created int64
	err := db.w.QueryRowContext(ctx, `DELETE FROM handoffs WHERE code_hash = $1 AND integration_id = $2
		RETURNING code_hash, integration_id, merchant_id, employee_id, app_id, expires_at, created_at`, codeHash, integrationID).
		Scan(&h.CodeHash, &h.IntegrationID, &h.MerchantID, &h.EmployeeID, &h.AppID, &exp, &created)
	if err != nil {
		return nil, db.getErr("hand-off code", err)
	}
	h.ExpiresAt, h.CreatedAt = fromMicros(exp), fromMicros(created)
	if !now.Before(h.ExpiresAt) {
		return nil, paybridge.Errorf(paybridge.EINVALID, "code", "the hand-off code expired").WithCode("handoff_expired")
	}
	return &h, nil
}

// PurgeOnboarding deletes connect states and hand-offs that expired before t.
func (db *DB) PurgeOnboarding(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for _, q := range []string{`DELETE FROM connect_states WHERE expires_at < $1`, `DELETE FROM handoffs WHERE expires_at < $1`} {
		res, err := db.exec(ctx, q, micros(before))
		if err != nil {
			return total, db.mapErr("purge onboarding", err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	return total, nil
}
