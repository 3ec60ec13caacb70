package cloversim

import (
	"net/http"
	"slices"
	"sort"
	"strconv"

	"github.com/paybridge/paybridge/clover"
)

// recPlan is a recurring plan and the merchant that owns it.
type recPlan struct {
	MerchantID string
	Plan       clover.Plan
}

// recIntervals are the plan intervals Clover accepts.
var recIntervals = []string{"DAY", "WEEK", "MONTH", "YEAR"}

// recMaxAmount is Clover's $999,999.99 cap.
const recMaxAmount = 99_999_999

// registerRecurring serves /recurring/v1 (through the API pipeline: Bearer
// plus X-Clover-Merchant-Id), the test clock and the card-decline switch.
func (s *Sim) registerRecurring() {
	s.mux.HandleFunc("POST /recurring/v1/plans", s.api(s.createPlan))
	s.mux.HandleFunc("GET /recurring/v1/plans", s.api(s.listPlans))
	s.mux.HandleFunc("GET /recurring/v1/plans/{planId}", s.api(s.getPlan))
	s.mux.HandleFunc("PUT /recurring/v1/plans/{planId}", s.api(s.updatePlan))
	s.mux.HandleFunc("DELETE /recurring/v1/plans/{planId}", s.api(s.deletePlan))
	s.mux.HandleFunc("POST /recurring/v1/plans/{planId}/subscriptions", s.api(s.createSubscription))
	s.mux.HandleFunc("GET /recurring/v1/subscriptions", s.api(s.listSubscriptions))
	s.mux.HandleFunc("GET /recurring/v1/subscriptions/{subId}", s.api(s.getSubscription))
	s.mux.HandleFunc("PUT /recurring/v1/subscriptions/{subId}", s.api(s.updateSubscription))
	s.mux.HandleFunc("DELETE /recurring/v1/subscriptions/{subId}", s.api(s.deleteSubscription))
	s.mux.HandleFunc("POST /_sim/cards/{cardId}/decline", s.declineCard)
	s.registerClock()
}

func recBad(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, "invalid_request_error", "invalid_request", format, args...)
}

// recTaxRatesLocked checks that every tax rate exists for m.
func recTaxRatesLocked(m *merchant, ids []string) *apiError {
	for _, id := range ids {
		if _, ok := m.TaxRates[id]; !ok {
			return recBad("Tax rate with id %s not found.", id)
		}
	}
	return nil
}

func recCheckName(name string) *apiError {
	if n := len([]rune(name)); n < 3 || n > 127 {
		return recBad("name must be 3 to 127 characters.")
	}
	return nil
}

func recCheckAmount(field string, v int64, min int64) *apiError {
	if v < min || v > recMaxAmount {
		return recBad("%s must be between %d and %d.", field, min, recMaxAmount)
	}
	return nil
}

func (s *Sim) createPlan(r *http.Request, c *call) (int, any, *apiError) {
	var p clover.PlanParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	if e := recCheckName(p.Name); e != nil {
		return 0, nil, e
	}
	if e := recCheckAmount("amount", p.Amount, 1); e != nil {
		return 0, nil, e
	}
	if e := recCheckAmount("tipAmount", p.TipAmount, 0); e != nil {
		return 0, nil, e
	}
	if !slices.Contains(recIntervals, p.Interval) {
		return 0, nil, recBad("interval must be one of DAY, WEEK, MONTH, YEAR.")
	}
	if p.IntervalCount < 1 {
		return 0, nil, recBad("intervalCount must be at least 1.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := recTaxRatesLocked(c.M, p.TaxRateUUIDs); e != nil {
		return 0, nil, e
	}
	now := cloverTime(s.nowLocked())
	pl := &recPlan{MerchantID: c.M.ID, Plan: clover.Plan{
		ID: NewID(), Object: "plan", Name: p.Name, Amount: p.Amount, Active: p.Active == nil || *p.Active,
		Interval: p.Interval, IntervalCount: p.IntervalCount, Note: p.Note, TaxRateUUIDs: p.TaxRateUUIDs,
		TipAmount: p.TipAmount, CreatedTime: now, ModifiedTime: now, MerchantID: c.M.ID, DeveloperAppID: s.app.ID,
	}}
	s.ext.plans[pl.Plan.ID] = pl
	return http.StatusOK, pl.Plan, nil
}

// planLocked finds a plan of m, or answers 404.
func (s *Sim) planLocked(m *merchant, id string) (*recPlan, *apiError) {
	pl := s.ext.plans[id]
	if pl == nil || pl.MerchantID != m.ID {
		return nil, errf(http.StatusNotFound, "invalid_request_error", "resource_missing", "Plan with id %s not found.", id)
	}
	return pl, nil
}

func (s *Sim) getPlan(r *http.Request, c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pl, e := s.planLocked(c.M, r.PathValue("planId"))
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, pl.Plan, nil
}

// listPlans answers a bare array, filtered by interval and intervalCount.
func (s *Sim) listPlans(r *http.Request, c *call) (int, any, *apiError) {
	q := r.URL.Query()
	interval, count := q.Get("interval"), 0
	if interval != "" && !slices.Contains(recIntervals, interval) {
		return 0, nil, recBad("interval must be one of DAY, WEEK, MONTH, YEAR.")
	}
	if v := q.Get("intervalCount"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, nil, recBad("intervalCount must be a positive integer.")
		}
		count = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []clover.Plan{}
	for _, pl := range s.ext.plans {
		p := pl.Plan
		if pl.MerchantID != c.M.ID || (interval != "" && p.Interval != interval) || (count != 0 && p.IntervalCount != count) {
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].CreatedTime+out[i].ID < out[j].CreatedTime+out[j].ID
	})
	return http.StatusOK, out, nil
}

// updatePlan changes a plan's name, amount, note, taxes, tip or active
// flag; interval and intervalCount are fixed once created, and a plan with
// an active subscription cannot be deactivated.
func (s *Sim) updatePlan(r *http.Request, c *call) (int, any, *apiError) {
	var p clover.PlanParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pl, e := s.planLocked(c.M, r.PathValue("planId"))
	if e != nil {
		return 0, nil, e
	}
	cur := &pl.Plan
	if (p.Interval != "" && p.Interval != cur.Interval) || (p.IntervalCount != 0 && p.IntervalCount != cur.IntervalCount) {
		return 0, nil, recBad("interval and intervalCount of a plan cannot be changed.")
	}
	if p.Name != "" {
		if e := recCheckName(p.Name); e != nil {
			return 0, nil, e
		}
	}
	if p.Amount != 0 {
		if e := recCheckAmount("amount", p.Amount, 1); e != nil {
			return 0, nil, e
		}
	}
	if e := recCheckAmount("tipAmount", p.TipAmount, 0); e != nil {
		return 0, nil, e
	}
	if e := recTaxRatesLocked(c.M, p.TaxRateUUIDs); e != nil {
		return 0, nil, e
	}
	if p.Active != nil && !*p.Active && cur.Active {
		for _, sub := range s.ext.subs {
			if sub.PlanID == cur.ID && sub.Sub.Active {
				return 0, nil, recBad("Plan %s has active subscriptions and cannot be deactivated.", cur.ID)
			}
		}
	}
	if p.Name != "" {
		cur.Name = p.Name
	}
	if p.Amount != 0 {
		cur.Amount = p.Amount
	}
	if p.Note != "" {
		cur.Note = p.Note
	}
	if p.TaxRateUUIDs != nil {
		cur.TaxRateUUIDs = p.TaxRateUUIDs
	}
	if p.TipAmount != 0 {
		cur.TipAmount = p.TipAmount
	}
	if p.Active != nil {
		cur.Active = *p.Active
	}
	cur.ModifiedTime = cloverTime(s.nowLocked())
	return http.StatusOK, *cur, nil
}

// deletePlan is DELETE /recurring/v1/plans/{planId}: refused while a
// subscription of the plan is active ("You can only delete plans that don't
// have active subscriptions", Clover's dashboard help); the answer is the
// plan with deletedTime (the shape a third party derived from Clover's
// reference; UNCONFIRMED), and the plan is gone from reads afterwards.
func (s *Sim) deletePlan(r *http.Request, c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pl, e := s.planLocked(c.M, r.PathValue("planId"))
	if e != nil {
		return 0, nil, e
	}
	for _, sub := range s.ext.subs {
		if sub.PlanID == pl.Plan.ID && sub.Sub.Active {
			return 0, nil, recBad("Plan %s has active subscriptions and cannot be deleted.", pl.Plan.ID)
		}
	}
	delete(s.ext.plans, pl.Plan.ID)
	v := pl.Plan
	v.Active, v.DeletedTime = false, cloverTime(s.nowLocked())
	return http.StatusOK, v, nil
}

// SetCardDeclining makes a saved card decline every charge from now on
// (decline true) or behave as its number says again (false). It simulates a
// card that "starts declining" (expired, cancelled, over limit). It reports
// whether the card exists.
func (s *Sim) SetCardDeclining(cardID string, decline bool) bool {
	defer s.direct()()
	return s.setCardDeclining(cardID, decline)
}

func (s *Sim) setCardDeclining(cardID string, decline bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.merchants {
		sc := m.Cards[cardID]
		if sc == nil {
			continue
		}
		orig, forced := s.ext.declined[cardID]
		switch {
		case decline && !forced:
			s.ext.declined[cardID] = sc.Number
			sc.Number = recDeclineCard
		case !decline && forced:
			sc.Number = orig
			delete(s.ext.declined, cardID)
		}
		return true
	}
	return false
}

// recDeclineCard is Clover's sandbox decline card (CLOVER.md §3); a card
// forced to decline is charged as if it had this number.
const recDeclineCard = "4005571702222222"

func (s *Sim) declineCard(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Decline *bool `json:"decline"`
	}
	if err := extDecode(r, &req); err != nil || req.Decline == nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", `Body must be {"decline":true|false}.`)
		return
	}
	id := r.PathValue("cardId")
	if !s.setCardDeclining(id, *req.Decline) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "resource_missing", "Card with id "+id+" not found.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "decline": *req.Decline})
}
