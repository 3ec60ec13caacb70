package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// expandable lists, per object, the relations expand[] fills in: the
// lookups a CRM makes together (a payment's invoice and refunds, an
// invoice's customer and payments). One level deep: an expanded object's
// own relations stay ids. Sub-lists are their first 100, with has_more and
// next_cursor for the rest (GET /v1/refunds?payment_id=…&cursor=…).
var expandable = map[string][]string{
	"payment": {"customer", "invoice", "refunds"},
	"invoice": {"customer", "payments", "refunds"},
	"refund":  {"invoice", "payment"},
}

// expandSubListLimit is how many items an expanded sub-list carries.
const expandSubListLimit = 100

// expansion is the set of relations a request asked for.
type expansion map[string]bool

// parseExpand reads expand[] for an object kind. On a list the names apply
// to every item (one spelling for both, unlike Stripe's data.invoice). An
// unsupported name is a 400, never ignored.
func parseExpand(r *http.Request, kind string) (expansion, error) {
	names := r.URL.Query()["expand[]"]
	if len(names) == 0 {
		return nil, nil
	}
	ex := expansion{}
	for _, n := range names {
		ok := false
		for _, e := range expandable[kind] {
			ok = ok || e == n
		}
		if !ok {
			return nil, paybridge.Errorf(paybridge.EINVALID, "expand[]", "a %s cannot expand %q; it expands %s (one level deep)",
				kind, truncateName(n), strings.Join(expandable[kind], ", ")).WithCode("invalid_expand")
		}
		ex[n] = true
	}
	return ex, nil
}

// paymentJSON is a payment with the relations expand[] asked for.
type paymentJSON struct {
	*paybridge.Payment
	Customer *paybridge.Customer      `json:"customer,omitempty"`
	Invoice  *invoiceJSON             `json:"invoice,omitempty"`
	Refunds  *List[*paybridge.Refund] `json:"refunds,omitempty"`
}

// refundJSON is a refund with the relations expand[] asked for.
type refundJSON struct {
	*paybridge.Refund
	Payment *paybridge.Payment `json:"payment,omitempty"`
	Invoice *invoiceJSON       `json:"invoice,omitempty"`
}

func (v *V1) expandPayment(ctx context.Context, c billing.Caller, p *paybridge.Payment, ex expansion) (paymentJSON, error) {
	out := paymentJSON{Payment: p}
	var err error
	if ex["customer"] && p.CustomerID != "" {
		if out.Customer, err = v.Service.GetCustomer(ctx, c, p.CustomerID); err != nil {
			return out, err
		}
	}
	if ex["invoice"] && p.InvoiceID != "" {
		inv, err := v.Service.GetInvoice(ctx, c, p.InvoiceID)
		if err != nil {
			return out, err
		}
		j := invoiceOut(inv)
		out.Invoice = &j
	}
	if ex["refunds"] {
		if out.Refunds, err = v.refundsOf(ctx, c, paybridge.RefundFilter{PaymentID: p.ID}); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (v *V1) expandInvoice(ctx context.Context, c billing.Caller, inv *paybridge.Invoice, ex expansion) (invoiceJSON, error) {
	out := invoiceOut(inv)
	var err error
	if ex["customer"] {
		if out.Customer, err = v.Service.GetCustomer(ctx, c, inv.CustomerID); err != nil {
			return out, err
		}
	}
	if ex["payments"] {
		ps, next, err := v.Service.ListPayments(ctx, c, paybridge.PaymentFilter{InvoiceID: inv.ID, Limit: expandSubListLimit})
		if err != nil {
			return out, err
		}
		l := NewList(ps, next)
		out.Payments = &l
	}
	if ex["refunds"] {
		if out.Refunds, err = v.refundsOf(ctx, c, paybridge.RefundFilter{InvoiceID: inv.ID}); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (v *V1) expandRefund(ctx context.Context, c billing.Caller, re *paybridge.Refund, ex expansion) (refundJSON, error) {
	out := refundJSON{Refund: re}
	var err error
	if ex["payment"] {
		if out.Payment, err = v.Service.GetPayment(ctx, c, re.PaymentID); err != nil {
			return out, err
		}
	}
	if ex["invoice"] && re.InvoiceID != "" {
		inv, err := v.Service.GetInvoice(ctx, c, re.InvoiceID)
		if err != nil {
			return out, err
		}
		j := invoiceOut(inv)
		out.Invoice = &j
	}
	return out, nil
}

func (v *V1) refundsOf(ctx context.Context, c billing.Caller, f paybridge.RefundFilter) (*List[*paybridge.Refund], error) {
	f.Limit = expandSubListLimit
	rs, next, err := v.Service.ListRefunds(ctx, c, f)
	if err != nil {
		return nil, err
	}
	l := NewList(rs, next)
	return &l, nil
}

// expandAll applies expand to every item of a list page.
func expandAll[T, J any](items []T, expand func(T) (J, error)) ([]J, error) {
	out := make([]J, len(items))
	for i, it := range items {
		var err error
		if out[i], err = expand(it); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// truncateName bounds a client-chosen name echoed in an error message.
func truncateName(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
