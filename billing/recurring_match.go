package billing

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// This file is the one place that decides which Clover payments are runs
// of a subscription. Clover documents runs only in words (CLOVER.md §9,
// §13.9): "The Clover system automatically generates and processes
// invoices on the scheduled billing dates"; "Subscriptions automatically
// generate invoices for each scheduled payment"; "A subscription is
// deactivated if the customer's invoice payment fails after five
// attempts". No source shows a run as a charge tagged with the
// subscription (no metadata.subscription_id, no "SUB:" webhook prefix), and
// "how a run's payment is linked back to its subscription on the
// ecommerce API is UNCONFIRMED". So a run is recognised only by documented
// fields, and every rule below says which.

// runCandidate is a Clover charge that looks like a run, with the billing
// date it falls on.
type runCandidate struct {
	Charge clover.Charge
	Due    time.Time
}

// runSlack is how far a run's payment may lie from its scheduled billing
// date: Clover bills "on the scheduled billing dates" at a time of day it
// does not document (UNCONFIRMED), in a time zone it does not name.
const runSlack = 36 * time.Hour

// runCandidates picks, among the customer's Clover charges (oldest first
// or not), those that can be runs of subscription sub (Clover's view cs,
// paybridge's plan pl), oldest first:
//
//   - the charge pays an order: runs are invoices, and Clover's invoices on
//     the ecommerce API are orders (§13.9). Which fields the generated
//     order carries (note, item names) is UNCONFIRMED, so none is relied on;
//   - it is the subscription's customer's (the list is read by customer;
//     a charge naming another customer is not a run);
//   - it is not paybridge's own: not a payment paybridge made and not the
//     order of one of paybridge's invoices (isOwn);
//   - its amount is the subscription's: Clover's amount, or amount plus
//     tax (total less tip; whether `total` includes the tip is
//     UNCONFIRMED), or the amount paybridge last set;
//   - it falls on a scheduled billing date: the subscription's startDate
//     plus a whole number of the plan's intervals, within runSlack.
//
// Two subscriptions of one customer with the same amount and schedule are
// told apart only by which claims a charge first (the caller takes one
// charge per billing date and skips charges another subscription claimed).
func runCandidates(sub *paybridge.Subscription, cs *clover.Subscription, pl *paybridge.Plan, cloverCustomerID string,
	charges []clover.Charge, isOwn func(ch *clover.Charge) (bool, error)) ([]runCandidate, error) {
	amounts := map[int64]bool{cs.Amount: true, cs.Total: true, cs.Total - cs.TipAmount: true, sub.Amount: true}
	interval, count := pl.Interval, pl.IntervalCount
	if cs.Plan != nil && cs.Plan.Interval != "" {
		interval, count = cs.Plan.Interval, cs.Plan.IntervalCount
	}
	start, ok := clover.ParseTime(cs.StartDate)
	if !ok {
		if start, ok = clover.ParseTime(sub.StartDate + "T00:00:00Z"); !ok {
			return nil, nil
		}
	}
	var out []runCandidate
	for _, ch := range charges {
		if ch.Order == "" || (ch.Customer != "" && ch.Customer != cloverCustomerID) || !amounts[ch.Amount] {
			continue
		}
		due, ok := billingDate(start, interval, count, time.UnixMilli(ch.Created).UTC())
		if !ok {
			continue
		}
		own, err := isOwn(&ch)
		if err != nil {
			return nil, err
		}
		if !own {
			out = append(out, runCandidate{Charge: ch, Due: due})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Charge.Created < out[j].Charge.Created })
	return out, nil
}

// runKey is the idempotency key of a run's recorded payment: no Clover call
// is made with it (Clover made the charge), it keeps the payment unique.
func runKey(chargeID string) string { return "recurring:" + chargeID }

// billingDate finds the scheduled billing date (start plus k intervals,
// k ≥ 0) within runSlack of at.
func billingDate(start time.Time, interval string, count int, at time.Time) (time.Time, bool) {
	if count < 1 {
		count = 1
	}
	for k := 0; ; k++ {
		n := k * count
		var d time.Time
		switch strings.ToUpper(interval) {
		case "DAY":
			d = start.AddDate(0, 0, n)
		case "WEEK":
			d = start.AddDate(0, 0, 7*n)
		case "YEAR":
			d = start.AddDate(n, 0, 0)
		default:
			d = start.AddDate(0, n, 0)
		}
		switch {
		case d.After(at.Add(runSlack)):
			return time.Time{}, false
		case !d.Before(at.Add(-runSlack)):
			return d, true
		}
	}
}

// ownCharge reports whether ch is paybridge's own: a payment it made, or
// the payment of one of its invoices' orders (an invoice paid on a device).
// A run already recorded (its payment has the run's key, runKey) is not:
// it stays a run, so a sync interrupted after recording it counts it.
func (s *Service) ownCharge(ctx context.Context, merchantID string) func(ch *clover.Charge) (bool, error) {
	ss, ok := s.Store.(syncStore)
	return func(ch *clover.Charge) (bool, error) {
		if !ok {
			return false, nil
		}
		if p, err := ss.PaymentByCloverCharge(ctx, merchantID, ch.ID); err == nil {
			return p.IdempotencyKey != runKey(ch.ID), nil
		} else if paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
			return false, err
		}
		if _, err := ss.InvoiceByCloverOrder(ctx, merchantID, ch.Order); err == nil {
			return true, nil
		} else if paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
			return false, err
		}
		return false, nil
	}
}

// syncRunOf handles a P:<charge> CREATE webhook for a charge paybridge did
// not make: when it pays an order of a customer with a live subscription,
// that subscription is synced now rather than at the next periodic pass.
// It costs one Clover read (the charge), none for paybridge's own charges.
func (s *Service) syncRunOf(ctx context.Context, ss syncStore, merchantID, chargeID string) error {
	if _, err := ss.PaymentByCloverCharge(ctx, merchantID, chargeID); err == nil {
		return nil // paybridge's own, or a run already recorded
	} else if paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
		return err
	}
	rs, err := s.recurringStore()
	if err != nil {
		return nil
	}
	subs, err := rs.ListSubscriptions(ctx, merchantID, "")
	if err != nil {
		return err
	}
	live := subs[:0]
	for _, sub := range subs {
		if sub.Status == paybridge.SubscriptionActive || sub.Status == paybridge.SubscriptionPastDue {
			live = append(live, sub)
		}
	}
	if len(live) == 0 {
		return nil
	}
	_, auth, err := s.merchantAuth(ctx, merchantID, false)
	if err != nil {
		return err
	}
	ch, err := s.Clover.GetCharge(ctx, auth, chargeID)
	if err != nil {
		if clover.IsUnauthorized(err) {
			s.reauthorize(ctx, merchantID)
			return nil
		}
		return err
	}
	if ch.Order == "" {
		return nil
	}
	for _, sub := range live {
		cu, err := s.Store.GetCustomer(ctx, merchantID, sub.CustomerID)
		if err != nil || cu.CloverCustomerID != ch.Customer {
			continue
		}
		if err := s.SyncSubscription(ctx, sub); err != nil {
			return err
		}
	}
	return nil
}
