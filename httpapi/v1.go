package httpapi

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// V1 serves the /v1 resources of DESIGN.md §5 over the billing service.
// Routes registers its handlers on a Router, which authenticates them and
// applies Idempotency-Key semantics to their POSTs.
type V1 struct {
	Service *billing.Service
	Store   paybridge.Store // audit log reads
	Logger  *slog.Logger
}

// Routes registers every /v1 resource route on rt.
func (v *V1) Routes(mux *Router) {
	mux.HandleFunc("POST /v1/customers", v.createCustomer)
	mux.HandleFunc("GET /v1/customers", v.listCustomers)
	mux.HandleFunc("GET /v1/customers/{id}", v.getCustomer)
	mux.HandleFunc("POST /v1/customers/{id}", v.updateCustomer)

	mux.HandleFunc("POST /v1/invoices", v.createInvoice)
	mux.HandleFunc("GET /v1/invoices", v.listInvoices)
	mux.HandleFunc("GET /v1/invoices/{id}", v.getInvoice)
	mux.HandleFunc("POST /v1/invoices/{id}/void", v.voidInvoice)
	mux.HandleFunc("POST /v1/invoices/{id}/payments", v.payInvoice)
	mux.HandleFunc("POST /v1/invoices/{id}/returns", v.createReturn)
	mux.HandleFunc("GET /v1/invoices/{id}/returns", v.listReturns)

	mux.HandleFunc("POST /v1/payments", v.createPayment)
	mux.HandleFunc("GET /v1/payments", v.listPayments)
	mux.HandleFunc("GET /v1/payments/{id}", v.getPayment)
	mux.HandleFunc("POST /v1/payments/{id}/capture", v.capturePayment)
	mux.HandleFunc("POST /v1/payments/{id}/void", v.voidPayment)

	mux.HandleFunc("POST /v1/refunds", v.createRefund)
	mux.HandleFunc("GET /v1/refunds", v.listRefunds)
	mux.HandleFunc("GET /v1/refunds/{id}", v.getRefund)

	mux.HandleFunc("GET /v1/audit-log", v.listAudit)
}

// caller is the billing.Caller of an authenticated request.
func caller(r *http.Request) billing.Caller {
	// No ClientIP: the API's peer is the CRM's server, not the paying
	// customer; the CRM passes the customer's address as client_ip.
	c := billing.Caller{RequestID: RequestIDFrom(r.Context())}
	if cl, ok := ClaimsFrom(r.Context()); ok {
		c.MerchantID, c.Actor = cl.MerchantID, "api:"+cl.ID
	}
	return c
}

// audit records a money-moving API request: who, what, outcome, latency.
// It is queued to the batched audit log, never a cause of a failed payment.
func (v *V1) audit(r *http.Request, objectID string, status int, err error, start time.Time) {
	c := caller(r)
	outcome := strconv.Itoa(status)
	if code := paybridge.ErrorCode(err); code != "" {
		outcome += " " + code
	}
	e := &paybridge.AuditEntry{
		ID: paybridge.NewID(paybridge.PrefixAudit), MerchantID: c.MerchantID, Actor: c.Actor,
		Action: "api " + r.Method + " " + r.Pattern[len(r.Method)+1:], ObjectID: objectID, Outcome: outcome,
		LatencyMS: time.Since(start).Milliseconds(), RequestID: c.RequestID,
		IdempotencyKey: r.Header.Get("Idempotency-Key"), CreatedAt: time.Now().UTC(),
	}
	v.Service.Audit.Record(e)
}

func (v *V1) listAudit(w http.ResponseWriter, r *http.Request) {
	lq, err := parseList(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	entries, next, err := v.Store.ListAudit(r.Context(), caller(r).MerchantID, paybridge.AuditFilter{ObjectID: r.URL.Query().Get("object_id"),
		Cursor: lq.Cursor, Limit: lq.Limit, Order: lq.Order, Created: lq.Created})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, NewList(entries, next))
}
