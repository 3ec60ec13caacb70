package storetest

import (
	"context"
	"testing"

	"github.com/paybridge/paybridge"
)

// testCrossMerchant checks merchant B never sees or touches merchant A's
// objects: every getter, list and write answers as if they did not exist.
func testCrossMerchant(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	a, b := newMerchant(t, s), newMerchant(t, s)
	cb := newCustomer(t, s, b)
	ca := newCustomer(t, s, a)
	inv := newInvoice(t, s, a, ca)
	pay := paidPayment(t, s, a, inv, 1000)
	ref := &paybridge.Refund{MerchantID: a.ID, PaymentID: pay.ID, Amount: 100, Currency: "usd"}
	ok(t, s.CreateRefund(ctx, ref))
	ret := &paybridge.Return{MerchantID: a.ID, InvoiceID: inv.ID, Amount: 550, Currency: "usd",
		Items: []paybridge.ReturnItem{{LineItemID: inv.LineItems[1].ID, Quantity: 1, Amount: 550}}}
	ok(t, s.CreateReturn(ctx, ret))
	ok(t, s.AppendAudit(ctx, &paybridge.AuditEntry{MerchantID: a.ID, Actor: "x", Action: "y", ObjectID: pay.ID, Outcome: "201"}))
	_, err := s.BeginIdempotent(ctx, &paybridge.IdempotencyRecord{MerchantID: a.ID, Key: "k1", RequestHash: "h"})
	ok(t, err)

	notFound := func(name string, err error) {
		t.Helper()
		t.Run(name, func(t *testing.T) { wantErr(t, err, paybridge.ENOTFOUND, "") })
	}
	_, err = s.GetCustomer(ctx, b.ID, ca.ID)
	notFound("GetCustomer", err)
	upd := *ca
	upd.MerchantID = b.ID
	notFound("UpdateCustomer", s.UpdateCustomer(ctx, &upd))
	_, err = s.GetInvoice(ctx, b.ID, inv.ID)
	notFound("GetInvoice", err)
	invB := *inv
	invB.MerchantID, invB.CustomerID = b.ID, cb.ID
	notFound("UpdateInvoice", s.UpdateInvoice(ctx, &invB))
	notFound("CreateInvoice with A's customer", s.CreateInvoice(ctx, &paybridge.Invoice{MerchantID: b.ID, CustomerID: ca.ID, Currency: "usd"}))
	_, err = s.GetPayment(ctx, b.ID, pay.ID)
	notFound("GetPayment", err)
	notFound("CreatePayment on A's invoice", s.CreatePayment(ctx, pendingPayment(b, inv, 100)))
	payB := *pay
	payB.MerchantID, payB.Status = b.ID, paybridge.PaymentRefunded
	_, err = s.ApplyPayment(ctx, &payB, paybridge.PaymentSucceeded, t0)
	notFound("ApplyPayment", err)
	_, err = s.GetRefund(ctx, b.ID, ref.ID)
	notFound("GetRefund", err)
	notFound("CreateRefund on A's payment", s.CreateRefund(ctx, &paybridge.Refund{MerchantID: b.ID, PaymentID: pay.ID, Amount: 1}))
	refB := *ref
	refB.MerchantID, refB.Status = b.ID, paybridge.RefundSucceeded
	_, err = s.ApplyRefund(ctx, &refB, paybridge.RefundPending, t0)
	notFound("ApplyRefund", err)
	_, err = s.GetReturn(ctx, b.ID, ret.ID)
	notFound("GetReturn", err)
	_, err = s.ListReturns(ctx, b.ID, inv.ID)
	notFound("ListReturns", err)
	notFound("CreateReturn on A's invoice", s.CreateReturn(ctx, &paybridge.Return{MerchantID: b.ID, InvoiceID: inv.ID,
		Items: []paybridge.ReturnItem{{LineItemID: inv.LineItems[0].ID, Quantity: 1}}}))
	retB := *ret
	retB.MerchantID, retB.Status = b.ID, paybridge.RefundSucceeded
	_, err = s.ApplyReturn(ctx, &retB, paybridge.RefundPending, t0)
	notFound("ApplyReturn", err)
	notFound("CompleteIdempotent", s.CompleteIdempotent(ctx, b.ID, "k1", 201, []byte("{}")))
	notFound("ReleaseIdempotent", s.ReleaseIdempotent(ctx, b.ID, "k1"))

	t.Run("lists are empty", func(t *testing.T) {
		cs, _, err := s.ListCustomers(ctx, b.ID, paybridge.CustomerFilter{Email: ca.Email})
		ok(t, err)
		if len(cs) != 1 || cs[0].ID != cb.ID { // B's own customer shares the email
			t.Errorf("ListCustomers for B = %v, want only B's customer", cs)
		}
		cs = nil
		is, _, err := s.ListInvoices(ctx, b.ID, paybridge.InvoiceFilter{CustomerID: ca.ID})
		ok(t, err)
		ps, _, err := s.ListPayments(ctx, b.ID, paybridge.PaymentFilter{InvoiceID: inv.ID})
		ok(t, err)
		rs, _, err := s.ListRefunds(ctx, b.ID, paybridge.RefundFilter{PaymentID: pay.ID})
		ok(t, err)
		as, _, err := s.ListAudit(ctx, b.ID, paybridge.AuditFilter{ObjectID: pay.ID})
		ok(t, err)
		if len(cs)+len(is)+len(ps)+len(rs)+len(as) != 0 {
			t.Errorf("B sees A's objects: %d customers, %d invoices, %d payments, %d refunds, %d audit",
				len(cs), len(is), len(ps), len(rs), len(as))
		}
	})
	t.Run("idempotency keys are per merchant", func(t *testing.T) {
		prev, err := s.BeginIdempotent(ctx, &paybridge.IdempotencyRecord{MerchantID: b.ID, Key: "k1", RequestHash: "other"})
		ok(t, err)
		if prev != nil {
			t.Errorf("B's key k1 returned A's record %+v", prev)
		}
	})
	t.Run("A's objects are untouched", func(t *testing.T) {
		got, err := s.GetPayment(ctx, a.ID, pay.ID)
		ok(t, err)
		if got.Status != paybridge.PaymentSucceeded {
			t.Errorf("A's payment status = %s", got.Status)
		}
		gotInv, err := s.GetInvoice(ctx, a.ID, inv.ID)
		ok(t, err)
		if gotInv.Version != inv.Version+1 || gotInv.AmountRefunded != 0 {
			t.Errorf("A's invoice version %d (want %d) refunded %d", gotInv.Version, inv.Version+1, gotInv.AmountRefunded)
		}
	})
}
