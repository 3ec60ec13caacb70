package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/paybridge/paybridge"
)

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	rowsQuerier
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rowsQuerier is a querier or the read pool.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const invoiceCols = `id, merchant_id, customer_id, number, status, currency, subtotal, tax_amount, total,
	amount_paid, tip_paid, amount_refunded, amount_returned, allow_tip, allow_partial,
	minimum_partial_amount, due_date, metadata, clover_order_id, order_paid, version,
	created_at, updated_at, paid_at, voided_at, clover_sync_status, clover_sync_attempts,
	clover_sync_error_code, clover_sync_error, clover_synced_at, clover_sync_key`

func scanInvoice(s scanner) (*paybridge.Invoice, error) {
	var inv paybridge.Invoice
	var meta, order, errCode, errMsg string
	var created, updated, paid, voided, synced int64
	if err := s.Scan(&inv.ID, &inv.MerchantID, &inv.CustomerID, &inv.Number, &inv.Status, &inv.Currency,
		&inv.Subtotal, &inv.TaxAmount, &inv.Total, &inv.AmountPaid, &inv.TipPaid, &inv.AmountRefunded,
		&inv.AmountReturned, &inv.AllowTip, &inv.AllowPartial, &inv.MinimumPartialAmount, &inv.DueDate,
		&meta, &order, &inv.OrderPaid, &inv.Version, &created, &updated, &paid, &voided,
		&inv.CloverSync.Status, &inv.CloverSync.Attempts, &errCode, &errMsg, &synced, &inv.CloverSync.Key); err != nil {
		return nil, err
	}
	var err error
	inv.Metadata, err = decodeMeta(meta)
	inv.CloverOrderID = paybridge.OptionalID(order)
	inv.CreatedAt, inv.UpdatedAt = fromMicros(created), fromMicros(updated)
	inv.PaidAt, inv.VoidedAt = fromMicrosPtr(paid), fromMicrosPtr(voided)
	inv.CloverSync.SyncedAt = fromMicrosPtr(synced)
	if errCode != "" {
		inv.CloverSync.Error = &paybridge.SyncError{Code: errCode, Message: errMsg}
	}
	return &inv, err
}

// CreateInvoice stores inv with its line items, assigning ID, line ids,
// Number (the merchant's next "INV-000001") and Version 1 in one
// transaction. A customer of another merchant is ENOTFOUND. An invoice
// whose CloverSync is pending is handed to OnOrderSync in the same
// transaction, so the job that creates its order is durable exactly when
// the invoice is; an empty CloverSync status is stored as synced (the
// caller made the order, or the invoice needs none).
func (db *DB) CreateInvoice(ctx context.Context, inv *paybridge.Invoice) error {
	if inv.ID == "" {
		inv.ID = paybridge.NewID(paybridge.PrefixInvoice)
	}
	if inv.Status == "" {
		inv.Status = paybridge.InvoiceOpen
	}
	if inv.CloverSync.Status == "" {
		inv.CloverSync.Status = paybridge.CloverSyncSynced
	}
	inv.CreatedAt = db.stamp(inv.CreatedAt)
	inv.UpdatedAt = inv.CreatedAt
	var number string
	err := db.withTx(ctx, func(t Tx) error {
		tx := t.SQL
		// The invoice is inserted only if the merchant owns the customer
		// (the check and the insert are one statement), under its id as a
		// stand-in number, and numbered last: see numberInvoice.
		cs := inv.CloverSync
		var errCode, errMsg string
		if cs.Error != nil {
			errCode, errMsg = cs.Error.Code, cs.Error.Message
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO invoices (`+invoiceCols+`)
			SELECT $1, $2, $3, $1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
			$19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30
			WHERE EXISTS (SELECT 1 FROM customers WHERE id = $3 AND merchant_id = $2)`,
			inv.ID, inv.MerchantID, inv.CustomerID, inv.Status, inv.Currency, inv.Subtotal,
			inv.TaxAmount, inv.Total, inv.AmountPaid, inv.TipPaid, inv.AmountRefunded, inv.AmountReturned,
			inv.AllowTip, inv.AllowPartial, inv.MinimumPartialAmount, inv.DueDate, encodeMeta(inv.Metadata),
			string(inv.CloverOrderID), inv.OrderPaid, 1, micros(inv.CreatedAt), micros(inv.UpdatedAt),
			microsPtr(inv.PaidAt), microsPtr(inv.VoidedAt), string(cs.Status), cs.Attempts, errCode, errMsg,
			microsPtr(cs.SyncedAt), cs.Key)
		if err != nil {
			return wrapf(err, "insert invoice")
		}
		if n, err := res.RowsAffected(); err != nil {
			return wrapf(err, "insert invoice")
		} else if n == 0 {
			return customerNotFound()
		}
		if err := db.writeLineItems(ctx, tx, inv.ID, inv.LineItems, nil); err != nil {
			return err
		}
		if err := db.markCreated(ctx, tx, inv.ID); err != nil {
			return err
		}
		if number, err = db.numberInvoice(ctx, tx, inv.MerchantID, inv.ID); err != nil {
			return err
		}
		// The invoice as a read would return it, without the read.
		stored := *inv
		stored.Number, stored.Version = number, 1
		stored.PaidAt, stored.VoidedAt = fromMicrosPtr(microsPtr(inv.PaidAt)), fromMicrosPtr(microsPtr(inv.VoidedAt))
		if len(stored.Metadata) == 0 {
			stored.Metadata = nil
		}
		if err := db.emitInvoiceAs(ctx, tx, &stored, paybridge.EventInvoiceCreated, inv.CreatedAt); err != nil {
			return err
		}
		if cs.Status != paybridge.CloverSyncPending || db.OnOrderSync == nil {
			return nil
		}
		return db.OnOrderSync(ctx, t, inv.MerchantID, inv.ID)
	})
	if err != nil {
		return err
	}
	inv.Number, inv.Version = number, 1
	return nil
}

// numberInvoice gives the invoice id, just inserted, the merchant's next
// number ("INV-000001") and returns it. It is the last statement before
// the invoice's events and the commit: on PostgreSQL the merchant's
// counter row stays locked from this statement until the commit, so every
// other invoice of the merchant waits for it. Taken first, it held the lock
// across the invoice's and its lines' inserts too, and at 150 invoices a
// second for one merchant most of PostgreSQL's busy connections were
// queued on that lock (pg_stat_activity: Lock/transactionid).
func (db *DB) numberInvoice(ctx context.Context, tx *sql.Tx, merchantID, invoiceID string) (string, error) {
	const count = `INSERT INTO counters (merchant_id, name, value) VALUES ($1, 'invoice', 1)
		ON CONFLICT (merchant_id, name) DO UPDATE SET value = counters.value + 1 RETURNING value`
	var number string
	if db.engine == EnginePostgres {
		// One round trip: count, then number the invoice as invoiceNumber
		// would.
		err := tx.QueryRowContext(ctx, `WITH c AS (`+count+`)
			UPDATE invoices SET number = 'INV-' || lpad(c.value::text, greatest(6, length(c.value::text)), '0')
			FROM c WHERE invoices.id = $2 RETURNING invoices.number`, merchantID, invoiceID).Scan(&number)
		if err != nil {
			return "", wrapf(err, "number invoice")
		}
		return number, nil
	}
	var n int64
	if err := tx.QueryRowContext(ctx, count, merchantID).Scan(&n); err != nil {
		return "", wrapf(err, "next invoice number")
	}
	number = invoiceNumber(n)
	if _, err := tx.ExecContext(ctx, `UPDATE invoices SET number = $1 WHERE id = $2`, number, invoiceID); err != nil {
		return "", wrapf(err, "number invoice")
	}
	return number, nil
}

// invoiceNumber formats the merchant's nth invoice number.
func invoiceNumber(n int64) string { return fmt.Sprintf("INV-%06d", n) }

// customerExists is ENOTFOUND (param customer_id) unless merchantID owns
// the customer.
func (db *DB) customerExists(ctx context.Context, q querier, merchantID, customerID string) error {
	if ok, err := owned(ctx, q, "customers", merchantID, customerID); err != nil || ok {
		return err
	}
	return customerNotFound()
}

func customerNotFound() error {
	return paybridge.Errorf(paybridge.ENOTFOUND, "customer_id", "customer not found")
}

// owned reports whether merchantID has the row id in table (one of the
// tables keyed by id with a merchant_id column).
func owned(ctx context.Context, q querier, table, merchantID, id string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = $1 AND merchant_id = $2`, id, merchantID).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

// GetInvoice returns merchantID's invoice id with its line items. It is one
// statement, so it needs no read transaction to be consistent.
func (db *DB) GetInvoice(ctx context.Context, merchantID, id string) (*paybridge.Invoice, error) {
	inv, err := db.getInvoice(ctx, db.r, merchantID, id, "")
	return inv, db.getErr("invoice", err)
}

// invoiceWithLines selects an invoice joined to its lines, one row per
// line (one row with NULL line columns when it has none), so an invoice
// costs one statement, not two.
var invoiceWithLines = `SELECT ` + prefixCols("i.", invoiceCols) + `, ` + prefixCols("l.", lineCols) + `
	FROM invoices i LEFT JOIN line_items l ON l.invoice_id = i.id
	WHERE i.id = $1 AND i.merchant_id = $2 ORDER BY l.position`

// lockInvoice is what getInvoice appends to lock the invoice's row until
// the transaction ends: on PostgreSQL, so a concurrent transaction cannot
// change its amounts between this read and the write that follows; SQLite
// runs one write transaction at a time and needs nothing.
func (db *DB) lockInvoice() string {
	if db.engine == EnginePostgres {
		return " FOR UPDATE OF i"
	}
	return ""
}

// getInvoice reads an invoice and its lines through q (a transaction sees
// its own writes); lock is appended to the query (db.lockInvoice() or "").
// No such invoice is sql.ErrNoRows.
func (db *DB) getInvoice(ctx context.Context, q rowsQuerier, merchantID, id, lock string) (*paybridge.Invoice, error) {
	rows, err := q.QueryContext(ctx, invoiceWithLines+lock, id, merchantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var inv *paybridge.Invoice
	var again []any // discards the invoice's columns on the rows after the first
	for rows.Next() {
		var li nullLine
		row := appendScan{rows, li.dest()}
		if inv == nil {
			inv, err = scanInvoice(row)
		} else {
			if again == nil {
				again = skip(invoiceCols)
			}
			err = row.Scan(again...)
		}
		if err != nil {
			return nil, err
		}
		if li.ID.Valid {
			inv.LineItems = append(inv.LineItems, li.item())
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if inv == nil {
		return nil, sql.ErrNoRows
	}
	return inv, nil
}

// UpdateInvoice writes inv's mutable fields (status, customer, line items,
// totals, options, due date, metadata, Clover order, paid and voided times)
// if inv.Version is still current, then increments Version. The money
// amounts (paid, tip, refunded, returned) are not written: only the Apply*
// transitions move money. A stale Version is ECONFLICT "stale_state".
func (db *DB) UpdateInvoice(ctx context.Context, inv *paybridge.Invoice) error {
	now := db.now()
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if err := db.customerExists(ctx, tx, inv.MerchantID, inv.CustomerID); err != nil {
			return err
		}
		var oldStatus paybridge.InvoiceStatus
		if err := tx.QueryRowContext(ctx, `SELECT status FROM invoices WHERE id = $1 AND merchant_id = $2`,
			inv.ID, inv.MerchantID).Scan(&oldStatus); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return wrapf(err, "read invoice status")
		}
		res, err := tx.ExecContext(ctx, `UPDATE invoices SET status = $1, customer_id = $2, subtotal = $3,
			tax_amount = $4, total = $5, allow_tip = $6, allow_partial = $7, minimum_partial_amount = $8,
			due_date = $9, metadata = $10, clover_order_id = $11, order_paid = $12, paid_at = $13,
			voided_at = $14, updated_at = $15, version = version + 1
			WHERE id = $16 AND merchant_id = $17 AND version = $18`,
			inv.Status, inv.CustomerID, inv.Subtotal, inv.TaxAmount, inv.Total, inv.AllowTip, inv.AllowPartial,
			inv.MinimumPartialAmount, inv.DueDate, encodeMeta(inv.Metadata), string(inv.CloverOrderID), inv.OrderPaid,
			microsPtr(inv.PaidAt), microsPtr(inv.VoidedAt), micros(now), inv.ID, inv.MerchantID, inv.Version)
		if err != nil {
			return wrapf(err, "update invoice")
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return db.staleOrMissing(ctx, tx, "invoices", "invoice", inv.MerchantID, inv.ID)
		}
		existing, err := db.lineItems(ctx, tx, []string{inv.ID})
		if err != nil {
			return err
		}
		if err := db.writeLineItems(ctx, tx, inv.ID, inv.LineItems, existing[inv.ID]); err != nil {
			return err
		}
		inv.Version++
		inv.UpdatedAt = now
		if oldStatus == inv.Status || inv.Status != paybridge.InvoiceVoid {
			return nil
		}
		stored, err := db.getInvoice(ctx, tx, inv.MerchantID, inv.ID, "")
		if err != nil {
			return err
		}
		return db.emitInvoice(ctx, tx, stored, oldStatus, now)
	})
}

// staleOrMissing explains a compare-and-set that touched no row:
// ENOTFOUND if the row is absent (or another merchant's), else ECONFLICT
// "stale_state".
func (db *DB) staleOrMissing(ctx context.Context, q querier, table, what, merchantID, id string) error {
	ok, err := owned(ctx, q, table, merchantID, id)
	switch {
	case err != nil:
		return err
	case !ok:
		return notFound(what)
	}
	return staleState(what)
}

// staleState is the ECONFLICT of a lost compare-and-set.
func staleState(what string) *paybridge.Error {
	return paybridge.Errorf(paybridge.ECONFLICT, "", "the %s changed concurrently; reload and retry", what).
		WithCode("stale_state")
}

// ListInvoices returns a page of merchantID's invoices (oldest first by
// default).
func (db *DB) ListInvoices(ctx context.Context, merchantID string, f paybridge.InvoiceFilter) ([]*paybridge.Invoice, string, error) {
	q := query{sql: `SELECT seq, ` + invoiceCols + ` FROM invoices WHERE merchant_id = $1`, args: []any{merchantID}}
	if f.Status != "" {
		q.where("status = %s", string(f.Status))
	}
	if f.CustomerID != "" {
		q.where("customer_id = %s", f.CustomerID)
	}
	q.created(f.Created)
	var (
		invs []*paybridge.Invoice
		next string
	)
	err := db.readTx(ctx, func(src querier) (err error) {
		invs, next, err = list(ctx, db, src, q, f.Cursor, f.Limit, f.Order.Newest(false), scanInvoice)
		if err != nil || len(invs) == 0 {
			return err
		}
		ids := make([]string, len(invs))
		for i, inv := range invs {
			ids[i] = inv.ID
		}
		lines, err := db.lineItems(ctx, src, ids)
		if err != nil {
			return db.mapErr("list line items", err)
		}
		for _, inv := range invs {
			inv.LineItems = lines[inv.ID]
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return invs, next, nil
}
