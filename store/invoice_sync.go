package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/paybridge/paybridge"
)

// RecordOrderSync records one attempt at an invoice's Clover order (local
// first: the order is made after the invoice is stored) and returns the
// invoice after it. The attempt counts; the status, error and time are r's.
// Synced with an order: the order id is kept if one is already recorded
// (the first wins; with one idempotency key per invoice both are the same
// order) and the order's item ids go on the lines, in order. An invoice
// already synced stays synced: a racing attempt's late failure does not
// undo it. Reaching synced with an order, or failed, emits
// invoice.clover_synced or invoice.clover_sync_failed and increments
// Version (the invoice changed as the CRM sees it); a transient failure
// (still pending) changes only the sync columns.
func (db *DB) RecordOrderSync(ctx context.Context, merchantID, invoiceID string, r paybridge.OrderSync) (*paybridge.Invoice, error) {
	var out *paybridge.Invoice
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		inv, err := db.getInvoice(ctx, tx, merchantID, invoiceID, db.lockInvoice())
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("invoice")
		} else if err != nil {
			return wrapf(err, "read invoice")
		}
		cs := &inv.CloverSync
		cs.Attempts++
		if cs.Status == paybridge.CloverSyncSynced {
			out = inv
			if _, err := tx.ExecContext(ctx, `UPDATE invoices SET clover_sync_attempts = $1 WHERE id = $2`, cs.Attempts, inv.ID); err != nil {
				return wrapf(err, "record order sync")
			}
			return nil
		}
		from := cs.Status
		cs.Status, cs.Error = r.Status, r.Error
		var event paybridge.EventType
		switch {
		case r.Status == paybridge.CloverSyncSynced:
			at := r.At
			cs.SyncedAt, cs.Error = &at, nil
			if r.OrderID != "" {
				if inv.CloverOrderID == "" {
					inv.CloverOrderID = paybridge.OptionalID(r.OrderID)
				}
				event = paybridge.EventInvoiceCloverSynced
			}
		case r.Status == paybridge.CloverSyncFailed && from != paybridge.CloverSyncFailed:
			event = paybridge.EventInvoiceCloverSyncFailed
		}
		var code, msg string
		if cs.Error != nil {
			code, msg = cs.Error.Code, cs.Error.Message
		}
		if r.NextKey != "" {
			cs.Key = r.NextKey
		}
		bump := 0
		if event != "" {
			bump = 1
			inv.Version++
			inv.UpdatedAt = db.stamp(r.At)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invoices SET clover_order_id = $1, clover_sync_status = $2,
			clover_sync_attempts = $3, clover_sync_error_code = $4, clover_sync_error = $5, clover_synced_at = $6,
			clover_sync_key = $7, version = version + $8, updated_at = $9 WHERE id = $10`,
			string(inv.CloverOrderID), string(cs.Status), cs.Attempts, code, msg, microsPtr(cs.SyncedAt),
			cs.Key, bump, micros(inv.UpdatedAt), inv.ID); err != nil {
			return wrapf(err, "record order sync")
		}
		if r.OrderID != "" && string(inv.CloverOrderID) == r.OrderID {
			for i := range inv.LineItems {
				if i < len(r.ItemIDs) && inv.LineItems[i].CloverItemID == "" {
					inv.LineItems[i].CloverItemID = r.ItemIDs[i]
					if _, err := tx.ExecContext(ctx, `UPDATE line_items SET clover_item_id = $1 WHERE id = $2`,
						r.ItemIDs[i], inv.LineItems[i].ID); err != nil {
						return wrapf(err, "record order item")
					}
				}
			}
		}
		out = inv
		if event == "" {
			return nil
		}
		return db.emitInvoiceAs(ctx, tx, inv, event, r.At)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PendingOrderSyncs returns up to limit invoices, oldest first, whose
// Clover order is still to be made (any merchant), as merchant and invoice
// id pairs: the job runner's sweep makes sure each has its job.
func (db *DB) PendingOrderSyncs(ctx context.Context, limit int) ([][2]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT merchant_id, id FROM invoices
		WHERE clover_sync_status = 'pending' ORDER BY seq LIMIT $1`, limit)
	if err != nil {
		return nil, db.mapErr("pending order syncs", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, db.mapErr("pending order syncs", err)
		}
		out = append(out, p)
	}
	return out, db.mapErr("pending order syncs", rows.Err())
}
