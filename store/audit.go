package store

import (
	"context"

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

// AppendAudit stores e as given (Detail is already scrubbed), assigning ID
// and CreatedAt when empty. Entries of no merchant (MerchantID "") are
// allowed: an app-level event such as a refused binding.
func (db *DB) AppendAudit(ctx context.Context, e *paybridge.AuditEntry) error {
	if e.ID == "" {
		e.ID = paybridge.NewID(paybridge.PrefixAudit)
	}
	e.CreatedAt = db.stamp(e.CreatedAt)
	_, err := db.w.ExecContext(ctx, `INSERT INTO audit_log (`+auditCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.ID, e.MerchantID, e.Actor, e.Action, e.ObjectID, e.Outcome, e.LatencyMS, e.RequestID,
		e.IdempotencyKey, e.Detail, micros(e.CreatedAt))
	return db.mapErr("append audit", err)
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
