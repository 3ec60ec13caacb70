package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/paybridge/paybridge"
)

var _ paybridge.EventStore = (*DB)(nil)

const eventCols = `id, merchant_id, type, object_type, object_id, object_version, data, created_at`

func scanEvent(s scanner) (*paybridge.Event, error) {
	var e paybridge.Event
	var data string
	var created int64
	if err := s.Scan(&e.ID, &e.MerchantID, &e.Type, &e.ObjectType, &e.ObjectID, &e.ObjectVersion, &data, &created); err != nil {
		return nil, err
	}
	e.Data, e.CreatedAt = json.RawMessage(data), fromMicros(created)
	return &e, nil
}

// invoiceSnapshot is the invoice as the API shows it (httpapi adds the
// same derived amount_due).
type invoiceSnapshot struct {
	*paybridge.Invoice
	AmountDue int64 `json:"amount_due"`
}

// emit records ev for tx (assigning ID and CreatedAt). Every event of a
// state change goes through here, from inside the transaction that made
// the change. The events of a transaction are inserted together just before
// it commits (insertEvents): a paid invoice's two events are then one
// statement, one round trip on PostgreSQL.
func (db *DB) emit(ctx context.Context, tx *sql.Tx, ev *paybridge.Event, obj any, now time.Time) error {
	if !paybridge.KnownEventType(ev.Type) {
		// Every type a CRM can receive is in the catalogue and the spec
		// (TestEventTypesInSpec); a new one must be added there first.
		return fmt.Errorf("store: event type %q is not in paybridge.EventTypes", ev.Type)
	}
	if ev.ID == "" {
		ev.ID = paybridge.NewID(paybridge.PrefixEvent)
	}
	ev.CreatedAt = db.stamp(now)
	if ev.Data == nil {
		b, err := json.Marshal(obj)
		if err != nil {
			return wrapf(err, "encode event object")
		}
		ev.Data = b
	}
	st := db.state(tx)
	if st == nil { // every write transaction begins in withTx or the committer
		return errors.New("store: event emitted outside a write transaction")
	}
	st.events = append(st.events, ev)
	return nil
}

// insertEvents inserts events in order and returns those whose merchant
// has an enabled webhook endpoint, in order. Whether anyone listens is read
// by the same statement, inside the transaction, so an endpoint created
// before this commits is seen.
func (db *DB) insertEvents(ctx context.Context, tx *sql.Tx, events []*paybridge.Event) ([]*paybridge.Event, error) {
	var listened []*paybridge.Event
	for chunk := range slices.Chunk(events, maxRows) {
		heard, err := insertEventRows(ctx, tx, chunk)
		if err != nil {
			return nil, wrapf(err, "insert events")
		}
		// RETURNING's order is unspecified on SQLite: keep the events'.
		for _, ev := range chunk {
			if heard[ev.ID] {
				listened = append(listened, ev)
			}
		}
	}
	return listened, nil
}

// insertEventRows is one multi-row INSERT of events, answering for each
// event's ID whether its merchant listens.
func insertEventRows(ctx context.Context, tx *sql.Tx, events []*paybridge.Event) (map[string]bool, error) {
	q := multiInsert(`INSERT INTO events (`+eventCols+`) VALUES `, len(events), 8, 1) +
		` RETURNING id, EXISTS (SELECT 1 FROM webhook_endpoints w
		WHERE w.merchant_id = events.merchant_id AND w.disabled = $1)`
	args := make([]any, 1, 1+8*len(events))
	args[0] = false
	for _, ev := range events {
		args = append(args, ev.ID, ev.MerchantID, ev.Type, ev.ObjectType, ev.ObjectID, ev.ObjectVersion,
			string(ev.Data), micros(ev.CreatedAt))
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	heard := make(map[string]bool, len(events))
	for rows.Next() {
		var id string
		var yes bool
		if err := rows.Scan(&id, &yes); err != nil {
			return nil, err
		}
		heard[id] = yes
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(heard) != len(events) {
		return nil, fmt.Errorf("%d rows returned for %d events", len(heard), len(events))
	}
	return heard, nil
}

// paymentEvents maps a payment status reached to its event type.
var paymentEvents = map[paybridge.PaymentStatus]paybridge.EventType{
	paybridge.PaymentSucceeded:         paybridge.EventPaymentSucceeded,
	paybridge.PaymentAuthorized:        paybridge.EventPaymentAuthorized,
	paybridge.PaymentCaptured:          paybridge.EventPaymentCaptured,
	paybridge.PaymentVoided:            paybridge.EventPaymentVoided,
	paybridge.PaymentFailed:            paybridge.EventPaymentFailed,
	paybridge.PaymentUnknown:           paybridge.EventPaymentUnknown,
	paybridge.PaymentPartiallyRefunded: paybridge.EventPaymentPartiallyRefunded,
	paybridge.PaymentRefunded:          paybridge.EventPaymentRefunded,
}

// emitPayment writes the event of p reaching its status from `from`
// (nothing when the status did not change, except a further partial
// refund, which is news).
func (db *DB) emitPayment(ctx context.Context, tx *sql.Tx, p *paybridge.Payment, from paybridge.PaymentStatus, now time.Time) error {
	t, ok := paymentEvents[p.Status]
	if !ok || (from == p.Status && p.Status != paybridge.PaymentPartiallyRefunded) {
		return nil
	}
	return db.emit(ctx, tx, &paybridge.Event{MerchantID: p.MerchantID, Type: t, ObjectType: "payment",
		ObjectID: p.ID, ObjectVersion: p.Version}, p, now)
}

// invoiceEvents maps an invoice status reached to its event type.
var invoiceEvents = map[paybridge.InvoiceStatus]paybridge.EventType{
	paybridge.InvoicePaid:              paybridge.EventInvoicePaid,
	paybridge.InvoicePartiallyPaid:     paybridge.EventInvoicePartiallyPaid,
	paybridge.InvoicePartiallyRefunded: paybridge.EventInvoicePartiallyRefunded,
	paybridge.InvoiceRefunded:          paybridge.EventInvoiceRefunded,
	paybridge.InvoiceVoid:              paybridge.EventInvoiceVoided,
	paybridge.InvoiceOpen:              paybridge.EventInvoiceReopened,
}

// emitInvoice writes the event of inv moving from status `from` (nothing
// when unchanged, except further partial payments or refunds).
func (db *DB) emitInvoice(ctx context.Context, tx *sql.Tx, inv *paybridge.Invoice, from paybridge.InvoiceStatus, now time.Time) error {
	t, ok := invoiceEvents[inv.Status]
	repeatable := inv.Status == paybridge.InvoicePartiallyPaid || inv.Status == paybridge.InvoicePartiallyRefunded
	if !ok || (from == inv.Status && !repeatable) {
		return nil
	}
	return db.emitInvoiceAs(ctx, tx, inv, t, now)
}

func (db *DB) emitInvoiceAs(ctx context.Context, tx *sql.Tx, inv *paybridge.Invoice, t paybridge.EventType, now time.Time) error {
	return db.emit(ctx, tx, &paybridge.Event{MerchantID: inv.MerchantID, Type: t, ObjectType: "invoice",
		ObjectID: inv.ID, ObjectVersion: inv.Version}, invoiceSnapshot{inv, inv.AmountDue()}, now)
}

// emitRefundLike writes refund.* or return.* for a refund or return that
// reached status s. Refunds and returns carry no version column; their
// updated_at (microseconds) orders their few transitions instead.
func (db *DB) emitRefundLike(ctx context.Context, tx *sql.Tx, kind, merchantID, id string, s paybridge.RefundStatus,
	updated time.Time, obj any, now time.Time) error {
	var t paybridge.EventType
	switch {
	case kind == "refund" && s == paybridge.RefundSucceeded:
		t = paybridge.EventRefundSucceeded
	case kind == "refund" && s == paybridge.RefundFailed:
		t = paybridge.EventRefundFailed
	case kind == "refund" && s == paybridge.RefundUnknown:
		t = paybridge.EventRefundUnknown
	case kind == "return" && s == paybridge.RefundSucceeded:
		t = paybridge.EventReturnSucceeded
	case kind == "return" && s == paybridge.RefundFailed:
		t = paybridge.EventReturnFailed
	default:
		return nil
	}
	return db.emit(ctx, tx, &paybridge.Event{MerchantID: merchantID, Type: t, ObjectType: kind, ObjectID: id,
		ObjectVersion: micros(updated)}, obj, now)
}

// GetEvent returns one of the merchant's events.
func (db *DB) GetEvent(ctx context.Context, merchantID, id string) (*paybridge.Event, error) {
	e, err := scanEvent(db.r.QueryRowContext(ctx, `SELECT `+eventCols+` FROM events WHERE id = $1 AND merchant_id = $2`,
		id, merchantID))
	return e, db.getErr("event", err)
}

// ListEvents returns a page of the merchant's events (oldest first by
// default), optionally of one type.
func (db *DB) ListEvents(ctx context.Context, merchantID string, f paybridge.EventFilter) ([]*paybridge.Event, string, error) {
	q := query{sql: `SELECT seq, ` + eventCols + ` FROM events WHERE merchant_id = $1`, args: []any{merchantID}}
	if f.Type != "" {
		q.where("type = %s", string(f.Type))
	}
	q.created(f.Created)
	return list(ctx, db, db.r, q, f.Cursor, f.Limit, f.Order.Newest(false), scanEvent)
}

// ListEventsAfter is ListEvents that also returns the cursor of the last
// row even on the last page, so a poller (listen) can wait for newer ones.
func (db *DB) ListEventsAfter(ctx context.Context, merchantID, cursor string, limit int) ([]*paybridge.Event, string, error) {
	after, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT seq, `+eventCols+` FROM events WHERE merchant_id = $1 AND seq > $2
		ORDER BY seq LIMIT $3`, merchantID, after, pageLimit(limit))
	if err != nil {
		return nil, "", db.mapErr("list events", err)
	}
	defer rows.Close()
	var out []*paybridge.Event
	last := after
	for rows.Next() {
		e, err := scanEvent(seqScanner{rows, &last})
		if err != nil {
			return nil, "", db.mapErr("scan event", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", db.mapErr("list events", err)
	}
	next := cursor
	if last > 0 {
		next = encodeCursor(last)
	}
	return out, next, nil
}

// RecordEvent writes an event that reports no state change of its own, in
// its own transaction (the commit hook enqueues its deliveries).
func (db *DB) RecordEvent(ctx context.Context, ev *paybridge.Event) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		return db.emit(ctx, tx, ev, nil, db.now())
	})
}
