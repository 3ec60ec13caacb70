package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/store"
)

// RunEvents runs the events conformance suite on *store.DB (SQLite or
// PostgreSQL): events written in the transaction of every state change,
// the commit hook, endpoints, and Clover notice deduplication. open
// returns a fresh, migrated store per subtest.
func RunEvents(t *testing.T, open func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"EventsOfTransitions", testEventsOfTransitions},
		{"EventsRollBackWithTheChange", testEventsRollBack},
		{"HookSeesTheTransaction", testHookSeesTheTransaction},
		{"HookOnlyForListeners", testHookOnlyForListeners},
		{"CreatedEventIsTheStoredInvoice", testCreatedEventIsTheStoredInvoice},
		{"EventListing", testEventListing},
		{"WebhookEndpoints", testWebhookEndpoints},
		{"CloverNoticesDedupe", testCloverNotices},
		{"UninstallRace", testUninstallRace},
		{"PendingFanoutsTakenOnce", testPendingFanoutsTakenOnce},
		{"OrderSync", testOrderSync},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// eventsOf lists every event of merchant m about objectID ("" = all).
func eventsOf(t *testing.T, db *store.DB, m *paybridge.Merchant, objectID string) []*paybridge.Event {
	t.Helper()
	var out []*paybridge.Event
	cursor := ""
	for {
		evs, next, err := db.ListEvents(context.Background(), m.ID, paybridge.EventFilter{Cursor: cursor, Limit: 100})
		ok(t, err)
		for _, e := range evs {
			if objectID == "" || e.ObjectID == objectID {
				out = append(out, e)
			}
		}
		if next == "" {
			return out
		}
		cursor = next
	}
}

func types(evs []*paybridge.Event) []paybridge.EventType {
	out := make([]paybridge.EventType, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func testEventsOfTransitions(t *testing.T, db *store.DB) {
	ctx := context.Background()
	m := newMerchant(t, db)
	inv := newInvoice(t, db, m, newCustomer(t, db, m)) // 2550
	p1 := paidPayment(t, db, m, inv, 1000)
	p2 := newPayment(t, db, m, inv, 1550)
	p2.Status, p2.FailureCode = paybridge.PaymentFailed, "card_declined"
	_, err := db.ApplyPayment(ctx, p2, paybridge.PaymentPending, t0)
	ok(t, err)
	p3 := newPayment(t, db, m, inv, 1550)
	p3.Status = paybridge.PaymentUnknown
	_, err = db.ApplyPayment(ctx, p3, paybridge.PaymentPending, t0)
	ok(t, err)
	p3.Attempts++ // another unknown attempt: no news
	_, err = db.ApplyPayment(ctx, p3, paybridge.PaymentUnknown, t0)
	ok(t, err)
	succeedFrom(t, db, p3, paybridge.PaymentUnknown)
	r := newRefund(t, db, p1, 400)
	r.Status, r.CloverRefundID = paybridge.RefundSucceeded, "RF1"
	_, err = db.ApplyRefund(ctx, r, paybridge.RefundPending, t0)
	ok(t, err)

	want := map[string][]paybridge.EventType{
		inv.ID: {paybridge.EventInvoiceCreated, paybridge.EventInvoicePartiallyPaid, paybridge.EventInvoicePaid,
			paybridge.EventInvoicePartiallyRefunded},
		p1.ID: {paybridge.EventPaymentSucceeded, paybridge.EventPaymentPartiallyRefunded},
		p2.ID: {paybridge.EventPaymentFailed},
		p3.ID: {paybridge.EventPaymentUnknown, paybridge.EventPaymentSucceeded},
		r.ID:  {paybridge.EventRefundSucceeded},
	}
	for id, w := range want {
		if got := types(eventsOf(t, db, m, id)); !slices.Equal(got, w) {
			t.Errorf("events of %s = %v, want %v", id, got, w)
		}
	}
	// The snapshot is the object after the change, with its version.
	evs := eventsOf(t, db, m, inv.ID)
	paid := evs[2]
	var snap struct {
		Status    paybridge.InvoiceStatus `json:"status"`
		AmountDue int64                   `json:"amount_due"`
		Version   int64                   `json:"version"`
	}
	ok(t, json.Unmarshal(paid.Data, &snap))
	if snap.Status != paybridge.InvoicePaid || snap.AmountDue != 0 || snap.Version != paid.ObjectVersion || paid.ObjectType != "invoice" {
		t.Errorf("invoice.paid snapshot %s, version %d", paid.Data, paid.ObjectVersion)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].ObjectVersion <= evs[i-1].ObjectVersion {
			t.Errorf("invoice versions do not grow: %d then %d", evs[i-1].ObjectVersion, evs[i].ObjectVersion)
		}
	}

	// Merchant status: an event per change, none for no change.
	ok(t, db.SetMerchantStatus(ctx, m.ID, paybridge.MerchantReauthorizationRequired))
	ok(t, db.SetMerchantStatus(ctx, m.ID, paybridge.MerchantReauthorizationRequired))
	ok(t, db.SetMerchantStatus(ctx, m.ID, paybridge.MerchantActive))
	if got := types(eventsOf(t, db, m, m.ID)); !slices.Equal(got, []paybridge.EventType{
		paybridge.EventMerchantReauthRequired, paybridge.EventMerchantReactivated}) {
		t.Errorf("merchant events = %v", got)
	}
	wantErr(t, db.SetMerchantStatus(ctx, "mer_nope", paybridge.MerchantActive), paybridge.ENOTFOUND, "")

	// Voiding writes invoice.voided.
	inv2 := newInvoice(t, db, m, newCustomer(t, db, m))
	inv2.Status = paybridge.InvoiceVoid
	ok(t, db.UpdateInvoice(ctx, inv2))
	if got := types(eventsOf(t, db, m, inv2.ID)); !slices.Equal(got, []paybridge.EventType{
		paybridge.EventInvoiceCreated, paybridge.EventInvoiceVoided}) {
		t.Errorf("void events = %v", got)
	}
	// Another merchant sees none of them.
	other := newMerchant(t, db)
	if evs := eventsOf(t, db, other, ""); len(evs) != 0 {
		t.Errorf("other merchant sees %d events", len(evs))
	}
	_, err = db.GetEvent(ctx, other.ID, paid.ID)
	wantErr(t, err, paybridge.ENOTFOUND, "")
}

func succeedFrom(t *testing.T, db *store.DB, p *paybridge.Payment, from paybridge.PaymentStatus) {
	t.Helper()
	p.Status, p.CloverChargeID = paybridge.PaymentSucceeded, "CH"+p.ID[4:12]
	_, err := db.ApplyPayment(context.Background(), p, from, t0)
	ok(t, err)
}

// Listen gives m an enabled webhook endpoint (disabled when off), so the
// commit hook runs for its events.
func Listen(t *testing.T, db *store.DB, m *paybridge.Merchant, on bool) *paybridge.WebhookEndpoint {
	t.Helper()
	e := &paybridge.WebhookEndpoint{MerchantID: m.ID, URL: "https://crm.example.com/h",
		Events: []paybridge.EventType{"*"}, SealedSecret: []byte{1}, Disabled: !on}
	ok(t, db.CreateWebhookEndpoint(context.Background(), e))
	return e
}

// A hook that fails rolls the change back with its events: they are one
// transaction.
func testEventsRollBack(t *testing.T, db *store.DB) {
	ctx := context.Background()
	m := newMerchant(t, db)
	Listen(t, db, m, true)
	inv := newInvoice(t, db, m, newCustomer(t, db, m))
	p := newPayment(t, db, m, inv, 2550)
	boom := errors.New("queue down")
	db.OnEvents = func(context.Context, store.Tx, []*paybridge.Event) error { return boom }
	p.Status = paybridge.PaymentSucceeded
	if _, err := db.ApplyPayment(ctx, p, paybridge.PaymentPending, t0); err == nil {
		t.Fatal("ApplyPayment succeeded though its events could not be queued")
	}
	db.OnEvents = nil
	got, err := db.GetPayment(ctx, m.ID, p.ID)
	ok(t, err)
	inv2, err := db.GetInvoice(ctx, m.ID, inv.ID)
	ok(t, err)
	if got.Status != paybridge.PaymentPending || inv2.AmountPaid != 0 {
		t.Fatalf("after a failed hook: payment %s, invoice paid %d", got.Status, inv2.AmountPaid)
	}
	if evs := eventsOf(t, db, m, p.ID); len(evs) != 0 {
		t.Fatalf("events survived the rollback: %v", types(evs))
	}
}

// The hook runs inside the transaction: on PostgreSQL its pgx view sees
// the uncommitted event row; on SQLite the *sql.Tx does.
func testHookSeesTheTransaction(t *testing.T, db *store.DB) {
	m := newMerchant(t, db)
	Listen(t, db, m, true)
	inv := newInvoice(t, db, m, newCustomer(t, db, m))
	p := newPayment(t, db, m, inv, 2550)
	var seen, calls int
	var hookErr error
	db.OnEvents = func(ctx context.Context, tx store.Tx, evs []*paybridge.Event) error {
		calls++
		for _, ev := range evs {
			var n int
			if tx.PGX != nil {
				hookErr = tx.PGX.QueryRow(ctx, `SELECT count(*) FROM events WHERE id = $1`, ev.ID).Scan(&n)
			} else {
				hookErr = tx.SQL.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE id = $1`, ev.ID).Scan(&n)
			}
			seen += n
		}
		return hookErr
	}
	defer func() { db.OnEvents = nil }()
	succeed(t, db, p)
	ok(t, hookErr)
	if calls != 1 || seen != 2 { // payment.succeeded and invoice.paid, one call
		t.Fatalf("hook calls %d, events seen in the transaction %d; want 1 and 2", calls, seen)
	}
	if (db.Dialect() == store.EnginePostgres) != (db.Pool() != nil) {
		t.Fatal("dialect and pool disagree")
	}
}

// The hook gets only the events of merchants with an enabled endpoint
// (what it enqueues is for them), and is not called at all without any;
// every event is stored either way.
func testHookOnlyForListeners(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var got []string
	db.OnEvents = func(_ context.Context, _ store.Tx, evs []*paybridge.Event) error {
		if len(evs) == 0 {
			t.Error("hook called with no events")
		}
		for _, ev := range evs {
			got = append(got, ev.MerchantID+" "+string(ev.Type))
		}
		return nil
	}
	defer func() { db.OnEvents = nil }()
	pay := func(m *paybridge.Merchant) {
		inv := newInvoice(t, db, m, newCustomer(t, db, m))
		succeed(t, db, newPayment(t, db, m, inv, 2550))
	}

	quiet := newMerchant(t, db)
	pay(quiet)
	off := Listen(t, db, quiet, false)
	pay(quiet)
	if len(got) != 0 {
		t.Fatalf("hook got %v for a merchant without an enabled endpoint", got)
	}
	if n := len(eventsOf(t, db, quiet, "")); n != 6 { // 2 × (created, succeeded, paid)
		t.Fatalf("merchant without listeners has %d events stored, want 6", n)
	}

	off.Disabled = false
	ok(t, db.UpdateWebhookEndpoint(ctx, off))
	pay(quiet)
	want := []string{quiet.ID + " invoice.created", quiet.ID + " payment.succeeded", quiet.ID + " invoice.paid"}
	if !slices.Equal(got, want) {
		t.Fatalf("hook got %v, want %v", got, want)
	}
}

// invoice.created carries the invoice exactly as a read returns it (the
// store builds it from what it wrote rather than reading it back).
func testCreatedEventIsTheStoredInvoice(t *testing.T, db *store.DB) {
	ctx := context.Background()
	m := newMerchant(t, db)
	c := newCustomer(t, db, m)
	paid := time.Date(2026, 11, 1, 9, 30, 0, 123456789, time.UTC)
	for _, inv := range []*paybridge.Invoice{
		newInvoice(t, db, m, c),
		{MerchantID: m.ID, CustomerID: c.ID, Currency: "cad", Metadata: map[string]string{}, PaidAt: &paid,
			CreatedAt: paid, LineItems: []paybridge.LineItem{{Description: "Visit", Quantity: 1, UnitAmount: 7500,
				QuantityReturned: 0, CloverItemID: "ITEM1"}}},
	} {
		if inv.ID == "" {
			inv.ComputeTotals()
			ok(t, db.CreateInvoice(ctx, inv))
		}
		evs := eventsOf(t, db, m, inv.ID)
		if len(evs) != 1 || evs[0].Type != paybridge.EventInvoiceCreated {
			t.Fatalf("events of a new invoice: %v", types(evs))
		}
		stored, err := db.GetInvoice(ctx, m.ID, inv.ID)
		ok(t, err)
		want, err := json.Marshal(stored)
		ok(t, err)
		var wantMap, gotMap map[string]any
		ok(t, json.Unmarshal(want, &wantMap))
		ok(t, json.Unmarshal(evs[0].Data, &gotMap))
		wantMap["amount_due"] = float64(stored.AmountDue())
		if diff := cmp.Diff(wantMap, gotMap); diff != "" {
			t.Errorf("invoice.created data (-read +event):\n%s", diff)
		}
	}
}

func testEventListing(t *testing.T, db *store.DB) {
	ctx := context.Background()
	m := newMerchant(t, db)
	for range 3 {
		inv := newInvoice(t, db, m, newCustomer(t, db, m))
		paidPayment(t, db, m, inv, 2550)
	}
	paidEvs, next, err := db.ListEvents(ctx, m.ID, paybridge.EventFilter{Type: paybridge.EventInvoicePaid, Limit: 2})
	ok(t, err)
	if len(paidEvs) != 2 || next == "" {
		t.Fatalf("first page: %d, next %q", len(paidEvs), next)
	}
	more, next2, err := db.ListEvents(ctx, m.ID, paybridge.EventFilter{Type: paybridge.EventInvoicePaid, Cursor: next, Limit: 2})
	ok(t, err)
	if len(more) != 1 || next2 != "" || more[0].ID == paidEvs[1].ID {
		t.Fatalf("second page: %d, next %q", len(more), next2)
	}
	// ListEventsAfter keeps a cursor at the end for polling.
	all, cur, err := db.ListEventsAfter(ctx, m.ID, "", 100)
	ok(t, err)
	if len(all) != 9 || cur == "" {
		t.Fatalf("after: %d events, cursor %q", len(all), cur)
	}
	none, cur2, err := db.ListEventsAfter(ctx, m.ID, cur, 100)
	ok(t, err)
	if len(none) != 0 || cur2 != cur {
		t.Fatalf("poll at the end: %d events, cursor %q→%q", len(none), cur, cur2)
	}
	ok(t, db.RecordEvent(ctx, &paybridge.Event{MerchantID: m.ID, Type: paybridge.EventReconciliationDrift,
		ObjectType: "charge", ObjectID: "CH1", ObjectVersion: 1, Data: json.RawMessage(`{"kind":"charge_unknown"}`)}))
	newer, _, err := db.ListEventsAfter(ctx, m.ID, cur, 100)
	ok(t, err)
	if len(newer) != 1 || newer[0].Type != paybridge.EventReconciliationDrift || string(newer[0].Data) != `{"kind":"charge_unknown"}` {
		t.Fatalf("recorded event: %+v", newer)
	}
}

func testWebhookEndpoints(t *testing.T, db *store.DB) {
	ctx := context.Background()
	m := newMerchant(t, db)
	e := &paybridge.WebhookEndpoint{MerchantID: m.ID, URL: "https://crm.example.com/h",
		Events: []paybridge.EventType{"invoice.paid"}, SealedSecret: []byte{1, 2, 0}}
	ok(t, db.CreateWebhookEndpoint(ctx, e))
	got, err := db.GetWebhookEndpoint(ctx, m.ID, e.ID)
	ok(t, err)
	if got.URL != e.URL || !got.Wants("invoice.paid") || got.Wants("payment.succeeded") || string(got.SealedSecret) != "\x01\x02\x00" {
		t.Fatalf("endpoint = %+v", got)
	}
	_, err = db.GetWebhookEndpoint(ctx, newMerchant(t, db).ID, e.ID)
	wantErr(t, err, paybridge.ENOTFOUND, "")

	// Failing since t0; disabled once older than disableAfter, once.
	disabled, err := db.EndpointDelivered(ctx, m.ID, e.ID, false, t0, time.Hour)
	ok(t, err)
	if disabled {
		t.Fatal("disabled at the first failure")
	}
	ok2, err := db.EndpointDelivered(ctx, m.ID, e.ID, true, t0.Add(time.Minute), time.Hour)
	ok(t, err)
	if ok2 {
		t.Fatal("a success disabled it")
	}
	got, _ = db.GetWebhookEndpoint(ctx, m.ID, e.ID)
	if got.FailingSince != nil {
		t.Fatal("a success did not clear failing_since")
	}
	_, err = db.EndpointDelivered(ctx, m.ID, e.ID, false, t0.Add(2*time.Minute), time.Hour)
	ok(t, err)
	disabled, err = db.EndpointDelivered(ctx, m.ID, e.ID, false, t0.Add(2*time.Hour), time.Hour)
	ok(t, err)
	again, err := db.EndpointDelivered(ctx, m.ID, e.ID, false, t0.Add(3*time.Hour), time.Hour)
	ok(t, err)
	if !disabled || again {
		t.Fatalf("disabled %v, again %v; want true then false", disabled, again)
	}
	if got := types(eventsOf(t, db, m, e.ID)); !slices.Equal(got, []paybridge.EventType{paybridge.EventWebhookEndpointDisabled}) {
		t.Fatalf("endpoint events = %v", got)
	}
	got, _ = db.GetWebhookEndpoint(ctx, m.ID, e.ID)
	if !got.Disabled {
		t.Fatal("not disabled")
	}
	got.Disabled, got.Events = false, []paybridge.EventType{"*"}
	exp := t0.Add(time.Hour)
	got.SealedOldSecret, got.OldSecretExpiresAt = []byte{9}, &exp
	ok(t, db.UpdateWebhookEndpoint(ctx, got))
	re, _ := db.GetWebhookEndpoint(ctx, m.ID, e.ID)
	if re.Disabled || !re.Wants("anything") || re.OldSecretExpiresAt == nil || !re.OldSecretExpiresAt.Equal(exp) {
		t.Fatalf("after update %+v", re)
	}
	list, err := db.ListWebhookEndpoints(ctx, m.ID)
	ok(t, err)
	if len(list) != 1 {
		t.Fatalf("list = %d", len(list))
	}
	ok(t, db.DeleteWebhookEndpoint(ctx, m.ID, e.ID))
	wantErr(t, db.DeleteWebhookEndpoint(ctx, m.ID, e.ID), paybridge.ENOTFOUND, "")
}

func testCloverNotices(t *testing.T, db *store.DB) {
	ctx := context.Background()
	ns := []paybridge.CloverNotice{{CloverMerchantID: "M1", ObjectID: "P:1", Type: "UPDATE", TS: 1},
		{CloverMerchantID: "M1", ObjectID: "P:2", Type: "UPDATE", TS: 1}}
	var got [][]paybridge.CloverNotice
	enqueue := func(_ context.Context, _ store.Tx, fresh []paybridge.CloverNotice) error {
		got = append(got, fresh)
		return nil
	}
	n, err := db.AcceptCloverNotices(ctx, ns, enqueue)
	ok(t, err)
	if n != 2 || len(got) != 1 {
		t.Fatalf("first: %d new, %d enqueues", n, len(got))
	}
	ns = append(ns, paybridge.CloverNotice{CloverMerchantID: "M1", ObjectID: "P:1", Type: "UPDATE", TS: 2})
	n, err = db.AcceptCloverNotices(ctx, ns, enqueue)
	ok(t, err)
	if n != 1 || len(got) != 2 || got[1][0].TS != 2 {
		t.Fatalf("replay + one new: %d new, %v", n, got)
	}
	// An enqueue failure forgets the notices, so Clover's retry is new.
	fresh := []paybridge.CloverNotice{{CloverMerchantID: "M1", ObjectID: "P:3", Type: "UPDATE", TS: 3}}
	_, err = db.AcceptCloverNotices(ctx, fresh, func(context.Context, store.Tx, []paybridge.CloverNotice) error {
		return errors.New("queue down")
	})
	if err == nil {
		t.Fatal("enqueue failure not reported")
	}
	n, err = db.AcceptCloverNotices(ctx, fresh, enqueue)
	ok(t, err)
	if n != 1 {
		t.Fatalf("after a failed accept: %d new, want 1", n)
	}
	ok(t, db.SetSetting(ctx, "k", "v1"))
	ok(t, db.SetSetting(ctx, "k", "v2"))
	if v, err := db.Setting(ctx, "k"); err != nil || v != "v2" {
		t.Fatalf("setting = %q %v", v, err)
	}
}
