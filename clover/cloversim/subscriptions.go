package cloversim

import (
	"net/http"
	"slices"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// recSub is a subscription with its billing schedule. Run k (0-based) is due
// at Start plus k intervals; Runs counts the runs already made.
type recSub struct {
	MerchantID string
	PlanID     string
	Sub        clover.Subscription
	Start      time.Time
	End        time.Time // zero: no end
	Runs       int
	// Invoices are the ids of the orders its runs generated, oldest first.
	Invoices []string
}

// recMaxFailures is how many consecutive failed runs deactivate a
// subscription (CLOVER.md §9).
const recMaxFailures = 5

// recParseTime accepts Clover's recurring time format, RFC 3339 and a bare
// date (midnight UTC).
func recParseTime(v string) (time.Time, bool) {
	for _, l := range []string{cloverTimeLayout, time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// nextRun is when run k is due.
func (sub *recSub) nextRun(pl *clover.Plan) time.Time {
	n := sub.Runs * pl.IntervalCount
	switch pl.Interval {
	case "DAY":
		return sub.Start.AddDate(0, 0, n)
	case "WEEK":
		return sub.Start.AddDate(0, 0, 7*n)
	case "YEAR":
		return sub.Start.AddDate(n, 0, 0)
	default:
		return sub.Start.AddDate(0, n, 0)
	}
}

// subViewLocked renders the subscription with its plan and totals.
func (s *Sim) subViewLocked(sub *recSub) clover.Subscription {
	v := sub.Sub
	v.TaxRateUUIDs = append([]string(nil), v.TaxRateUUIDs...)
	if pl := s.ext.plans[sub.PlanID]; pl != nil {
		p := pl.Plan
		v.Plan = &p
	}
	v.Total = v.Amount + s.subTaxLocked(sub) + v.TipAmount
	return v
}

// subTaxLocked is the tax on one run: taxOn the amount for each tax rate.
func (s *Sim) subTaxLocked(sub *recSub) int64 {
	m := s.merchants[sub.MerchantID]
	var tax int64
	for _, id := range sub.Sub.TaxRateUUIDs {
		if tr, ok := m.TaxRates[id]; ok {
			tax += taxOn(sub.Sub.Amount, tr.Rate)
		}
	}
	return tax
}

func (s *Sim) createSubscription(r *http.Request, c *call) (int, any, *apiError) {
	var p clover.SubscriptionParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	if p.CollectionMethod != "CHARGE_AUTOMATICALLY" {
		return 0, nil, recBad("collectionMethod must be CHARGE_AUTOMATICALLY.")
	}
	if p.CustomerID == "" {
		return 0, nil, recBad("customerId is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pl, e := s.planLocked(c.M, r.PathValue("planId"))
	if e != nil {
		return 0, nil, e
	}
	if !pl.Plan.Active {
		return 0, nil, recBad("Plan %s is not active.", pl.Plan.ID)
	}
	if c.M.Customers[p.CustomerID] == nil {
		return 0, nil, recBad("Customer with id %s not found.", p.CustomerID)
	}
	if !s.hasCardLocked(c.M, p.CustomerID) {
		return 0, nil, errf(http.StatusBadRequest, "invalid_request_error", "card_on_file_missing", "Customer %s has no card on file.", p.CustomerID)
	}
	now := s.nowLocked()
	sub := &recSub{MerchantID: c.M.ID, PlanID: pl.Plan.ID, Start: now}
	if p.StartDate != "" {
		t, ok := recParseTime(p.StartDate)
		if !ok || t.Before(now.UTC().Truncate(24*time.Hour)) {
			return 0, nil, recBad("startDate must be a valid date, today or later.")
		}
		if t.After(now) {
			sub.Start = t
		}
	}
	if p.EndDate != "" {
		t, ok := recParseTime(p.EndDate)
		if !ok || !t.After(sub.Start) {
			return 0, nil, recBad("endDate must be a valid date after startDate.")
		}
		sub.End = t
	}
	amount := p.Amount
	if amount == 0 {
		amount = pl.Plan.Amount
	}
	if e := recCheckAmount("amount", amount, 1); e != nil {
		return 0, nil, e
	}
	tip := p.TipAmount
	if tip == 0 {
		tip = pl.Plan.TipAmount
	}
	if e := recCheckAmount("tipAmount", tip, 0); e != nil {
		return 0, nil, e
	}
	taxes := p.TaxRateUUIDs
	if taxes == nil {
		taxes = pl.Plan.TaxRateUUIDs
	}
	if e := recTaxRatesLocked(c.M, taxes); e != nil {
		return 0, nil, e
	}
	ts := cloverTime(now)
	sub.Sub = clover.Subscription{
		ID: NewID(), Object: "subscription", CustomerUUID: p.CustomerID, CollectionMethod: p.CollectionMethod,
		Active: p.Active == nil || *p.Active, Amount: amount, TipAmount: tip, Note: p.Note, TaxRateUUIDs: taxes,
		StartDate: cloverTime(sub.Start), CreatedTime: ts, ModifiedTime: ts,
	}
	if !sub.End.IsZero() {
		sub.Sub.EndDate = cloverTime(sub.End)
	}
	s.ext.subs[sub.Sub.ID] = sub
	s.ext.subOrder = append(s.ext.subOrder, sub.Sub.ID)
	s.billDueLocked(now) // a subscription starting now is charged now
	return http.StatusOK, s.subViewLocked(sub), nil
}

// hasCardLocked reports whether customer cid of m has a saved card (the
// first of its sources is the one charged).
func (s *Sim) hasCardLocked(m *merchant, cid string) bool {
	cu := m.Customers[cid]
	return cu != nil && cu.Sources != nil && len(cu.Sources.Data) > 0
}

// subLocked finds a subscription of m, or answers 404.
func (s *Sim) subLocked(m *merchant, id string) (*recSub, *apiError) {
	sub := s.ext.subs[id]
	if sub == nil || sub.MerchantID != m.ID {
		return nil, errf(http.StatusNotFound, "invalid_request_error", "resource_missing", "Subscription with id %s not found.", id)
	}
	return sub, nil
}

func (s *Sim) getSubscription(r *http.Request, c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.billDueLocked(s.nowLocked()) // wall time passes too, not only the test clock
	sub, e := s.subLocked(c.M, r.PathValue("subId"))
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, s.subViewLocked(sub), nil
}

// listSubscriptions answers a bare array in creation order.
func (s *Sim) listSubscriptions(_ *http.Request, c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.billDueLocked(s.nowLocked())
	out := []clover.Subscription{}
	for _, id := range s.ext.subOrder {
		if sub := s.ext.subs[id]; sub.MerchantID == c.M.ID {
			out = append(out, s.subViewLocked(sub))
		}
	}
	return http.StatusOK, out, nil
}

// updateSubscription changes active, amount, note, taxRateUuids, startDate
// (future only) and endDate. {active:false} cancels; reactivating resumes
// at the next interval after now (missed runs are not billed).
func (s *Sim) updateSubscription(r *http.Request, c *call) (int, any, *apiError) {
	var p clover.SubscriptionParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	if p.CustomerID != "" || p.CollectionMethod != "" || p.TipAmount != 0 {
		return 0, nil, recBad("Only active, amount, note, taxRateUuids, startDate and endDate can be changed.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, e := s.subLocked(c.M, r.PathValue("subId"))
	if e != nil {
		return 0, nil, e
	}
	now := s.nowLocked()
	if p.Amount != 0 {
		if e := recCheckAmount("amount", p.Amount, 1); e != nil {
			return 0, nil, e
		}
	}
	if e := recTaxRatesLocked(c.M, p.TaxRateUUIDs); e != nil {
		return 0, nil, e
	}
	start, end := sub.Start, sub.End
	if p.StartDate != "" {
		t, ok := recParseTime(p.StartDate)
		if !ok || !t.After(now) {
			return 0, nil, recBad("startDate must be a valid date in the future.")
		}
		start = t
	}
	if p.EndDate != "" {
		t, ok := recParseTime(p.EndDate)
		if !ok || !t.After(start) || !t.After(now) {
			return 0, nil, recBad("endDate must be a valid future date after startDate.")
		}
		end = t
	}
	if p.Active != nil && *p.Active && !sub.Sub.Active {
		if pl := s.ext.plans[sub.PlanID]; pl == nil || !pl.Plan.Active {
			return 0, nil, recBad("Plan %s is not active.", sub.PlanID)
		}
		sub.Sub.FailureCount = 0
		for sub.nextRun(&s.ext.plans[sub.PlanID].Plan).Before(now) {
			sub.Runs++
		}
	}
	if p.StartDate != "" {
		sub.Start, sub.Runs = start, 0
		sub.Sub.StartDate = cloverTime(start)
	}
	if p.EndDate != "" {
		sub.End = end
		sub.Sub.EndDate = cloverTime(end)
	}
	if p.Amount != 0 {
		sub.Sub.Amount = p.Amount
	}
	if p.Note != "" {
		sub.Sub.Note = p.Note
	}
	if p.TaxRateUUIDs != nil {
		sub.Sub.TaxRateUUIDs = p.TaxRateUUIDs
	}
	if p.Active != nil {
		sub.Sub.Active = *p.Active
	}
	sub.Sub.ModifiedTime = cloverTime(now)
	return http.StatusOK, s.subViewLocked(sub), nil
}

// deleteSubscription is DELETE /recurring/v1/subscriptions/{subId} (the
// docs describe cancelling and deleting, CLOVER.md §13.9): it bills no more
// and is gone from reads; the answer is the subscription, inactive, with
// deletedTime (a third party's shape from Clover's reference; UNCONFIRMED).
// The orders its runs generated stay.
func (s *Sim) deleteSubscription(r *http.Request, c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, e := s.subLocked(c.M, r.PathValue("subId"))
	if e != nil {
		return 0, nil, e
	}
	now := cloverTime(s.nowLocked())
	sub.Sub.Active, sub.Sub.ModifiedTime = false, now
	v := s.subViewLocked(sub)
	v.DeletedTime = now
	delete(s.ext.subs, sub.Sub.ID)
	s.ext.subOrder = slices.DeleteFunc(s.ext.subOrder, func(id string) bool { return id == sub.Sub.ID })
	return http.StatusOK, v, nil
}

// billDueLocked makes every subscription run due up to target, in time
// order across subscriptions. The test clock stands at each run's time
// while it is charged, so charges carry their run date; callers set the
// final clock position.
func (s *Sim) billDueLocked(target time.Time) {
	for {
		var due *recSub
		var at time.Time
		for _, id := range s.ext.subOrder {
			sub := s.ext.subs[id]
			pl := s.ext.plans[sub.PlanID]
			if !sub.Sub.Active || pl == nil {
				continue
			}
			t := sub.nextRun(&pl.Plan)
			if t.After(target) || (!sub.End.IsZero() && t.After(sub.End)) {
				continue
			}
			if due == nil || t.Before(at) {
				due, at = sub, t
			}
		}
		if due == nil {
			return
		}
		if d := at.Sub(s.nowLocked()); d > 0 {
			s.setClockOffsetLocked(s.clockOffset + d)
		}
		s.runSubLocked(due, at)
	}
}

// runSubLocked makes one run as Clover documents it (CLOVER.md §13.9: "the
// Clover system automatically generates and processes invoices on the
// scheduled billing dates"): it generates an invoice, an ecommerce order of
// the customer with one item for the plan, and pays it with the card on
// file as a scheduled, merchant-initiated, subsequent stored-credential
// charge. The app hears of it as of any order and payment (§6.1): O:<order>
// CREATE, P:<charge> CREATE and, once paid, O:<order> UPDATE. No source
// shows a subscription tag on either, so neither carries one; how a run's
// payment is linked back to its subscription is UNCONFIRMED. A declined
// payment leaves the order unpaid, the failed charge naming it. Whether
// Clover retries one invoice on later days or counts failed runs is
// UNCONFIRMED ("deactivated if the customer's invoice payment fails after
// five attempts"): here each run is one attempt, and 5 failed runs in a
// row deactivate the subscription.
func (s *Sim) runSubLocked(sub *recSub, at time.Time) {
	m := s.merchants[sub.MerchantID]
	sub.Runs++
	o := s.runInvoiceLocked(m, sub)
	sub.Invoices = append(sub.Invoices, o.ID)
	p := clover.ChargeParams{
		Amount: o.Amount + o.TaxAmount, TaxAmount: o.TaxAmount, TipAmount: sub.Sub.TipAmount, Currency: m.Currency,
		Source: sub.Sub.CustomerUUID, Ecomind: "ecom", ReceiptEmail: o.Email,
		StoredCredentials: &clover.StoredCredentials{Sequence: "SUBSEQUENT", IsScheduled: true, Initiator: "MERCHANT"},
	}
	ch, err := s.chargeLocked(m, p, "recurring-"+sub.Sub.ID+"-"+cloverTime(at))
	sub.Sub.LastRunDate = cloverTime(at)
	sub.Sub.ModifiedTime = cloverTime(at)
	if err == nil && ch != nil {
		s.markOrderPaidLocked(m, o, ch)
		sub.Sub.FailureCount = 0
		return
	}
	if failed := m.Charges[err.Detail.Charge]; failed != nil {
		failed.Order = o.ID
	}
	sub.Sub.FailureCount++
	s.log.Info("cloversim: subscription run failed", "subscription_id", sub.Sub.ID, "failures", sub.Sub.FailureCount)
	if sub.Sub.FailureCount >= recMaxFailures {
		sub.Sub.Active = false
	}
}

// runInvoiceLocked creates the order a run pays: the customer's, in the
// merchant's currency, one sku item of the subscription's amount named
// after the plan (the item's wording is UNCONFIRMED), taxed by the
// subscription's tax rates, and the tax line.
func (s *Sim) runInvoiceLocked(m *merchant, sub *recSub) *clover.Order {
	item := clover.OrderItem{Type: "sku", Parent: NewID(), Quantity: 1, Amount: sub.Sub.Amount, Currency: m.Currency}
	if pl := s.ext.plans[sub.PlanID]; pl != nil {
		item.Description = pl.Plan.Name
	}
	for _, id := range sub.Sub.TaxRateUUIDs {
		if tr, ok := m.TaxRates[id]; ok {
			item.TaxRates = append(item.TaxRates, clover.TaxRate{Name: tr.Name, TaxRateUUID: tr.ID, Rate: tr.Rate})
		}
	}
	o := &clover.Order{ID: NewID(), Object: "order", Currency: m.Currency, Customer: sub.Sub.CustomerUUID,
		Created: s.nowLocked().UnixMilli(), Status: "created", Amount: item.Amount, TaxAmount: s.subTaxLocked(sub),
		Items: []clover.OrderItem{item}}
	if cu := m.Customers[sub.Sub.CustomerUUID]; cu != nil {
		o.Email = cu.Email
	}
	if o.TaxAmount > 0 {
		o.Items = append(o.Items, clover.OrderItem{Type: "tax", Amount: o.TaxAmount, Currency: m.Currency, Description: "Sales Tax"})
	}
	m.Orders[o.ID] = o
	s.ecom.orders[o.ID] = &orderMeta{Returned: map[string]int64{}}
	s.notify(m.ID, "O:"+o.ID, "CREATE")
	return o
}
