package httpapi

import (
	"net/http"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// respondPayment answers a money-moving payment request and audits it.
func (v *V1) respondPayment(w http.ResponseWriter, r *http.Request, p *paybridge.Payment, err error, start time.Time) {
	id := ""
	if p != nil {
		id = p.ID
	}
	v.audit(r, id, writePayment(w, r, p, err), err, start)
}

// writePayment writes the answer to a payment request and returns its
// status: 201 with a definite payment; 202 with a payment still in flight
// (Clover did not answer within the bound: the outcome comes by webhook,
// GET, or a retry with the same Idempotency-Key); or the problem of a
// refused payment, which is still a recorded payment: the problem carries
// its id (payment_id) so the CRM can show or retry it. Recovery renders
// the answers of orphaned Idempotency-Keys with it too.
func writePayment(w http.ResponseWriter, r *http.Request, p *paybridge.Payment, err error) int {
	switch {
	case err != nil && p != nil:
		WriteErrorWith(w, r, err, map[string]any{"payment_id": p.ID, "payment_status": p.Status})
		return StatusOf(err)
	case err != nil:
		WriteError(w, r, err)
		return StatusOf(err)
	case p.Status.InFlight():
		WriteJSON(w, r, http.StatusAccepted, p)
		return http.StatusAccepted
	}
	WriteJSON(w, r, http.StatusCreated, p)
	return http.StatusCreated
}

func (v *V1) createPayment(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var in billing.PaymentInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	p, err := v.Service.CreatePayment(r.Context(), caller(r), in)
	v.respondPayment(w, r, p, err, start)
}

func (v *V1) getPayment(w http.ResponseWriter, r *http.Request) {
	ex, err := parseExpand(r, "payment")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	p, err := v.Service.GetPayment(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out, err := v.expandPayment(r.Context(), caller(r), p, ex)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, out)
}

func (v *V1) listPayments(w http.ResponseWriter, r *http.Request) {
	lq, err := parseList(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	ex, err := parseExpand(r, "payment")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	q, c := r.URL.Query(), caller(r)
	list, next, err := v.Service.ListPayments(r.Context(), c, paybridge.PaymentFilter{
		InvoiceID: q.Get("invoice_id"), CustomerID: q.Get("customer_id"), Status: paybridge.PaymentStatus(q.Get("status")),
		Cursor: lq.Cursor, Limit: lq.Limit, Order: lq.Order, Created: lq.Created,
	})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out, err := expandAll(list, func(p *paybridge.Payment) (paymentJSON, error) {
		return v.expandPayment(r.Context(), c, p, ex)
	})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, NewList(out, next))
}

func (v *V1) capturePayment(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var in billing.CaptureInput
	if err := DecodeOptional(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	p, err := v.Service.CapturePayment(r.Context(), caller(r), r.PathValue("id"), in)
	v.respondFollowUp(w, r, p, err, start)
}

func (v *V1) voidPayment(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if err := DecodeOptional(w, r, &struct{}{}); err != nil {
		WriteError(w, r, err)
		return
	}
	p, err := v.Service.VoidPayment(r.Context(), caller(r), r.PathValue("id"))
	v.respondFollowUp(w, r, p, err, start)
}

// respondFollowUp answers capture and void: 200 with the payment.
func (v *V1) respondFollowUp(w http.ResponseWriter, r *http.Request, p *paybridge.Payment, err error, start time.Time) {
	if err != nil {
		v.audit(r, r.PathValue("id"), StatusOf(err), err, start)
		WriteError(w, r, err)
		return
	}
	v.audit(r, p.ID, http.StatusOK, nil, start)
	WriteJSON(w, r, http.StatusOK, p)
}
