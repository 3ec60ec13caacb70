package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/paybridge/paybridge"
)

const lineCols = `id, invoice_id, description, quantity, unit_amount, tax_rate_bps, amount, tax_amount,
	quantity_returned, clover_item_id`

// nullLine is a line item's columns as read, the one mapping of lineCols
// (all NULL from a LEFT JOIN when the invoice has no lines).
type nullLine struct {
	ID, InvoiceID, Description, CloverItemID                              sql.NullString
	Quantity, UnitAmount, TaxRateBPS, Amount, TaxAmount, QuantityReturned sql.NullInt64
}

// dest lists the scan destinations in lineCols' order.
func (n *nullLine) dest() []any {
	return []any{&n.ID, &n.InvoiceID, &n.Description, &n.Quantity, &n.UnitAmount, &n.TaxRateBPS,
		&n.Amount, &n.TaxAmount, &n.QuantityReturned, &n.CloverItemID}
}

func (n *nullLine) item() paybridge.LineItem {
	return paybridge.LineItem{ID: n.ID.String, Description: n.Description.String, Quantity: n.Quantity.Int64,
		UnitAmount: n.UnitAmount.Int64, TaxRateBPS: n.TaxRateBPS.Int64, Amount: n.Amount.Int64,
		TaxAmount: n.TaxAmount.Int64, QuantityReturned: n.QuantityReturned.Int64, CloverItemID: n.CloverItemID.String}
}

// lineItems loads the lines of the given invoices, in their order.
func (db *DB) lineItems(ctx context.Context, q querier, invoiceIDs []string) (map[string][]paybridge.LineItem, error) {
	ph := make([]string, len(invoiceIDs))
	args := make([]any, len(invoiceIDs))
	for i, id := range invoiceIDs {
		ph[i], args[i] = fmt.Sprintf("$%d", i+1), id
	}
	rows, err := q.QueryContext(ctx, `SELECT `+lineCols+` FROM line_items WHERE invoice_id IN (`+
		strings.Join(ph, ", ")+`) ORDER BY invoice_id, position`, args...)
	if err != nil {
		return nil, wrapf(err, "query line items")
	}
	defer rows.Close()
	out := make(map[string][]paybridge.LineItem, len(invoiceIDs))
	for rows.Next() {
		var li nullLine
		if err := rows.Scan(li.dest()...); err != nil {
			return nil, wrapf(err, "scan line item")
		}
		out[li.InvoiceID.String] = append(out[li.InvoiceID.String], li.item())
	}
	return out, rows.Err()
}

// writeLineItems makes the invoice's lines equal to lines: existing ids
// are updated in place (keeping returned and reserved quantities), new
// lines get ids, and lines no longer listed are deleted. The caller's
// slice receives the new ids.
func (db *DB) writeLineItems(ctx context.Context, q querier, invoiceID string, lines, existing []paybridge.LineItem) error {
	old := make(map[string]bool, len(existing))
	for _, li := range existing {
		old[li.ID] = true
	}
	var added []int // positions of the lines to insert
	for i := range lines {
		li := &lines[i]
		if li.ID != "" && old[li.ID] {
			delete(old, li.ID)
			if _, err := q.ExecContext(ctx, `UPDATE line_items SET position = $1, description = $2, quantity = $3,
				unit_amount = $4, tax_rate_bps = $5, amount = $6, tax_amount = $7, clover_item_id = $8
				WHERE id = $9 AND invoice_id = $10`,
				i, li.Description, li.Quantity, li.UnitAmount, li.TaxRateBPS, li.Amount, li.TaxAmount,
				li.CloverItemID, li.ID, invoiceID); err != nil {
				return wrapf(err, "update line item")
			}
			continue
		}
		if li.ID == "" {
			li.ID = paybridge.NewID(paybridge.PrefixLineItem)
		}
		added = append(added, i)
	}
	// The new lines are one INSERT (per maxRows): an invoice of ten lines
	// is one round trip on PostgreSQL, not ten.
	for chunk := range slices.Chunk(added, maxRows) {
		stmt := multiInsert(`INSERT INTO line_items (id, invoice_id, position, description, quantity,
			unit_amount, tax_rate_bps, amount, tax_amount, quantity_returned, clover_item_id) VALUES `, len(chunk), 11, 0)
		args := make([]any, 0, 11*len(chunk))
		for _, i := range chunk {
			li := &lines[i]
			args = append(args, li.ID, invoiceID, i, li.Description, li.Quantity, li.UnitAmount, li.TaxRateBPS,
				li.Amount, li.TaxAmount, li.QuantityReturned, li.CloverItemID)
		}
		if _, err := q.ExecContext(ctx, stmt, args...); err != nil {
			if isUnique(err) {
				return paybridge.Errorf(paybridge.EINVALID, "line_items.id", "line item id is already used")
			}
			return wrapf(err, "insert line items")
		}
	}
	for id := range old {
		if _, err := q.ExecContext(ctx, `DELETE FROM line_items WHERE id = $1 AND invoice_id = $2`, id, invoiceID); err != nil {
			return wrapf(err, "delete line item")
		}
	}
	return nil
}
