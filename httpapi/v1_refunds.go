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
	id := in.PaymentID
	if re != nil {
		id = re.ID
	}
	v.audit(r, id, writeRefund(w, r, re, err), err, start)
}

// writeRefund writes the answer to a refund request and returns its
// status: 201 with a definite refund, 202 with one still in flight, or the
// problem (with refund_id when the refund was recorded).
func writeRefund(w http.ResponseWriter, r *http.Request, re *paybridge.Refund, err error) int {
	switch {
	case err != nil:
		ext := map[string]any{}
		if re != nil {
			ext["refund_id"] = re.ID
		}
		WriteErrorWith(w, r, err, ext)
		return StatusOf(err)
	case re.Status == paybridge.RefundPending || re.Status == paybridge.RefundUnknown:
		WriteJSON(w, r, http.StatusAccepted, re)
		return http.StatusAccepted
	}
	WriteJSON(w, r, http.StatusCreated, re)
	return http.StatusCreated
}

func (v *V1) getRefund(w http.ResponseWriter, r *http.Request) {
	ex, err := parseExpand(r, "refund")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	re, err := v.Service.GetRefund(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out, err := v.expandRefund(r.Context(), caller(r), re, ex)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, out)
}

func (v *V1) listRefunds(w http.ResponseWriter, r *http.Request) {
	lq, err := parseList(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	ex, err := parseExpand(r, "refund")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	q, c := r.URL.Query(), caller(r)
	list, next, err := v.Service.ListRefunds(r.Context(), c, paybridge.RefundFilter{
		PaymentID: q.Get("payment_id"), InvoiceID: q.Get("invoice_id"), Status: paybridge.RefundStatus(q.Get("status")),
		Cursor: lq.Cursor, Limit: lq.Limit, Order: lq.Order, Created: lq.Created,
	})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out, err := expandAll(list, func(re *paybridge.Refund) (refundJSON, error) {
		return v.expandRefund(r.Context(), c, re, ex)
	})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, NewList(out, next))
}
