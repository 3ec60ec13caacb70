// Package storetest is the conformance suite every paybridge.Store
// implementation runs: one set of tests, every engine, so SQLite and
// PostgreSQL cannot drift apart.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
)

// Run runs the whole suite. open returns a fresh, migrated, empty store
// for one test and arranges its cleanup; it is called once per subtest, and
// subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) paybridge.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s paybridge.Store)
	}{
		{"Merchants", testMerchants},
		{"Customers", testCustomers},
		{"CustomerEmailSearch", testCustomerEmailSearch},
		{"Invoices", testInvoices},
		{"InvoiceNumbers", testInvoiceNumbers},
		{"InvoiceUpdateStale", testInvoiceUpdateStale},
		{"InvoiceLineItemsUpdate", testInvoiceLineItemsUpdate},
		{"InvoiceManyLines", testInvoiceManyLines},
		{"Pagination", testPagination},
		{"PaginationLimits", testPaginationLimits},
		{"CrossMerchant", testCrossMerchant},
		{"Payments", testPayments},
		{"OnePaymentInFlight", testOnePaymentInFlight},
		{"OnePaymentInFlightConcurrent", testOnePaymentInFlightConcurrent},
		{"ApplyPayment", testApplyPayment},
		{"ApplyPaymentErrors", testApplyPaymentErrors},
		{"ApplyPaymentConcurrent", testApplyPaymentConcurrent},
		{"DuePayments", testDuePayments},
		{"Refunds", testRefunds},
		{"RefundsConcurrent", testRefundsConcurrent},
		{"InvoiceMoneyConcurrent", testInvoiceMoneyConcurrent},
		{"ApplyRefundFailed", testApplyRefundFailed},
		{"DueRefunds", testDueRefunds},
		{"Returns", testReturns},
		{"ReturnsFailedAndDue", testReturnsFailedAndDue},
		{"Audit", testAudit},
		{"AuditBatch", testAuditBatch},
		{"Idempotency", testIdempotency},
		{"IdempotencyPurge", testIdempotencyPurge},
		{"IdempotencyConcurrent", testIdempotencyConcurrent},
		{"Ping", testPing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// t0 is the suite's fixed "now": far from the epoch so micros never hit 0.
var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// wantErr fails t unless err is a *paybridge.Error of kind and (when not
// "") code.
func wantErr(t *testing.T, err error, kind, code string) {
	t.Helper()
	var pe *paybridge.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *paybridge.Error of kind %s", err, kind)
	}
	if pe.Kind != kind || (code != "" && paybridge.ErrorCode(err) != code) {
		t.Fatalf("err = %v (kind %s, code %s), want kind %s code %s", err, pe.Kind, paybridge.ErrorCode(err), kind, code)
	}
}

// ok fails t on err.
func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newMerchant stores a merchant with unique ids.
func newMerchant(t *testing.T, s paybridge.Store) *paybridge.Merchant {
	t.Helper()
	id := paybridge.NewID(paybridge.PrefixMerchant)
	m := &paybridge.Merchant{ID: id, CloverMerchantID: "CM" + id[4:15], Name: "Shop " + id[4:8],
		Currency: "usd", Status: paybridge.MerchantActive, PAKMSKey: "pk_" + id[4:10]}
	ok(t, s.CreateMerchant(context.Background(), m, []byte("sealed:"+id)))
	return m
}

// newCustomer stores a customer of m.
func newCustomer(t *testing.T, s paybridge.Store, m *paybridge.Merchant) *paybridge.Customer {
	t.Helper()
	c := &paybridge.Customer{MerchantID: m.ID, Email: "Pat@Example.com", Name: "Pat", Phone: "+15550100",
		Metadata: map[string]string{"crm_id": "42"}}
	ok(t, s.CreateCustomer(context.Background(), c))
	return c
}

// newInvoice stores an open invoice of m for c: 2×10.00 untaxed plus
// 1×5.00 at 10%: subtotal 2500, tax 50, total 2550.
func newInvoice(t *testing.T, s paybridge.Store, m *paybridge.Merchant, c *paybridge.Customer) *paybridge.Invoice {
	t.Helper()
	inv := &paybridge.Invoice{MerchantID: m.ID, CustomerID: c.ID, Currency: "usd", Status: paybridge.InvoiceOpen,
		AllowPartial: true, AllowTip: true, DueDate: "2026-12-01", Metadata: map[string]string{"job": "7"},
		LineItems: []paybridge.LineItem{
			{Description: "Labour", Quantity: 2, UnitAmount: 1000},
			{Description: "Part", Quantity: 1, UnitAmount: 500, TaxRateBPS: 1000},
		}}
	inv.ComputeTotals()
	ok(t, s.CreateInvoice(context.Background(), inv))
	return inv
}

// newPayment stores a pending payment of amount on inv (or none when nil).
func newPayment(t *testing.T, s paybridge.Store, m *paybridge.Merchant, inv *paybridge.Invoice, amount int64) *paybridge.Payment {
	t.Helper()
	p := pendingPayment(m, inv, amount)
	ok(t, s.CreatePayment(context.Background(), p))
	return p
}

// pendingPayment builds (does not store) a pending token payment.
func pendingPayment(m *paybridge.Merchant, inv *paybridge.Invoice, amount int64) *paybridge.Payment {
	p := &paybridge.Payment{MerchantID: m.ID, Status: paybridge.PaymentPending, Method: paybridge.MethodToken,
		Route: paybridge.RouteCharge, Amount: amount, Currency: "usd", Capture: true, Source: "clv_test",
		IdempotencyKey: paybridge.NewID("idem_"), ClientIP: "203.0.113.9"}
	if inv != nil {
		p.InvoiceID, p.CustomerID = inv.ID, inv.CustomerID
	}
	return p
}

// succeed moves a pending payment to succeeded and returns its invoice.
func succeed(t *testing.T, s paybridge.Store, p *paybridge.Payment) *paybridge.Invoice {
	t.Helper()
	p.Status = paybridge.PaymentSucceeded
	p.CloverChargeID = "CH" + p.ID[4:12]
	p.Card = &paybridge.CardSummary{Brand: "VISA", Last4: "4242", ExpMonth: "12", ExpYear: "2030"}
	p.Source = ""
	inv, err := s.ApplyPayment(context.Background(), p, paybridge.PaymentPending, t0)
	ok(t, err)
	return inv
}

// paidPayment is a succeeded payment of amount on inv.
func paidPayment(t *testing.T, s paybridge.Store, m *paybridge.Merchant, inv *paybridge.Invoice, amount int64) *paybridge.Payment {
	t.Helper()
	p := newPayment(t, s, m, inv, amount)
	succeed(t, s, p)
	return p
}

// unique returns a label unique to this call, for keys.
func unique(prefix string, i int) string { return fmt.Sprintf("%s-%d", prefix, i) }

func testPing(t *testing.T, s paybridge.Store) {
	ok(t, s.Ping(context.Background()))
}
