package billing

import (
	"context"
	"encoding/json"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// Notice kinds: what a customer is told.
const (
	NoticePaymentFailed = "payment_failed" // a subscription or autopay charge was declined
	NoticeReminder      = "reminder"       // an unpaid invoice is (nearly) due
)

// Notice asks for a customer to be told something about an invoice.
type Notice struct {
	Kind           string
	MerchantID     string
	InvoiceID      string
	SubscriptionID string
	// Offset is the reminder's day relative to the due date.
	Offset int
}

func (s *Service) notify(ctx context.Context, n Notice) {
	if s.Notify != nil {
		s.Notify(ctx, n)
	}
}

// SyncSubscriptions mirrors every live subscription from Clover; it
// returns how many Clover charges became invoices.
func (s *Service) SyncSubscriptions(ctx context.Context) (int, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return 0, err
	}
	subs, err := rs.LiveSubscriptions(ctx, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sub := range subs {
		before := sub.SyncedThrough
		if err := s.SyncSubscription(ctx, sub); err != nil {
			s.Logger.Error("sync subscription", "subscription_id", sub.ID, "err", err)
			continue
		}
		if sub.SyncedThrough != before {
			n++
		}
	}
	return n, nil
}

// SyncSubscription turns the subscription's new runs (the payments of the
// invoices Clover generates for it, found by runCandidates) into invoices
// (paid, or open and in dunning when declined), in charge order, and
// mirrors Clover's deactivation after 5 failures. It is idempotent: a
// Clover charge is claimed for one invoice once, by one subscription, and
// each billing date gets one run.
//
// Syncs of one subscription may run at once (the periodic pass and a
// run's webhook): when another wrote the subscription first, it is read
// again and synced from there (its runs are claimed, so none counts twice).
func (s *Service) SyncSubscription(ctx context.Context, sub *paybridge.Subscription) error {
	rs, err := s.recurringStore()
	if err != nil {
		return err
	}
	for try := 1; ; try++ {
		err := s.syncSubscription(ctx, rs, sub)
		if paybridge.ErrorCode(err) != "stale_state" || try == 3 {
			return err
		}
		fresh, gerr := rs.GetSubscription(ctx, sub.MerchantID, sub.ID)
		if gerr != nil {
			return gerr
		}
		*sub = *fresh
	}
}

func (s *Service) syncSubscription(ctx context.Context, rs paybridge.RecurringStore, sub *paybridge.Subscription) error {
	_, auth, err := s.merchantAuth(ctx, sub.MerchantID, false)
	if err != nil {
		return err
	}
	cs, err := s.Clover.GetSubscription(ctx, auth, sub.CloverSubscriptionID)
	if err != nil {
		return err
	}
	cu, err := s.Store.GetCustomer(ctx, sub.MerchantID, sub.CustomerID)
	if err != nil {
		return err
	}
	list, err := s.Clover.ListCharges(ctx, auth, clover.ChargeListParams{Limit: 100, Customer: cu.CloverCustomerID,
		CreatedGTE: sub.SyncedThrough + 1})
	if err != nil {
		return err
	}
	pl, err := rs.GetPlan(ctx, sub.MerchantID, sub.PlanID)
	if err != nil {
		return err
	}
	runs, err := runCandidates(sub, cs, pl, cu.CloverCustomerID, list.Data, s.ownCharge(ctx, sub.MerchantID))
	if err != nil {
		return err
	}
	billed := map[time.Time]bool{}
	for _, run := range runs {
		if billed[run.Due] {
			continue // one run per billing date
		}
		ch := run.Charge
		paid, mine, err := s.recordRun(ctx, sub, pl, &ch)
		if err != nil {
			return err
		}
		if !mine {
			continue // another subscription's run
		}
		billed[run.Due] = true
		ev := paybridge.EventType("")
		sub.SyncedThrough = ch.Created
		sub.LastRunDate = time.UnixMilli(ch.Created).UTC().Format(time.DateOnly)
		if paid {
			if sub.Status == paybridge.SubscriptionPastDue {
				ev = paybridge.EventSubscriptionUpdated
			}
			sub.Status, sub.FailureCount = paybridge.SubscriptionActive, 0
		} else {
			sub.Status, ev = paybridge.SubscriptionPastDue, paybridge.EventSubscriptionPaymentFailed
			sub.FailureCount++
		}
		if err := rs.UpdateSubscription(ctx, sub, ev); err != nil {
			return err
		}
	}
	if !cs.Active && (sub.Status == paybridge.SubscriptionActive || sub.Status == paybridge.SubscriptionPastDue) {
		sub.Status = paybridge.SubscriptionDeactivated
		if cs.FailureCount > sub.FailureCount {
			sub.FailureCount = cs.FailureCount
		}
		if err := rs.UpdateSubscription(ctx, sub, paybridge.EventSubscriptionDeactivated); err != nil {
			return err
		}
	}
	return nil
}

// recordRun makes the invoice of one run (a Clover charge paying the
// invoice Clover generated): paid with a succeeded payment, or open with a
// failed payment and a collection that retries on the merchant's dunning
// schedule. It reports whether it paid, and whether the charge is this
// subscription's (false: another subscription claimed it first).
func (s *Service) recordRun(ctx context.Context, sub *paybridge.Subscription, pl *paybridge.Plan, ch *clover.Charge) (paid, mine bool, err error) {
	rs, _ := s.recurringStore()
	paid = ch.Status == "succeeded"
	now := s.Now().UTC()
	claim, err := rs.RecordSubscriptionCharge(ctx, &paybridge.SubscriptionCharge{MerchantID: sub.MerchantID,
		CloverChargeID: ch.ID, SubscriptionID: sub.ID, InvoiceID: paybridge.NewID(paybridge.PrefixInvoice), Paid: paid, CreatedAt: now})
	if err != nil && paybridge.ErrorCode(err) != "charge_recorded" {
		return false, false, err
	}
	if claim.SubscriptionID != sub.ID {
		return false, false, nil
	}
	if _, gerr := s.Store.GetInvoice(ctx, sub.MerchantID, claim.InvoiceID); gerr == nil {
		return paid, true, nil // made before
	}
	run := time.UnixMilli(ch.Created).UTC()
	inv := &paybridge.Invoice{ID: claim.InvoiceID, MerchantID: sub.MerchantID, CustomerID: sub.CustomerID,
		Status: paybridge.InvoiceOpen, Currency: ch.Currency, DueDate: run.Format(time.DateOnly),
		Metadata:  map[string]string{"subscription_id": sub.ID, "clover_charge_id": ch.ID, "clover_order_id": ch.Order},
		LineItems: []paybridge.LineItem{{ID: paybridge.NewID(paybridge.PrefixLineItem), Description: pl.Name, Quantity: 1, UnitAmount: ch.Amount - ch.TaxAmount}},
		CreatedAt: now, UpdatedAt: now}
	inv.ComputeTotals()
	inv.TaxAmount, inv.Total = ch.TaxAmount, ch.Amount
	if err := s.Store.CreateInvoice(ctx, inv); err != nil {
		return false, false, err
	}
	p := &paybridge.Payment{ID: paybridge.NewID(paybridge.PrefixPayment), MerchantID: sub.MerchantID, InvoiceID: inv.ID,
		CustomerID: sub.CustomerID, Status: paybridge.PaymentPending, Method: paybridge.MethodCard, Route: paybridge.RouteCharge,
		Amount: ch.Amount, TipAmount: ch.TipAmount, Currency: ch.Currency, Capture: true, IdempotencyKey: runKey(ch.ID),
		Description: "Subscription " + sub.ID, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreatePayment(ctx, p); err != nil {
		return false, false, err
	}
	p.CloverChargeID = ch.ID
	if ch.Source != nil {
		p.Card = &paybridge.CardSummary{Brand: ch.Source.Brand, Last4: ch.Source.Last4, ExpMonth: ch.Source.ExpMonth, ExpYear: ch.Source.ExpYear}
	}
	if paid {
		p.Status, p.AmountCaptured = paybridge.PaymentSucceeded, ch.Amount
	} else {
		p.Status, p.FailureCode, p.FailureMessage = paybridge.PaymentFailed, orDefault(ch.FailureCode, "card_declined"), ch.FailureMessage
	}
	if _, err := s.Store.ApplyPayment(ctx, p, paybridge.PaymentPending, now); err != nil {
		return false, false, err
	}
	if paid {
		return true, true, nil
	}
	st, err := rs.GetBillingSettings(ctx, sub.MerchantID)
	if err != nil {
		return false, false, err
	}
	col := &paybridge.Collection{InvoiceID: inv.ID, MerchantID: sub.MerchantID, CustomerID: sub.CustomerID,
		Kind: paybridge.CollectSubscription, SubscriptionID: sub.ID, Failures: 1, LastError: p.FailureCode,
		NextAttemptAt: nextAttempt(now, st.DunningDays, 1), CreatedAt: now}
	if err := rs.CreateCollection(ctx, col); err != nil && paybridge.ErrorCode(err) != "collection_exists" {
		return false, false, err
	}
	s.notify(ctx, Notice{Kind: NoticePaymentFailed, MerchantID: sub.MerchantID, InvoiceID: inv.ID, SubscriptionID: sub.ID})
	return false, true, nil
}

// nextAttempt is when dunning retry number `failures` is due: the
// schedule's days count from the first failure (first); zero when the
// schedule is exhausted.
func nextAttempt(first time.Time, days []int, failures int) time.Time {
	if failures-1 >= len(days) {
		return time.Time{}
	}
	return first.Add(time.Duration(days[failures-1]) * 24 * time.Hour)
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// eventOf builds an event reporting obj, for stores that take them ready.
func eventOf(t paybridge.EventType, objType, id string, version int64, obj any) *paybridge.Event {
	b, _ := json.Marshal(obj)
	return &paybridge.Event{Type: t, ObjectType: objType, ObjectID: id, ObjectVersion: version, Data: b}
}
