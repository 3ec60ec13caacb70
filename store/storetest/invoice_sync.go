package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/store"
)

// testOrderSync: an invoice stored with its Clover order pending hands
// itself to the OnOrderSync hook inside its transaction (a failing hook
// stores nothing), is listed as pending, and each recorded attempt counts;
// the first order recorded wins, with its items on the lines, and reaching
// synced or failed is an event and a new version, a transient failure
// neither.
func testOrderSync(t *testing.T, db *store.DB) {
	ctx := context.Background()
	m := newMerchant(t, db)
	c := newCustomer(t, db, m)
	var hooked []string
	db.OnOrderSync = func(_ context.Context, tx store.Tx, merchantID, invoiceID string) error {
		if tx.SQL == nil || merchantID != m.ID {
			t.Errorf("hook: tx %v merchant %s", tx.SQL, merchantID)
		}
		hooked = append(hooked, invoiceID)
		return nil
	}
	pending := func() *paybridge.Invoice {
		inv := &paybridge.Invoice{MerchantID: m.ID, CustomerID: c.ID, Currency: "usd", Status: paybridge.InvoiceOpen,
			CloverSync: paybridge.CloverSync{Status: paybridge.CloverSyncPending},
			LineItems:  []paybridge.LineItem{{Description: "A", Quantity: 1, UnitAmount: 100}, {Description: "B", Quantity: 1, UnitAmount: 200}}}
		inv.ComputeTotals()
		ok(t, db.CreateInvoice(ctx, inv))
		return inv
	}
	a, b := pending(), pending()
	plain := newInvoice(t, db, m, c) // no sync to do: stored synced, not hooked
	if !slices.Equal(hooked, []string{a.ID, b.ID}) || plain.CloverSync.Status != paybridge.CloverSyncSynced {
		t.Fatalf("hooked %v (want %s, %s); plain invoice's sync %v", hooked, a.ID, b.ID, plain.CloverSync)
	}
	db.OnOrderSync = func(context.Context, store.Tx, string, string) error { return errors.New("queue down") }
	lost := &paybridge.Invoice{MerchantID: m.ID, CustomerID: c.ID, Currency: "usd",
		CloverSync: paybridge.CloverSync{Status: paybridge.CloverSyncPending}}
	if err := db.CreateInvoice(ctx, lost); err == nil {
		t.Fatal("a failing hook did not fail the invoice")
	}
	if _, err := db.GetInvoice(ctx, m.ID, lost.ID); paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
		t.Fatalf("the invoice of a failed hook was stored: %v", err)
	}
	db.OnOrderSync = nil
	list, err := db.PendingOrderSyncs(ctx, 10)
	ok(t, err)
	if !slices.Equal(list, [][2]string{{m.ID, a.ID}, {m.ID, b.ID}}) {
		t.Fatalf("pending %v", list)
	}

	down := &paybridge.SyncError{Code: "clover_unavailable", Message: "down"}
	got, err := db.RecordOrderSync(ctx, m.ID, a.ID, paybridge.OrderSync{Status: paybridge.CloverSyncPending, Error: down, At: t0})
	ok(t, err)
	if got.CloverSync.Attempts != 1 || got.CloverSync.Status != paybridge.CloverSyncPending || *got.CloverSync.Error != *down || got.Version != 1 {
		t.Fatalf("after a transient failure: %+v version %d", got.CloverSync, got.Version)
	}
	got, err = db.RecordOrderSync(ctx, m.ID, a.ID, paybridge.OrderSync{Status: paybridge.CloverSyncSynced,
		OrderID: "ORDER1", ItemIDs: []string{"I1", "I2"}, At: t0})
	ok(t, err)
	again, err := db.RecordOrderSync(ctx, m.ID, a.ID, paybridge.OrderSync{Status: paybridge.CloverSyncFailed, Error: down, At: t0})
	ok(t, err)
	stored, err := db.GetInvoice(ctx, m.ID, a.ID)
	ok(t, err)
	for _, inv := range []*paybridge.Invoice{got, stored} {
		cs := inv.CloverSync
		if inv.CloverOrderID != "ORDER1" || cs.Status != paybridge.CloverSyncSynced || cs.Error != nil || cs.SyncedAt == nil ||
			inv.Version != 2 || inv.LineItems[0].CloverItemID != "I1" || inv.LineItems[1].CloverItemID != "I2" {
			t.Fatalf("synced: order %q sync %+v version %d lines %+v", inv.CloverOrderID, cs, inv.Version, inv.LineItems)
		}
	}
	if again.CloverSync.Status != paybridge.CloverSyncSynced || again.CloverSync.Attempts != 3 || stored.CloverSync.Attempts != 3 {
		t.Fatalf("a late failure after synced: %+v, stored %+v", again.CloverSync, stored.CloverSync)
	}

	refused := &paybridge.SyncError{Code: "tax_rate_not_found", Message: "no such rate"}
	for range 2 {
		_, err = db.RecordOrderSync(ctx, m.ID, b.ID, paybridge.OrderSync{Status: paybridge.CloverSyncFailed, Error: refused, NextKey: "k2", At: t0})
		ok(t, err)
	}
	fb, err := db.GetInvoice(ctx, m.ID, b.ID)
	ok(t, err)
	if fb.CloverSync.Status != paybridge.CloverSyncFailed || fb.CloverSync.Key != "k2" || *fb.CloverSync.Error != *refused || fb.CloverOrderID != "" {
		t.Fatalf("failed: %+v order %q", fb.CloverSync, fb.CloverOrderID)
	}
	if list, err = db.PendingOrderSyncs(ctx, 10); err != nil || len(list) != 0 {
		t.Fatalf("pending after sync: %v %v", list, err)
	}
	var types []paybridge.EventType
	for _, ev := range eventsOf(t, db, m, "") {
		if ev.ObjectID == a.ID || ev.ObjectID == b.ID {
			types = append(types, ev.Type)
		}
	}
	want := []paybridge.EventType{paybridge.EventInvoiceCreated, paybridge.EventInvoiceCreated,
		paybridge.EventInvoiceCloverSynced, paybridge.EventInvoiceCloverSyncFailed}
	if !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	if _, err := db.RecordOrderSync(ctx, m.ID, "inv_missing", paybridge.OrderSync{Status: paybridge.CloverSyncSynced, At: t0}); paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
		t.Fatalf("missing invoice: %v", err)
	}
}
