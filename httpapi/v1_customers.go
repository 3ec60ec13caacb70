package httpapi

import (
	"net/http"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

func (v *V1) createCustomer(w http.ResponseWriter, r *http.Request) {
	var in billing.CustomerInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	cu, err := v.Service.CreateCustomer(r.Context(), caller(r), in)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusCreated, cu)
}

func (v *V1) getCustomer(w http.ResponseWriter, r *http.Request) {
	cu, err := v.Service.GetCustomer(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, cu)
}

func (v *V1) updateCustomer(w http.ResponseWriter, r *http.Request) {
	var in billing.CustomerUpdate
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	cu, err := v.Service.UpdateCustomer(r.Context(), caller(r), r.PathValue("id"), in)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, cu)
}

func (v *V1) listCustomers(w http.ResponseWriter, r *http.Request) {
	lq, err := parseList(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	list, next, err := v.Service.ListCustomers(r.Context(), caller(r), paybridge.CustomerFilter{Email: r.URL.Query().Get("email"),
		Cursor: lq.Cursor, Limit: lq.Limit, Order: lq.Order, Created: lq.Created})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, NewList(list, next))
}
