package httpapi

import (
	"net/http"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

func (v *V1) createRefund(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var in billing.RefundInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	re, err := v.Service.CreateRefund(r.Context(), caller(r), in)
	if err != nil {
		id := in.PaymentID
		ext := map[string]any{}
		if re != nil {
			id = re.ID
			ext["refund_id"] = re.ID
		}
		v.audit(r, id, StatusOf(err), err, start)
		WriteErrorWith(w, r, err, ext)
		return
	}
	v.audit(r, re.ID, http.StatusCreated, nil, start)
	WriteJSON(w, r, http.StatusCreated, re)
}

func (v *V1) getRefund(w http.ResponseWriter, r *http.Request) {
	re, err := v.Service.GetRefund(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, re)
}

func (v *V1) listRefunds(w http.ResponseWriter, r *http.Request) {
	cursor, limit, err := listParams(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	list, next, err := v.Service.ListRefunds(r.Context(), caller(r), paybridge.RefundFilter{
		PaymentID: q.Get("payment_id"), InvoiceID: q.Get("invoice_id"), Cursor: cursor, Limit: limit,
	})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, NewList(list, next))
}
