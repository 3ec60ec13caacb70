package store

import (
	"context"
	"database/sql"
	"slices"

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

// AppendAudit stores entries as given (Detail is already scrubbed),
// atomically, assigning ID and CreatedAt when empty. Entries of no
// merchant (MerchantID "") are allowed: an app-level event such as a
// refused binding.
//
// Each maxRows entries are one multi-row INSERT, and a batch of one such
// statement needs no transaction around it: on PostgreSQL a batch is one
// round trip instead of BEGIN, an INSERT per entry and COMMIT (the audit
// writer's batches were a fifth of a paid invoice's round trips).
func (db *DB) AppendAudit(ctx context.Context, entries ...*paybridge.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if len(entries) <= maxRows {
		q, args := db.auditInsert(entries)
		_, err := db.exec(ctx, q, args...)
		return db.mapErr("append audit", err)
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		for chunk := range slices.Chunk(entries, maxRows) {
			q, args := db.auditInsert(chunk)
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return db.mapErr("append audit", err)
			}
		}
		return nil
	})
}

// auditInsert fills in entries' IDs and times and returns their INSERT.
func (db *DB) auditInsert(entries []*paybridge.AuditEntry) (string, []any) {
	q := multiInsert(`INSERT INTO audit_log (`+auditCols+`) VALUES `, len(entries), 11, 0)
	args := make([]any, 0, 11*len(entries))
	for _, e := range entries {
		if e.ID == "" {
			e.ID = paybridge.NewID(paybridge.PrefixAudit)
		}
		e.CreatedAt = db.stamp(e.CreatedAt)
		args = append(args, e.ID, e.MerchantID, e.Actor, e.Action, e.ObjectID, e.Outcome, e.LatencyMS,
			e.RequestID, e.IdempotencyKey, e.Detail, micros(e.CreatedAt))
	}
	return q, args
}

// ListAudit returns a page of merchantID's audit entries, newest first by
// default (in insertion order, which is what an auditor reads).
func (db *DB) ListAudit(ctx context.Context, merchantID string, f paybridge.AuditFilter) ([]*paybridge.AuditEntry, string, error) {
	q := query{sql: `SELECT seq, ` + auditCols + ` FROM audit_log WHERE merchant_id = $1`, args: []any{merchantID}}
	if f.ObjectID != "" {
		q.where("object_id = %s", f.ObjectID)
	}
	q.created(f.Created)
	return list(ctx, db, db.r, q, f.Cursor, f.Limit, f.Order.Newest(true), scanAudit)
}
