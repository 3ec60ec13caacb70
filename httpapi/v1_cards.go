package httpapi

import (
	"net/http"

	"github.com/paybridge/paybridge/billing"
)

// V1Recurring serves cards on file, autopay, plans, subscriptions and the
// merchant's collection settings.
type V1Recurring struct {
	Service *billing.Service
}

// Routes registers the card, autopay, plan, subscription and billing
// settings endpoints.
func (v *V1Recurring) Routes(rt *Router) {
	h := func(f http.HandlerFunc) http.Handler { return f }
	rt.Handle("GET /v1/customers/{id}/cards", h(v.listCards))
	rt.Handle("POST /v1/customers/{id}/cards", h(v.saveCard))
	rt.Handle("DELETE /v1/customers/{id}/cards/{card}", h(v.removeCard))
	rt.Handle("GET /v1/customers/{id}/autopay", h(v.getAutopay))
	rt.Handle("POST /v1/customers/{id}/autopay", h(v.setAutopay))
	rt.Handle("POST /v1/plans", h(v.createPlan))
	rt.Handle("GET /v1/plans", h(v.listPlans))
	rt.Handle("GET /v1/plans/{id}", h(v.getPlan))
	rt.Handle("POST /v1/subscriptions", h(v.createSubscription))
	rt.Handle("GET /v1/subscriptions", h(v.listSubscriptions))
	rt.Handle("GET /v1/subscriptions/{id}", h(v.getSubscription))
	rt.Handle("POST /v1/subscriptions/{id}", h(v.updateSubscription))
	rt.Handle("POST /v1/subscriptions/{id}/cancel", h(v.cancelSubscription))
	rt.Handle("GET /v1/billing-settings", h(v.getSettings))
	rt.Handle("POST /v1/billing-settings", h(v.setSettings))
}

// answer writes v with status, or the error.
func answer(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, status, v)
}

func (v *V1Recurring) listCards(w http.ResponseWriter, r *http.Request) {
	cards, err := v.Service.ListCards(r.Context(), caller(r), r.PathValue("id"))
	answer(w, r, http.StatusOK, NewList(cards, ""), err)
}

func (v *V1Recurring) saveCard(w http.ResponseWriter, r *http.Request) {
	var in billing.CardInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	card, err := v.Service.SaveCard(r.Context(), caller(r), r.PathValue("id"), in)
	answer(w, r, http.StatusCreated, card, err)
}

func (v *V1Recurring) removeCard(w http.ResponseWriter, r *http.Request) {
	err := v.Service.RemoveCard(r.Context(), caller(r), r.PathValue("id"), r.PathValue("card"))
	answer(w, r, http.StatusOK, map[string]any{"id": r.PathValue("card"), "deleted": true}, err)
}

func (v *V1Recurring) getAutopay(w http.ResponseWriter, r *http.Request) {
	a, err := v.Service.GetAutopay(r.Context(), caller(r), r.PathValue("id"))
	answer(w, r, http.StatusOK, a, err)
}

func (v *V1Recurring) setAutopay(w http.ResponseWriter, r *http.Request) {
	var in billing.AutopayInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	a, err := v.Service.SetAutopay(r.Context(), caller(r), r.PathValue("id"), in)
	answer(w, r, http.StatusOK, a, err)
}
