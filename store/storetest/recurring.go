package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
)

// RunRecurring runs the RecurringStore conformance suite (plans,
// subscriptions, recurring charges, collections, autopay due, reminders,
// billing settings) and CardUpdateStore's OpenCollections; open is as for
// Run.
func RunRecurring(t *testing.T, open func(t *testing.T) CardsStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s CardsStore)
	}{
		{"Plans", testPlans},
		{"Subscriptions", testSubscriptions},
		{"SubscriptionCharges", testSubscriptionCharges},
		{"SubscriptionChargesConcurrent", testSubscriptionChargesConcurrent},
		{"Collections", testCollections},
		{"AutopayDue", testAutopayDue},
		{"Reminders", testReminders},
		{"BillingSettings", testBillingSettings},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

func newPlan(t *testing.T, s CardsStore, m *paybridge.Merchant) *paybridge.Plan {
	t.Helper()
	p := &paybridge.Plan{MerchantID: m.ID, Name: "Monthly", Amount: 4900, Currency: "usd", Interval: "month", IntervalCount: 1,
		Active: true, CloverPlanID: "CP" + m.ID[4:10], CreatedAt: t0}
	ok(t, s.CreatePlan(context.Background(), p))
	return p
}

func newSub(t *testing.T, s CardsStore, c *paybridge.Customer, p *paybridge.Plan, status paybridge.SubscriptionStatus) *paybridge.Subscription {
	t.Helper()
	sub := &paybridge.Subscription{MerchantID: c.MerchantID, CustomerID: c.ID, PlanID: p.ID, Status: status, Amount: p.Amount,
		Currency: "usd", StartDate: "2026-11-01", CloverSubscriptionID: paybridge.NewID("CS"), CreatedAt: t0}
	ok(t, s.CreateSubscription(context.Background(), sub))
	return sub
}

func testPlans(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	p := newPlan(t, s, m)
	got, err := s.GetPlan(ctx, m.ID, p.ID)
	ok(t, err)
	if got.Name != "Monthly" || got.Amount != 4900 || got.Interval != "month" || got.IntervalCount != 1 || !got.Active || got.CloverPlanID != p.CloverPlanID {
		t.Fatalf("plan %+v", got)
	}
	newPlan(t, s, m)
	list, err := s.ListPlans(ctx, m.ID)
	ok(t, err)
	if len(list) != 2 || list[0].ID != p.ID {
		t.Fatalf("plans %+v", list)
	}
	other := newMerchant(t, s)
	wantErr(t, firstErr(s.GetPlan(ctx, other.ID, p.ID)), paybridge.ENOTFOUND, "")
	if l, err := s.ListPlans(ctx, other.ID); err != nil || len(l) != 0 {
		t.Fatalf("another merchant's plans %v, %v", l, err)
	}
}

// testSubscriptions: version 1 on create; compare-and-set updates; live
// means active or past due; listing by customer.
func testSubscriptions(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	c, c2 := newCustomer(t, s, m), newCustomer(t, s, m)
	p := newPlan(t, s, m)
	sub := newSub(t, s, c, p, paybridge.SubscriptionActive)
	if sub.Version != 1 {
		t.Fatalf("version %d", sub.Version)
	}
	got, err := s.GetSubscription(ctx, m.ID, sub.ID)
	ok(t, err)
	if got.Status != paybridge.SubscriptionActive || got.PlanID != p.ID || got.CloverSubscriptionID != sub.CloverSubscriptionID {
		t.Fatalf("subscription %+v", got)
	}
	stale := *got
	got.Status, got.FailureCount, got.SyncedThrough, got.LastRunDate = paybridge.SubscriptionPastDue, 1, 12345, "2026-12-01"
	ok(t, s.UpdateSubscription(ctx, got, paybridge.EventSubscriptionPaymentFailed))
	if got.Version != 2 {
		t.Fatalf("version after update %d", got.Version)
	}
	wantErr(t, s.UpdateSubscription(ctx, &stale, ""), paybridge.ECONFLICT, "stale_state")
	back, _ := s.GetSubscription(ctx, m.ID, sub.ID)
	if back.Status != paybridge.SubscriptionPastDue || back.FailureCount != 1 || back.SyncedThrough != 12345 || back.LastRunDate != "2026-12-01" {
		t.Fatalf("after update %+v", back)
	}
	dead := newSub(t, s, c2, p, paybridge.SubscriptionDeactivated)
	newSub(t, s, c2, p, paybridge.SubscriptionCanceled)
	live, err := s.LiveSubscriptions(ctx, 10)
	ok(t, err)
	if len(live) != 1 || live[0].ID != sub.ID {
		t.Fatalf("live %+v: want only the past-due one", live)
	}
	of2, err := s.ListSubscriptions(ctx, m.ID, c2.ID)
	ok(t, err)
	all, err := s.ListSubscriptions(ctx, m.ID, "")
	ok(t, err)
	if len(of2) != 2 || of2[0].ID != dead.ID || len(all) != 3 {
		t.Fatalf("by customer %d, all %d", len(of2), len(all))
	}
	wantErr(t, firstErr(s.GetSubscription(ctx, newMerchant(t, s).ID, sub.ID)), paybridge.ENOTFOUND, "")
	bad := &paybridge.Subscription{MerchantID: m.ID, CustomerID: c.ID, PlanID: "plan_missing", Status: paybridge.SubscriptionActive}
	wantErr(t, s.CreateSubscription(ctx, bad), paybridge.ENOTFOUND, "")
}

// testSubscriptionCharges: a Clover charge is claimed for one invoice.
func testSubscriptionCharges(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	sub := newSub(t, s, newCustomer(t, s, m), newPlan(t, s, m), paybridge.SubscriptionActive)
	first := &paybridge.SubscriptionCharge{MerchantID: m.ID, CloverChargeID: "CH1", SubscriptionID: sub.ID, InvoiceID: "inv_a", Paid: true, CreatedAt: t0}
	got, err := s.RecordSubscriptionCharge(ctx, first)
	ok(t, err)
	if got.InvoiceID != "inv_a" {
		t.Fatalf("claim %+v", got)
	}
	got, err = s.RecordSubscriptionCharge(ctx, &paybridge.SubscriptionCharge{MerchantID: m.ID, CloverChargeID: "CH1",
		SubscriptionID: sub.ID, InvoiceID: "inv_b", CreatedAt: t0})
	wantErr(t, err, paybridge.ECONFLICT, "charge_recorded")
	if got == nil || got.InvoiceID != "inv_a" || !got.Paid {
		t.Fatalf("second claim returned %+v, want the first", got)
	}
}

// testSubscriptionChargesConcurrent: of many claims of one charge at
// once, one invoice wins and every loser is told which.
func testSubscriptionChargesConcurrent(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	sub := newSub(t, s, newCustomer(t, s, m), newPlan(t, s, m), paybridge.SubscriptionActive)
	const n = 12
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := s.RecordSubscriptionCharge(ctx, &paybridge.SubscriptionCharge{MerchantID: m.ID, CloverChargeID: "CHX",
				SubscriptionID: sub.ID, InvoiceID: paybridge.NewID(paybridge.PrefixInvoice), CreatedAt: t0})
			if err != nil && paybridge.ErrorCode(err) != "charge_recorded" {
				t.Errorf("claim: %v", err)
				return
			}
			got[i] = c.InvoiceID
		})
	}
	wg.Wait()
	for _, id := range got {
		if id != got[0] {
			t.Fatalf("claims disagree: %v", got)
		}
	}
}

// testCollections: one per invoice; compare-and-set; due ones by time;
// open ones of a customer whatever their plan (OpenCollections).
func testCollections(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	c := newCustomer(t, s, m)
	mk := func(next time.Time) *paybridge.Collection {
		inv := newInvoice(t, s, m, c)
		col := &paybridge.Collection{InvoiceID: inv.ID, MerchantID: m.ID, CustomerID: c.ID, Kind: paybridge.CollectAutopay,
			NextAttemptAt: next, CreatedAt: t0}
		ok(t, s.CreateCollection(ctx, col))
		return col
	}
	due, later, exhausted, done := mk(t0), mk(t0.Add(48*time.Hour)), mk(time.Time{}), mk(t0)
	wantErr(t, s.CreateCollection(ctx, &paybridge.Collection{InvoiceID: due.InvoiceID, MerchantID: m.ID, CustomerID: c.ID,
		Kind: paybridge.CollectAutopay}), paybridge.ECONFLICT, "collection_exists")
	stale := *done
	done.Done, done.NextAttemptAt = true, time.Time{}
	ok(t, s.UpdateCollection(ctx, done))
	wantErr(t, s.UpdateCollection(ctx, &stale), paybridge.ECONFLICT, "stale_state")

	list, err := s.DueCollections(ctx, t0.Add(time.Hour), 10)
	ok(t, err)
	if len(list) != 1 || list[0].InvoiceID != due.InvoiceID {
		t.Fatalf("due %+v: want only the due one", list)
	}
	open, err := s.OpenCollections(ctx, m.ID, c.ID)
	ok(t, err)
	ids := map[string]bool{}
	for _, col := range open {
		ids[col.InvoiceID] = true
	}
	if len(open) != 3 || !ids[due.InvoiceID] || !ids[later.InvoiceID] || !ids[exhausted.InvoiceID] {
		t.Fatalf("open %+v: want due, later and exhausted", open)
	}
	if other, err := s.OpenCollections(ctx, m.ID, newCustomer(t, s, m).ID); err != nil || len(other) != 0 {
		t.Fatalf("another customer's open collections %v, %v", other, err)
	}
	got, err := s.GetCollection(ctx, m.ID, exhausted.InvoiceID)
	ok(t, err)
	if !got.NextAttemptAt.IsZero() || got.Done || got.Version != 1 {
		t.Fatalf("exhausted %+v", got)
	}
	got.Failures, got.LastError, got.NextAttemptAt = 4, "card_declined", t0
	ok(t, s.UpdateCollection(ctx, got))
	back, _ := s.GetCollection(ctx, m.ID, exhausted.InvoiceID)
	if back.Failures != 4 || back.LastError != "card_declined" || !back.NextAttemptAt.Equal(t0) || back.Version != 2 {
		t.Fatalf("after update %+v", back)
	}
	wantErr(t, firstErr(s.GetCollection(ctx, newMerchant(t, s).ID, due.InvoiceID)), paybridge.ENOTFOUND, "")
}

// testAutopayDue: open invoices due by today of customers with autopay on
// and no collection yet.
func testAutopayDue(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	on, off := newCustomer(t, s, m), newCustomer(t, s, m)
	ok(t, s.SetAutopay(ctx, m.ID, &paybridge.Autopay{CustomerID: on.ID, Enabled: true, CardID: newCard(t, s, on, "CARD_DUE").ID}))
	due := newInvoice(t, s, m, on) // due 2026-12-01
	newInvoice(t, s, m, off)
	list, err := s.AutopayDue(ctx, "2026-11-30", 10)
	ok(t, err)
	if len(list) != 0 {
		t.Fatalf("before the due date: %v", list)
	}
	list, err = s.AutopayDue(ctx, "2026-12-01", 10)
	ok(t, err)
	if len(list) != 1 || list[0] != [2]string{m.ID, due.ID} {
		t.Fatalf("on the due date: %v", list)
	}
	ok(t, s.CreateCollection(ctx, &paybridge.Collection{InvoiceID: due.ID, MerchantID: m.ID, CustomerID: on.ID,
		Kind: paybridge.CollectAutopay, NextAttemptAt: t0}))
	if list, _ = s.AutopayDue(ctx, "2026-12-05", 10); len(list) != 0 {
		t.Fatalf("collected invoice listed again: %v", list)
	}
}

// testReminders: unpaid, non-void invoices in the window; a reminder is
// marked once.
func testReminders(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	c := newCustomer(t, s, m)
	open := newInvoice(t, s, m, c)
	paid := newInvoice(t, s, m, c)
	succeed(t, s, newPayment(t, s, m, paid, paid.Total))
	void := newInvoice(t, s, m, c)
	void.Status = paybridge.InvoiceVoid
	ok(t, s.UpdateInvoice(ctx, void))
	list, err := s.ReminderCandidates(ctx, "2026-11-20", "2026-12-10", 10)
	ok(t, err)
	if len(list) != 1 || list[0].InvoiceID != open.ID || list[0].DueDate != "2026-12-01" || list[0].MerchantID != m.ID {
		t.Fatalf("candidates %+v: want only the open invoice", list)
	}
	if list, _ = s.ReminderCandidates(ctx, "2026-12-02", "2026-12-10", 10); len(list) != 0 {
		t.Fatalf("outside the window: %+v", list)
	}
	first, err := s.MarkReminder(ctx, m.ID, open.ID, -3, t0)
	ok(t, err)
	again, err := s.MarkReminder(ctx, m.ID, open.ID, -3, t0)
	ok(t, err)
	other, err := s.MarkReminder(ctx, m.ID, open.ID, 0, t0)
	ok(t, err)
	if !first || again || !other {
		t.Fatalf("mark = %v, %v, %v: want true, false, true", first, again, other)
	}
}

func testBillingSettings(t *testing.T, s CardsStore) {
	ctx := context.Background()
	m := newMerchant(t, s)
	def, err := s.GetBillingSettings(ctx, m.ID)
	ok(t, err)
	if len(def.ReminderDays) != 4 || len(def.DunningDays) != 4 {
		t.Fatalf("default %+v", def)
	}
	ok(t, s.SetBillingSettings(ctx, &paybridge.BillingSettings{MerchantID: m.ID, ReminderDays: []int{-1, 2}, DunningDays: nil, UpdatedAt: t0}))
	got, err := s.GetBillingSettings(ctx, m.ID)
	ok(t, err)
	if len(got.ReminderDays) != 2 || got.ReminderDays[0] != -1 || len(got.DunningDays) != 0 || !got.UpdatedAt.Equal(t0) {
		t.Fatalf("settings %+v", got)
	}
	wantErr(t, s.SetBillingSettings(ctx, &paybridge.BillingSettings{MerchantID: "mer_missing"}), paybridge.ENOTFOUND, "")
}
