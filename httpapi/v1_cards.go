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
	rt.HandleFunc("GET /v1/customers/{id}/cards", v.listCards)
	rt.HandleFunc("POST /v1/customers/{id}/cards", v.saveCard)
	rt.HandleFunc("DELETE /v1/customers/{id}/cards/{card}", v.removeCard)
	rt.HandleFunc("GET /v1/customers/{id}/autopay", v.getAutopay)
	rt.HandleFunc("POST /v1/customers/{id}/autopay", v.setAutopay)
	rt.HandleFunc("POST /v1/plans", v.createPlan)
	rt.HandleFunc("GET /v1/plans", v.listPlans)
	rt.HandleFunc("GET /v1/plans/{id}", v.getPlan)
	rt.HandleFunc("POST /v1/subscriptions", v.createSubscription)
	rt.HandleFunc("GET /v1/subscriptions", v.listSubscriptions)
	rt.HandleFunc("GET /v1/subscriptions/{id}", v.getSubscription)
	rt.HandleFunc("POST /v1/subscriptions/{id}", v.updateSubscription)
	rt.HandleFunc("POST /v1/subscriptions/{id}/cancel", v.cancelSubscription)
	rt.HandleFunc("GET /v1/billing-settings", v.getSettings)
	rt.HandleFunc("POST /v1/billing-settings", v.setSettings)
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
