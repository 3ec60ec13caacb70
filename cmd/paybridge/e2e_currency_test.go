package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/clover/cloversim"
)

// TestCanadianMerchantChargesInCAD: a merchant configured as taking cad
// (PAYBRIDGE_CLOVER_MERCHANT_CURRENCIES; Clover's merchant read has no
// currency, CLOVER.md §13.6) connects through OAuth; its invoice payment
// (the order pay), a direct charge and a card verification go to Clover in
// cad, which a CAD cloversim merchant accepts and records so; usd money is
// refused up front, with nothing sent to Clover.
func TestCanadianMerchantChargesInCAD(t *testing.T) {
	t.Parallel()
	const canada = "CANADA0000001"
	e := startSandbox(t, func(c *Config) { c.Clover.MerchantCurrencies = canada + "=cad" })
	if _, _, _, err := e.m.Sim.AddMerchantWith(cloversim.MerchantSpec{ID: canada, Name: "Maple Plumbing", Currency: "cad"}); err != nil {
		t.Fatal(err)
	}
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	t.Cleanup(crm.Close)
	o := &onb{sbx: e, logs: &lockedBuffer{}, secret: e.m.Sandbox.PlatformSecret, crm: crm}
	id, connectURL := o.integration("crm-canada", crm.URL+"/return")
	st, ho := o.handoff(id, o.connect(browser(t), connectURL, canada, ""))
	if st != 200 {
		t.Fatalf("hand-off = %d %v", st, ho)
	}
	key := ho["api_key"].(string)
	if cur := ho["merchant"].(map[string]any)["currency"]; cur != "cad" {
		t.Fatalf("merchant currency %v, want cad", cur)
	}
	mer, err := e.m.DB.GetMerchantByCloverID(context.Background(), canada)
	if err != nil {
		t.Fatal(err)
	}
	token := func() string {
		tok, err := e.m.Clover.CreateToken(context.Background(), mer.PAKMSKey, clover.TokenParams{Card: &clover.CardDetails{
			Number: visaOK, ExpMonth: "12", ExpYear: "2030", CVV: "123"}})
		if err != nil {
			t.Fatal(err)
		}
		return tok.ID
	}
	must := func(want int, method, path string, body any) map[string]any {
		t.Helper()
		st, out := e.callAs(key, method, path, body)
		if st != want {
			t.Fatalf("%s %s = %d, want %d: %v", method, path, st, want, out)
		}
		return out
	}
	cus := must(201, "POST", "/v1/customers", map[string]any{"email": "sam@example.ca"})["id"].(string)
	lines := []map[string]any{{"description": "Furnace repair", "quantity": 1, "unit_amount": 20000}}
	if st, out := e.callAs(key, "POST", "/v1/invoices", map[string]any{"customer_id": cus, "currency": "usd", "line_items": lines}); st != 400 ||
		out["param"] != "currency" {
		t.Fatalf("a usd invoice for a cad merchant = %d %v", st, out)
	}
	if st, out := e.callAs(key, "POST", "/v1/payments", map[string]any{"amount": 500, "currency": "usd", "source": token()}); st != 400 ||
		out["param"] != "currency" {
		t.Fatalf("a usd payment for a cad merchant = %d %v", st, out)
	}
	inv := must(201, "POST", "/v1/invoices", map[string]any{"customer_id": cus, "currency": "cad", "line_items": lines})
	if p := must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", map[string]any{"source": token(), "save_card": true}); p["currency"] != "cad" ||
		p["status"] != "succeeded" {
		t.Fatalf("invoice payment %v", p)
	}
	must(201, "POST", "/v1/payments", map[string]any{"amount": 1500, "currency": "cad", "source": token()})
	must(201, "POST", "/v1/customers/"+cus+"/cards", map[string]any{"source": token()})

	l := e.m.Sim.Ledger(canada)
	kinds := map[string]int{}
	for _, le := range l {
		if le.Currency != "cad" {
			t.Errorf("Clover moved %s: %+v", le.Currency, le)
		}
		kinds[le.Kind]++
	}
	if kinds[cloversim.KindCharge] != 2 || kinds[cloversim.KindAuth] != 1 {
		t.Fatalf("ledger %+v: want the order pay and the charge, and the card verification", l)
	}
}
