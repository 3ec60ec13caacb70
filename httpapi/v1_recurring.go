package httpapi

import (
	"net/http"

	"github.com/paybridge/paybridge/billing"
)

func (v *V1Recurring) createPlan(w http.ResponseWriter, r *http.Request) {
	var in billing.PlanInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	p, err := v.Service.CreatePlan(r.Context(), caller(r), in)
	answer(w, r, http.StatusCreated, p, err)
}

func (v *V1Recurring) listPlans(w http.ResponseWriter, r *http.Request) {
	ps, err := v.Service.ListPlans(r.Context(), caller(r))
	answer(w, r, http.StatusOK, NewList(ps, ""), err)
}

func (v *V1Recurring) getPlan(w http.ResponseWriter, r *http.Request) {
	p, err := v.Service.GetPlan(r.Context(), caller(r), r.PathValue("id"))
	answer(w, r, http.StatusOK, p, err)
}

func (v *V1Recurring) createSubscription(w http.ResponseWriter, r *http.Request) {
	var in billing.SubscriptionInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	s, err := v.Service.CreateSubscription(r.Context(), caller(r), in)
	answer(w, r, http.StatusCreated, s, err)
}

func (v *V1Recurring) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	ss, err := v.Service.ListSubscriptions(r.Context(), caller(r), r.URL.Query().Get("customer_id"))
	answer(w, r, http.StatusOK, NewList(ss, ""), err)
}

func (v *V1Recurring) getSubscription(w http.ResponseWriter, r *http.Request) {
	s, err := v.Service.GetSubscription(r.Context(), caller(r), r.PathValue("id"))
	answer(w, r, http.StatusOK, s, err)
}

func (v *V1Recurring) updateSubscription(w http.ResponseWriter, r *http.Request) {
	var in billing.SubscriptionUpdate
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	s, err := v.Service.UpdateSubscription(r.Context(), caller(r), r.PathValue("id"), in)
	answer(w, r, http.StatusOK, s, err)
}

func (v *V1Recurring) cancelSubscription(w http.ResponseWriter, r *http.Request) {
	if err := DecodeOptional(w, r, &struct{}{}); err != nil {
		WriteError(w, r, err)
		return
	}
	s, err := v.Service.CancelSubscription(r.Context(), caller(r), r.PathValue("id"))
	answer(w, r, http.StatusOK, s, err)
}

func (v *V1Recurring) getSettings(w http.ResponseWriter, r *http.Request) {
	s, err := v.Service.GetBillingSettings(r.Context(), caller(r))
	answer(w, r, http.StatusOK, s, err)
}

func (v *V1Recurring) setSettings(w http.ResponseWriter, r *http.Request) {
	var in billing.SettingsInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	s, err := v.Service.SetBillingSettings(r.Context(), caller(r), in)
	answer(w, r, http.StatusOK, s, err)
}
