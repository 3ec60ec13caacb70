package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// TestCloverUnauthorizedRefreshesOnce: cloversim expires an OAuth
// merchant's access token early; four payments at once each get a 401,
// and paybridge refreshes once (single flight) and repeats each charge
// with the new token: four payments, four charges, one refresh, the
// merchant still active. Once Clover revokes the merchant's every token
// (the refresh token too), a 401 leads to the reauthorization flow and
// nothing is charged.
func TestCloverUnauthorizedRefreshesOnce(t *testing.T) {
	t.Parallel()
	o := startOnboarding(t)
	ctx := context.Background()
	e, merID, cloverID, pakms := o.oauthMerchant("Early Expiry Electric", "crm-401")
	cus := e.must(201, "POST", "/v1/customers", map[string]any{"email": "x@example.com", "name": "Xan"})["id"].(string)
	newInvoice := func() string {
		return e.must(201, "POST", "/v1/invoices", map[string]any{"customer_id": cus, "currency": "usd",
			"line_items": []map[string]any{{"description": "Panel check", "quantity": 1, "unit_amount": 7000}}})["id"].(string)
	}
	invoices := []string{newInvoice(), newInvoice(), newInvoice(), newInvoice()}
	tokens := make([]string, len(invoices))
	for i := range tokens {
		tokens[i] = e.tokenWith(pakms, visaOK)
	}
	sealed, err := o.m.DB.MerchantCredentials(ctx, merID)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := billing.OpenCredentials(o.m.Sealer, merID, sealed)
	if err != nil {
		t.Fatal(err)
	}
	// Counted before the expiry: the invoices' Clover orders are made by
	// background jobs, which may be the first to meet the 401.
	refreshes, unauthorized := o.cloverCalls("/oauth/v2/refresh"), o.cloverStatusCalls(401)
	resp, err := http.Post(o.m.Sim.Options().BaseURL+"/_sim/tokens/expire", "application/json",
		strings.NewReader(`{"access_token":"`+creds.AccessToken+`"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("expire: %v %v", err, resp)
	}
	resp.Body.Close()

	var wg sync.WaitGroup
	for i, id := range invoices {
		wg.Go(func() {
			if st, p := e.call("POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": tokens[i]}); st != 201 || p["status"] != "succeeded" {
				t.Errorf("payment after the token expired: %d %v", st, p)
			}
		})
	}
	wg.Wait()
	if n := o.cloverCalls("/oauth/v2/refresh") - refreshes; n != 1 {
		t.Errorf("%d refreshes for four 401s, want one", n)
	}
	if n := o.cloverStatusCalls(401) - unauthorized; n < 1 {
		t.Errorf("no 401 seen: the token did not expire")
	}
	if n := o.m.Sim.ChargeCount(cloverID); n != len(invoices) {
		t.Fatalf("%d Clover charges for %d payments", n, len(invoices))
	}

	// Every token revoked: the refresh is refused, the merchant must
	// reauthorize, and the payment moves no money.
	last := newInvoice()
	o.m.Sim.RevokeMerchant(cloverID)
	if st, p := e.call("POST", "/v1/invoices/"+last+"/payments", map[string]any{"source": e.tokenWith(pakms, visaOK)}); st == 201 {
		t.Fatalf("payment with revoked tokens: %d %v", st, p)
	}
	if mer, err := o.m.DB.GetMerchant(ctx, merID); err != nil || mer.Status != paybridge.MerchantReauthorizationRequired {
		t.Fatalf("merchant after a refused refresh: %v %v", mer, err)
	}
	if n := o.m.Sim.ChargeCount(cloverID); n != len(invoices) {
		t.Fatalf("%d Clover charges after the refused payment, want %d", n, len(invoices))
	}
}
