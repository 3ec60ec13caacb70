package cloversim

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

const day = 24 * time.Hour

func (e *extEnv) plan(p clover.PlanParams) clover.Plan {
	e.t.Helper()
	var pl clover.Plan
	e.must(e.api("POST", "/recurring/v1/plans", p), 200, &pl)
	return pl
}

func (e *extEnv) subscribe(planID string, p clover.SubscriptionParams) clover.Subscription {
	e.t.Helper()
	var sub clover.Subscription
	e.must(e.api("POST", "/recurring/v1/plans/"+planID+"/subscriptions", p), 200, &sub)
	return sub
}

func (e *extEnv) getSub(id string) clover.Subscription {
	e.t.Helper()
	var sub clover.Subscription
	e.must(e.api("GET", "/recurring/v1/subscriptions/"+id, nil), 200, &sub)
	return sub
}

// charges counts the charges paying the subscription's invoices (the
// orders its runs generated) by status, and checks that each invoice is
// paid exactly when its charge succeeded and carries no subscription tag.
func (e *extEnv) charges(subID string) (ok, failed int) {
	e.t.Helper()
	e.sim.mu.Lock()
	defer e.sim.mu.Unlock()
	m := e.sim.merchants[e.mid]
	invoices := map[string]bool{}
	for _, id := range e.sim.ext.subs[subID].Invoices {
		invoices[id] = true
		if o := m.Orders[id]; o == nil || len(o.Metadata) != 0 || o.Customer != e.sim.ext.subs[subID].Sub.CustomerUUID {
			e.t.Errorf("invoice %s = %+v", id, o)
		}
	}
	for _, ch := range m.Charges {
		if !invoices[ch.Order] {
			continue
		}
		if len(ch.Metadata) != 0 {
			e.t.Errorf("charge %s carries metadata %v", ch.ID, ch.Metadata)
		}
		if paid := m.Orders[ch.Order].Charge == ch.ID; paid != (ch.Status == "succeeded") {
			e.t.Errorf("charge %s %s, its invoice paid: %v", ch.ID, ch.Status, paid)
		}
		sc := ch.StoredCredentials
		if sc == nil || sc.Sequence != "SUBSEQUENT" || sc.Initiator != "MERCHANT" || !sc.IsScheduled {
			e.t.Errorf("charge %s stored_credentials = %+v", ch.ID, sc)
		}
		if ch.Status == "succeeded" {
			ok++
		} else {
			failed++
		}
	}
	return ok, failed
}

var monthly = clover.PlanParams{Name: "Monthly service", Amount: 4900, Interval: "MONTH", IntervalCount: 1}

func TestPlanCRUDAndValidation(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	for name, p := range map[string]clover.PlanParams{
		"short name":     {Name: "ab", Amount: 100, Interval: "MONTH", IntervalCount: 1},
		"bad interval":   {Name: "Plan", Amount: 100, Interval: "FORTNIGHT", IntervalCount: 1},
		"zero count":     {Name: "Plan", Amount: 100, Interval: "MONTH"},
		"no amount":      {Name: "Plan", Interval: "MONTH", IntervalCount: 1},
		"unknown tax":    {Name: "Plan", Amount: 100, Interval: "MONTH", IntervalCount: 1, TaxRateUUIDs: []string{"NOPE"}},
		"too long name":  {Name: string(make([]byte, 128)), Amount: 100, Interval: "MONTH", IntervalCount: 1},
		"too big amount": {Name: "Plan", Amount: recMaxAmount + 1, Interval: "MONTH", IntervalCount: 1},
	} {
		if r := e.api("POST", "/recurring/v1/plans", p); r.Status != 400 {
			t.Errorf("%s: status %d %s", name, r.Status, r.Body)
		}
	}
	if r := e.do("POST", "/recurring/v1/plans", monthly, "Authorization", "Bearer "+e.token); r.Status != 401 {
		t.Errorf("no X-Clover-Merchant-Id: status %d", r.Status)
	}
	m := e.plan(monthly)
	w := e.plan(clover.PlanParams{Name: "Weekly", Amount: 900, Interval: "WEEK", IntervalCount: 2})
	if !m.Active || m.Object != "plan" || m.MerchantID != e.mid || m.CreatedTime != "2026-11-21T12:00:00.000+0000" {
		t.Errorf("plan = %+v", m)
	}
	var got clover.Plan
	e.must(e.api("GET", "/recurring/v1/plans/"+m.ID, nil), 200, &got)
	if got.ID != m.ID || got.Amount != 4900 {
		t.Errorf("get = %+v", got)
	}
	var list []clover.Plan
	e.must(e.api("GET", "/recurring/v1/plans?interval=WEEK&intervalCount=2", nil), 200, &list)
	if len(list) != 1 || list[0].ID != w.ID {
		t.Errorf("filtered list = %+v", list)
	}
	e.must(e.api("GET", "/recurring/v1/plans", nil), 200, &list)
	if len(list) != 2 {
		t.Errorf("list has %d plans", len(list))
	}
	if r := e.api("PUT", "/recurring/v1/plans/"+m.ID, clover.PlanParams{Interval: "YEAR"}); r.Status != 400 {
		t.Errorf("changing interval: status %d", r.Status)
	}
	if r := e.api("PUT", "/recurring/v1/plans/"+m.ID, clover.PlanParams{IntervalCount: 3}); r.Status != 400 {
		t.Errorf("changing intervalCount: status %d", r.Status)
	}
	e.must(e.api("PUT", "/recurring/v1/plans/"+m.ID, clover.PlanParams{Name: "Monthly plus", Amount: 5900}), 200, &got)
	if got.Name != "Monthly plus" || got.Amount != 5900 || got.Interval != "MONTH" {
		t.Errorf("updated = %+v", got)
	}
	if r := e.api("GET", "/recurring/v1/plans/NOPE", nil); r.Status != 404 {
		t.Errorf("unknown plan: status %d", r.Status)
	}
}

func TestSubscriptionValidation(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	pl := e.plan(monthly)
	cus, _ := e.customerWithCard("4242424242424242")
	var bare clover.Customer
	e.must(e.api("POST", "/v1/customers", clover.CustomerParams{Email: "nocard@example.com"}), 200, &bare)
	path := "/recurring/v1/plans/" + pl.ID + "/subscriptions"
	for name, c := range map[string]struct {
		p    clover.SubscriptionParams
		code string
	}{
		"unknown customer": {clover.SubscriptionParams{CustomerID: "NOPE", CollectionMethod: "CHARGE_AUTOMATICALLY"}, "invalid_request"},
		"no card on file":  {clover.SubscriptionParams{CustomerID: bare.ID, CollectionMethod: "CHARGE_AUTOMATICALLY"}, "card_on_file_missing"},
		"bad collection":   {clover.SubscriptionParams{CustomerID: cus, CollectionMethod: "SEND_INVOICE"}, "invalid_request"},
		"past start":       {clover.SubscriptionParams{CustomerID: cus, CollectionMethod: "CHARGE_AUTOMATICALLY", StartDate: "2026-01-01T00:00:00.000+0000"}, "invalid_request"},
		"end before start": {clover.SubscriptionParams{CustomerID: cus, CollectionMethod: "CHARGE_AUTOMATICALLY", StartDate: "2026-12-01", EndDate: "2026-11-30"}, "invalid_request"},
	} {
		r := e.api("POST", path, c.p)
		if r.Status != 400 || r.code(t) != c.code {
			t.Errorf("%s: status %d %s", name, r.Status, r.Body)
		}
	}
	sub := e.subscribe(pl.ID, clover.SubscriptionParams{CustomerID: cus, CollectionMethod: "CHARGE_AUTOMATICALLY", StartDate: "2026-12-01T00:00:00.000+0000"})
	if !sub.Active || sub.Amount != 4900 || sub.Total != 4900 || sub.Plan == nil || sub.Plan.ID != pl.ID || sub.CustomerUUID != cus || sub.StartDate != "2026-12-01T00:00:00.000+0000" {
		t.Errorf("subscription = %+v", sub)
	}
	var list []clover.Subscription
	e.must(e.api("GET", "/recurring/v1/subscriptions", nil), 200, &list)
	if len(list) != 1 || list[0].ID != sub.ID {
		t.Errorf("list = %+v", list)
	}
	if r := e.api("PUT", "/recurring/v1/plans/"+pl.ID, map[string]any{"active": false}); r.Status != 400 {
		t.Errorf("deactivating a plan with an active subscription: status %d", r.Status)
	}
	for name, p := range map[string]any{
		"past startDate":  map[string]any{"startDate": "2026-11-01"},
		"change customer": map[string]any{"customerId": cus},
	} {
		if r := e.api("PUT", "/recurring/v1/subscriptions/"+sub.ID, p); r.Status != 400 {
			t.Errorf("%s: status %d", name, r.Status)
		}
	}
	var upd clover.Subscription
	e.must(e.api("PUT", "/recurring/v1/subscriptions/"+sub.ID, map[string]any{"amount": 5000, "note": "n"}), 200, &upd)
	if upd.Amount != 5000 || upd.Note != "n" {
		t.Errorf("updated = %+v", upd)
	}
	e.must(e.api("PUT", "/recurring/v1/subscriptions/"+sub.ID, map[string]any{"active": false}), 200, &upd)
	e.must(e.api("PUT", "/recurring/v1/plans/"+pl.ID, map[string]any{"active": false}), 200, nil)
	if r := e.api("POST", path, clover.SubscriptionParams{CustomerID: cus, CollectionMethod: "CHARGE_AUTOMATICALLY"}); r.Status != 400 {
		t.Errorf("subscribing to an inactive plan: status %d", r.Status)
	}
}

func TestYearOfMonthlyBillingInOneAdvance(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	pl := e.plan(monthly)
	cus, _ := e.customerWithCard("4242424242424242")
	sub := e.subscribe(pl.ID, clover.SubscriptionParams{CustomerID: cus, CollectionMethod: "CHARGE_AUTOMATICALLY", StartDate: "2026-11-22"})
	e.sim.AdvanceClock(365 * day)
	if ok, failed := e.charges(sub.ID); ok != 12 || failed != 0 {
		t.Fatalf("charges ok=%d failed=%d, want 12 and 0", ok, failed)
	}
	entries := 0
	var last int64
	for _, le := range e.sim.Ledger(e.mid) {
		if le.Kind == KindCharge && le.Amount == 4900 {
			entries++
			if le.Created < last {
				t.Error("ledger not in time order")
			}
			last = le.Created
		}
	}
	if entries != 12 {
		t.Errorf("ledger has %d charges, want 12", entries)
	}
	if want := time.Date(2027, 10, 22, 0, 0, 0, 0, time.UTC).UnixMilli(); last != want {
		t.Errorf("last charge at %d, want the run date %d", last, want)
	}
	got := e.getSub(sub.ID)
	if got.LastRunDate != "2027-10-22T00:00:00.000+0000" || !got.Active {
		t.Errorf("subscription = %+v", got)
	}
	var clock clockView
	e.must(e.do("GET", "/_sim/clock", nil), 200, &clock)
	if clock.OffsetSeconds != int64(365*day/time.Second) {
		t.Errorf("clock offset %d", clock.OffsetSeconds)
	}
}

func TestSubscriptionDeactivatesAfterFiveFailures(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	pl := e.plan(monthly)
	cus, card := e.customerWithCard("4242424242424242")
	sub := e.subscribe(pl.ID, clover.SubscriptionParams{CustomerID: cus, CollectionMethod: "CHARGE_AUTOMATICALLY", StartDate: "2026-11-22"})
	e.sim.AdvanceClock(100 * day) // runs on Nov 22, Dec 22, Jan 22, Feb 22
	if ok, _ := e.charges(sub.ID); ok != 4 {
		t.Fatalf("%d charges before the card declines, want 4", ok)
	}
	e.must(e.do("POST", "/_sim/cards/"+card+"/decline", map[string]bool{"decline": true}), 200, nil)
	e.sim.AdvanceClock(365 * day)
	ok, failed := e.charges(sub.ID)
	got := e.getSub(sub.ID)
	if ok != 4 || failed != 5 || got.Active || got.FailureCount != 5 {
		t.Errorf("ok=%d failed=%d sub=%+v; want 4 ok, 5 failed, inactive", ok, failed, got)
	}
	if r := e.do("POST", "/_sim/cards/NOPE/decline", map[string]bool{"decline": true}); r.Status != 404 {
		t.Errorf("unknown card: status %d", r.Status)
	}
}

func TestSuccessResetsFailureCount(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	pl := e.plan(monthly)
	cus, card := e.customerWithCard("4242424242424242")
	sub := e.subscribe(pl.ID, clover.SubscriptionParams{CustomerID: cus, CollectionMethod: "CHARGE_AUTOMATICALLY"})
	if ok, _ := e.charges(sub.ID); ok != 1 {
		t.Fatalf("a subscription starting now is not charged at once: %d", ok)
	}
	e.sim.SetCardDeclining(card, true)
	e.sim.AdvanceClock(70 * day) // two failed runs
	if got := e.getSub(sub.ID); got.FailureCount != 2 || !got.Active {
		t.Fatalf("after two declines: %+v", got)
	}
	e.sim.SetCardDeclining(card, false)
	e.sim.AdvanceClock(31 * day)
	if got := e.getSub(sub.ID); got.FailureCount != 0 || !got.Active {
		t.Errorf("after a success: %+v", got)
	}
}

func TestCancelStopsBilling(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	pl := e.plan(monthly)
	cus, _ := e.customerWithCard("4242424242424242")
	sub := e.subscribe(pl.ID, clover.SubscriptionParams{CustomerID: cus, CollectionMethod: "CHARGE_AUTOMATICALLY", StartDate: "2026-11-22"})
	e.sim.AdvanceClock(40 * day)
	e.must(e.api("PUT", "/recurring/v1/subscriptions/"+sub.ID, map[string]any{"active": false}), 200, nil)
	e.sim.AdvanceClock(365 * day)
	if ok, _ := e.charges(sub.ID); ok != 2 {
		t.Errorf("%d charges, want 2 (billing continued after cancel)", ok)
	}
}

func TestClockEndpoints(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	var c clockView
	e.must(e.do("POST", "/_sim/clock/advance", map[string]any{"duration": "48h"}), 200, &c)
	if c.OffsetSeconds != 48*3600 || c.Now != "2026-11-23T12:00:00Z" {
		t.Errorf("after 48h: %+v", c)
	}
	e.must(e.do("POST", "/_sim/clock/advance", map[string]any{"seconds": 60}), 200, &c)
	if c.OffsetSeconds != 48*3600+60 {
		t.Errorf("after 60s: %+v", c)
	}
	for name, body := range map[string]any{
		"negative": map[string]any{"seconds": -5},
		"both":     map[string]any{"seconds": 5, "duration": "1h"},
		"garbage":  map[string]any{"duration": "soon"},
		"empty":    map[string]any{},
	} {
		if r := e.do("POST", "/_sim/clock/advance", body); r.Status != 400 {
			t.Errorf("%s: status %d", name, r.Status)
		}
	}
}

// TestRunIsAnInvoiceWithPlatformWebhooks: a run generates an order (the
// invoice) and pays it with the card on file; the app hears O:<order>
// CREATE, P:<charge> CREATE and O:<order> UPDATE, the documented prefixes,
// and nothing names the subscription. A declined run leaves the invoice
// unpaid with the failed charge naming it.
func TestRunIsAnInvoiceWithPlatformWebhooks(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	e.must(e.do("PUT", "/_sim/webhooks", map[string]string{"url": e.hooks.srv.URL}), 200, nil)
	pl := e.plan(monthly)
	cus, card := e.customerWithCard("4242424242424242")
	sub := e.subscribe(pl.ID, clover.SubscriptionParams{CustomerID: cus, CollectionMethod: "CHARGE_AUTOMATICALLY"})
	// events reads webhook batches until n order and payment events came.
	events := func(n int) []string {
		var out []string
		for len(out) < n {
			var p clover.WebhookPayload
			if err := json.Unmarshal(e.hooks.next(t).Body, &p); err != nil {
				t.Fatal(err)
			}
			for _, ev := range p.Merchants[e.mid] {
				if !strings.HasPrefix(ev.ObjectID, "C:") { // the customer's own CREATE
					out = append(out, ev.Type+" "+ev.ObjectID)
				}
			}
		}
		return out
	}
	e.sim.mu.Lock()
	o := *e.sim.merchants[e.mid].Orders[e.sim.ext.subs[sub.ID].Invoices[0]]
	e.sim.mu.Unlock()
	if o.Status != "paid" || o.Customer != cus || o.Amount != 4900 || o.Items[0].Description != "Monthly service" || len(o.Metadata) != 0 {
		t.Fatalf("invoice %+v", o)
	}
	if got, want := events(3), []string{"CREATE O:" + o.ID, "CREATE P:" + o.Charge, "UPDATE O:" + o.ID}; !slices.Equal(got, want) {
		t.Errorf("webhooks %v, want %v", got, want)
	}
	e.sim.SetCardDeclining(card, true)
	e.sim.AdvanceClock(31 * day)
	e.sim.mu.Lock()
	m := e.sim.merchants[e.mid]
	o2 := *m.Orders[e.sim.ext.subs[sub.ID].Invoices[1]]
	var failed clover.Charge
	for _, ch := range m.Charges {
		if ch.Order == o2.ID {
			failed = *ch
		}
	}
	e.sim.mu.Unlock()
	if o2.Status != "created" || o2.Charge != "" || failed.Status != "failed" {
		t.Fatalf("declined run: invoice %+v, charge %+v", o2, failed)
	}
	for _, ev := range events(2) {
		if !strings.HasSuffix(ev, ":"+o2.ID) && !strings.HasSuffix(ev, ":"+failed.ID) || strings.Contains(ev, "SUB") {
			t.Errorf("webhook %q for a declined run", ev)
		}
	}
}
