package httpapi

import (
	"net/http"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// invoiceJSON adds the derived amount_due to an invoice, and the relations
// expand[] asked for.
type invoiceJSON struct {
	*paybridge.Invoice
	AmountDue int64                     `json:"amount_due"`
	Customer  *paybridge.Customer       `json:"customer,omitempty"`
	Payments  *List[*paybridge.Payment] `json:"payments,omitempty"`
	Refunds   *List[*paybridge.Refund]  `json:"refunds,omitempty"`
}

func invoiceOut(inv *paybridge.Invoice) invoiceJSON {
	return invoiceJSON{Invoice: inv, AmountDue: inv.AmountDue()}
}

func (v *V1) createInvoice(w http.ResponseWriter, r *http.Request) {
	var in billing.InvoiceInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	inv, err := v.Service.CreateInvoice(r.Context(), caller(r), in)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusCreated, invoiceOut(inv))
}

func (v *V1) getInvoice(w http.ResponseWriter, r *http.Request) {
	ex, err := parseExpand(r, "invoice")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	inv, err := v.Service.GetInvoice(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out, err := v.expandInvoice(r.Context(), caller(r), inv, ex)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, out)
}

func (v *V1) listInvoices(w http.ResponseWriter, r *http.Request) {
	lq, err := parseList(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	ex, err := parseExpand(r, "invoice")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	q, c := r.URL.Query(), caller(r)
	list, next, err := v.Service.ListInvoices(r.Context(), c, paybridge.InvoiceFilter{
		Status: paybridge.InvoiceStatus(q.Get("status")), CustomerID: q.Get("customer_id"),
		Cursor: lq.Cursor, Limit: lq.Limit, Order: lq.Order, Created: lq.Created,
	})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out, err := expandAll(list, func(inv *paybridge.Invoice) (invoiceJSON, error) {
		return v.expandInvoice(r.Context(), c, inv, ex)
	})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, NewList(out, next))
}

func (v *V1) voidInvoice(w http.ResponseWriter, r *http.Request) {
	if err := DecodeOptional(w, r, &struct{}{}); err != nil {
		WriteError(w, r, err)
		return
	}
	inv, err := v.Service.VoidInvoice(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, invoiceOut(inv))
}

func (v *V1) payInvoice(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var in billing.PayInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	p, err := v.Service.PayInvoice(r.Context(), caller(r), r.PathValue("id"), in)
	v.respondPayment(w, r, p, err, start)
}

func (v *V1) createReturn(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var in billing.ReturnInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	ret, err := v.Service.CreateReturn(r.Context(), caller(r), r.PathValue("id"), in)
	id := r.PathValue("id")
	if ret != nil {
		id = ret.ID
	}
	if err != nil {
		v.audit(r, id, StatusOf(err), err, start)
		WriteError(w, r, err)
		return
	}
	v.audit(r, ret.ID, http.StatusCreated, nil, start)
	WriteJSON(w, r, http.StatusCreated, ret)
}

func (v *V1) listReturns(w http.ResponseWriter, r *http.Request) {
	list, err := v.Service.ListReturns(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, NewList(list, ""))
}
