package billing

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// PlanInput creates a plan (POST /v1/plans).
type PlanInput struct {
	Name          string `json:"name"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	Interval      string `json:"interval"`
	IntervalCount *int   `json:"interval_count"` // absent: 1
}

// SubscriptionInput subscribes a customer with a card on file to a plan.
type SubscriptionInput struct {
	CustomerID string `json:"customer_id"`
	PlanID     string `json:"plan_id"`
	StartDate  string `json:"start_date"`
}

// SubscriptionUpdate changes a subscription's amount.
type SubscriptionUpdate struct {
	Amount *int64 `json:"amount"`
}

// recurringStore is the recurring part of the store.
func (s *Service) recurringStore() (paybridge.RecurringStore, error) {
	rs, ok := s.Store.(paybridge.RecurringStore)
	if !ok {
		return nil, paybridge.Errorf(paybridge.EINTERNAL, "", "the store keeps no subscriptions")
	}
	return rs, nil
}

// CreatePlan creates a Clover recurring plan and mirrors it.
func (s *Service) CreatePlan(ctx context.Context, c Caller, in PlanInput) (*paybridge.Plan, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return nil, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if n := len([]rune(in.Name)); n < 3 || n > 127 {
		return nil, invalid("name", "invalid_string", "name must be 3 to 127 characters")
	}
	if err := paybridge.ValidateAmount("amount", in.Amount); err != nil {
		return nil, err
	}
	if !paybridge.ValidCurrency(in.Currency) {
		return nil, invalid("currency", "invalid_currency", "currency must be a lowercase ISO 4217 code paybridge supports, e.g. \"usd\"")
	}
	if !slices.Contains(paybridge.PlanIntervals, in.Interval) {
		return nil, invalid("interval", "invalid_interval", "interval must be day, week, month or year")
	}
	count := 1
	if in.IntervalCount != nil { // an explicit 0 is refused, not read as 1
		count = *in.IntervalCount
	}
	if count < 1 || count > 365 {
		return nil, invalid("interval_count", "invalid_interval", "interval_count must be between 1 and 365")
	}
	m, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return nil, err
	}
	if err := merchantTakes(m, in.Currency); err != nil {
		return nil, err
	}
	p := &paybridge.Plan{ID: paybridge.NewID(paybridge.PrefixPlan), MerchantID: m.ID, Name: in.Name, Amount: in.Amount,
		Currency: in.Currency, Interval: in.Interval, IntervalCount: count, Active: true, CreatedAt: s.Now().UTC()}
	cp, err := s.Clover.CreatePlan(ctx, auth, clover.PlanParams{Name: p.Name, Amount: p.Amount,
		Interval: strings.ToUpper(p.Interval), IntervalCount: p.IntervalCount},
		&clover.RequestOptions{IdempotencyKey: derivedKey(p.ID, "plan")})
	if err != nil {
		return nil, s.followUpError(ctx, m.ID, "creating the plan", err)
	}
	p.CloverPlanID = cp.ID
	if err := rs.CreatePlan(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// GetPlan returns one of the merchant's plans.
func (s *Service) GetPlan(ctx context.Context, c Caller, id string) (*paybridge.Plan, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return nil, err
	}
	return rs.GetPlan(ctx, c.MerchantID, id)
}

// ListPlans lists the merchant's plans.
func (s *Service) ListPlans(ctx context.Context, c Caller) ([]*paybridge.Plan, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return nil, err
	}
	return rs.ListPlans(ctx, c.MerchantID)
}

// CreateSubscription subscribes a customer (who needs a card on file) to a
// plan on Clover's recurring API; Clover charges it from then on.
func (s *Service) CreateSubscription(ctx context.Context, c Caller, in SubscriptionInput) (*paybridge.Subscription, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return nil, err
	}
	cu, err := s.Store.GetCustomer(ctx, c.MerchantID, in.CustomerID)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
		return nil, invalid("customer_id", "resource_missing", "no customer %s", in.CustomerID)
	} else if err != nil {
		return nil, err
	}
	pl, err := rs.GetPlan(ctx, c.MerchantID, in.PlanID)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
		return nil, invalid("plan_id", "resource_missing", "no plan %s", in.PlanID)
	} else if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	start := now.Format(time.DateOnly)
	if in.StartDate != "" {
		t, err := time.Parse(time.DateOnly, in.StartDate)
		if err != nil || in.StartDate < start {
			return nil, invalid("start_date", "invalid_date", "start_date must be a date like 2026-12-31, today or later")
		}
		start = t.Format(time.DateOnly)
	}
	cards, err := s.ListCards(ctx, c, cu.ID)
	if err != nil {
		return nil, err
	}
	if len(cards) == 0 || cu.CloverCustomerID == "" {
		return nil, invalid("customer_id", "card_on_file_missing", "customer %s has no card on file", cu.ID)
	}
	_, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return nil, err
	}
	sub := &paybridge.Subscription{ID: paybridge.NewID(paybridge.PrefixSubscription), MerchantID: c.MerchantID,
		CustomerID: cu.ID, PlanID: pl.ID, Status: paybridge.SubscriptionActive, Amount: pl.Amount, Currency: pl.Currency,
		StartDate: start, CreatedAt: now}
	params := clover.SubscriptionParams{CustomerID: cu.CloverCustomerID, CollectionMethod: "CHARGE_AUTOMATICALLY"}
	if in.StartDate != "" && start != now.Format(time.DateOnly) {
		params.StartDate = start
	}
	// Charges of this subscription are synced from the moment before it
	// exists at Clover (a subscription starting today is charged at once).
	sub.SyncedThrough = now.Add(-time.Minute).UnixMilli()
	cs, err := s.Clover.CreateSubscription(ctx, auth, pl.CloverPlanID, params,
		&clover.RequestOptions{IdempotencyKey: derivedKey(sub.ID, "subscription")})
	if err != nil {
		return nil, s.followUpError(ctx, c.MerchantID, "creating the subscription", err)
	}
	sub.CloverSubscriptionID = cs.ID
	if !cs.Active {
		sub.Status = paybridge.SubscriptionDeactivated
	}
	if err := rs.CreateSubscription(ctx, sub); err != nil {
		return nil, err
	}
	if err := s.SyncSubscription(ctx, sub); err != nil {
		s.Logger.Warn("sync new subscription", "subscription_id", sub.ID, "err", err)
	}
	return rs.GetSubscription(ctx, c.MerchantID, sub.ID)
}

// GetSubscription returns one of the merchant's subscriptions.
func (s *Service) GetSubscription(ctx context.Context, c Caller, id string) (*paybridge.Subscription, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return nil, err
	}
	return rs.GetSubscription(ctx, c.MerchantID, id)
}

// ListSubscriptions lists subscriptions, of one customer when given.
func (s *Service) ListSubscriptions(ctx context.Context, c Caller, customerID string) ([]*paybridge.Subscription, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return nil, err
	}
	return rs.ListSubscriptions(ctx, c.MerchantID, customerID)
}

// UpdateSubscription changes the amount Clover charges from the next run.
func (s *Service) UpdateSubscription(ctx context.Context, c Caller, id string, in SubscriptionUpdate) (*paybridge.Subscription, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return nil, err
	}
	sub, err := rs.GetSubscription(ctx, c.MerchantID, id)
	if err != nil {
		return nil, err
	}
	if in.Amount == nil {
		return sub, nil
	}
	if err := paybridge.ValidateAmount("amount", *in.Amount); err != nil {
		return nil, err
	}
	if sub.Status == paybridge.SubscriptionCanceled {
		return nil, paybridge.Errorf(paybridge.ECONFLICT, "", "subscription %s is canceled", id).WithCode("subscription_canceled")
	}
	_, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return nil, err
	}
	if _, err := s.Clover.UpdateSubscription(ctx, auth, sub.CloverSubscriptionID, clover.SubscriptionParams{Amount: *in.Amount}); err != nil {
		return nil, s.followUpError(ctx, c.MerchantID, "updating the subscription", err)
	}
	sub.Amount = *in.Amount
	if err := rs.UpdateSubscription(ctx, sub, paybridge.EventSubscriptionUpdated); err != nil {
		return nil, err
	}
	return sub, nil
}

// CancelSubscription stops a subscription at Clover (PUT active:false).
func (s *Service) CancelSubscription(ctx context.Context, c Caller, id string) (*paybridge.Subscription, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return nil, err
	}
	sub, err := rs.GetSubscription(ctx, c.MerchantID, id)
	if err != nil {
		return nil, err
	}
	if sub.Status == paybridge.SubscriptionCanceled {
		return sub, nil
	}
	_, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return nil, err
	}
	if _, err := s.Clover.CancelSubscription(ctx, auth, sub.CloverSubscriptionID); err != nil {
		return nil, s.followUpError(ctx, c.MerchantID, "canceling the subscription", err)
	}
	now := s.Now().UTC()
	sub.Status, sub.CanceledAt = paybridge.SubscriptionCanceled, &now
	if err := rs.UpdateSubscription(ctx, sub, paybridge.EventSubscriptionCanceled); err != nil {
		return nil, err
	}
	return sub, nil
}
