package main

import (
	"context"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
)

// A return's refund is in the charge's refund list at Clover, and the
// return's answer names no refund (CLOVER.md §13.3): a sync of the charge
// must not take it for a refund made outside paybridge and count it twice,
// while a real dashboard refund beside it is still recorded once.
func TestReturnRefundIsNotCountedTwice(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	ctx := context.Background()
	inv := e.invoice(nil)
	id := inv["id"].(string)
	pay := e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
	charge := pay["clover_charge_id"].(string)
	line := e.must(200, "GET", "/v1/invoices/"+id, nil)["line_items"].([]any)[1].(map[string]any) // 2500, untaxed
	e.must(201, "POST", "/v1/invoices/"+id+"/returns", map[string]any{"items": []map[string]any{{"line_item_id": line["id"]}}})
	mid := e.m.Sim.Options().MerchantID
	if _, err := e.m.Sim.DashboardRefund(mid, charge, 4000); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the dashboard refund recorded", func() bool {
		return num(e.must(200, "GET", "/v1/invoices/"+id, nil), "amount_refunded") >= 6500
	})
	// However often Clover's notice comes, the books stay Clover's.
	for range 3 {
		if err := e.m.Service.SyncCloverObject(ctx, paybridge.CloverNotice{CloverMerchantID: mid, ObjectID: "P:" + charge, Type: "UPDATE"}); err != nil {
			t.Fatal(err)
		}
	}
	got := e.must(200, "GET", "/v1/invoices/"+id, nil)
	if num(got, "amount_refunded") != 6500 || num(got, "amount_returned") != 2500 {
		t.Fatalf("invoice refunded %d, returned %d; want 6500 (2500 returned + 4000 on the dashboard) and 2500",
			num(got, "amount_refunded"), num(got, "amount_returned"))
	}
	refunds := e.must(200, "GET", "/v1/refunds?payment_id="+pay["id"].(string), nil)["data"].([]any)
	if len(refunds) != 1 || num(refunds[0].(map[string]any), "amount") != 4000 {
		t.Fatalf("refunds = %v, want the dashboard's 4000 only", refunds)
	}
	if _, refunded := ledger(e); refunded != 6500 {
		t.Fatalf("Clover refunded %d, want 6500", refunded)
	}
}
