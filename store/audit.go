package store

import (
	"context"
	"database/sql"

	"github.com/paybridge/paybridge"
)

const auditCols = `id, merchant_id, actor, action, object_id, outcome, latency_ms, request_id, idempotency_key,
	detail, created_at`

func scanAudit(s scanner) (*paybridge.AuditEntry, error) {
	var e paybridge.AuditEntry
	var created int64
	if err := s.Scan(&e.ID, &e.MerchantID, &e.Actor, &e.Action, &e.ObjectID, &e.Outcome, &e.LatencyMS,
		&e.RequestID, &e.IdempotencyKey, &e.Detail, &created); err != nil {
		return nil, err
	}
	e.CreatedAt = fromMicros(created)
	return &e, nil
}

// AppendAudit stores entries as given (Detail is already scrubbed) in one
// transaction, assigning ID and CreatedAt when empty. Entries of no
// merchant (MerchantID "") are allowed: an app-level event such as a
// refused binding.
func (db *DB) AppendAudit(ctx context.Context, entries ...*paybridge.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		for _, e := range entries {
			if e.ID == "" {
				e.ID = paybridge.NewID(paybridge.PrefixAudit)
			}
			e.CreatedAt = db.stamp(e.CreatedAt)
			_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (`+auditCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
				e.ID, e.MerchantID, e.Actor, e.Action, e.ObjectID, e.Outcome, e.LatencyMS, e.RequestID,
				e.IdempotencyKey, e.Detail, micros(e.CreatedAt))
			if err != nil {
				return db.mapErr("append audit", err)
			}
		}
		return nil
	})
}

// ListAudit returns a page of merchantID's audit entries, newest first
// (in insertion order, which is what an auditor reads).
func (db *DB) ListAudit(ctx context.Context, merchantID string, f paybridge.AuditFilter) ([]*paybridge.AuditEntry, string, error) {
	q := query{sql: `SELECT seq, ` + auditCols + ` FROM audit_log WHERE merchant_id = $1`, args: []any{merchantID}}
	if f.ObjectID != "" {
		q.where("object_id = %s", f.ObjectID)
	}
	return list(ctx, db, db.r, q, f.Cursor, f.Limit, true, scanAudit)
}
