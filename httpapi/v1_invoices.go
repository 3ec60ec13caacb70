package httpapi

import (
	"net/http"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// invoiceJSON adds the derived amount_due to an invoice.
type invoiceJSON struct {
	*paybridge.Invoice
	AmountDue int64 `json:"amount_due"`
}

func invoiceOut(inv *paybridge.Invoice) invoiceJSON { return invoiceJSON{inv, inv.AmountDue()} }

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
	inv, err := v.Service.GetInvoice(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, invoiceOut(inv))
}

func (v *V1) listInvoices(w http.ResponseWriter, r *http.Request) {
	cursor, limit, err := listParams(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	list, next, err := v.Service.ListInvoices(r.Context(), caller(r), paybridge.InvoiceFilter{
		Status: paybridge.InvoiceStatus(q.Get("status")), CustomerID: q.Get("customer_id"), Cursor: cursor, Limit: limit,
	})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out := make([]invoiceJSON, len(list))
	for i, inv := range list {
		out[i] = invoiceOut(inv)
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
