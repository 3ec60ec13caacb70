package cloversim

import (
	"testing"

	"github.com/paybridge/paybridge/clover"
)

func TestPlatformReads(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var m clover.Merchant
	r := b.do("GET", "/v3/merchants/"+b.mid, nil)
	r.json(t, &m)
	if m.ID != b.mid || m.Name == "" || m.Owner == nil || m.Owner.ID == "" || m.Address == nil || m.Address.Href == "" ||
		m.MerchantPlan == nil || m.CreatedTime == 0 {
		t.Errorf("merchant %s", r.Raw)
	}
	// The recorded shape (CLOVER.md §13.6) has no currency at all.
	var keys map[string]any
	r.json(t, &keys)
	for _, k := range []string{"currency", "defaultCurrency"} {
		if _, ok := keys[k]; ok {
			t.Errorf("merchant has %q: %s", k, r.Raw)
		}
	}
	for _, k := range []string{"href", "id", "name", "owner", "address", "merchantPlan", "createdTime", "gateway", "tenders"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("merchant lacks %q: %s", k, r.Raw)
		}
	}
	no := false
	auth := b.mustCharge(clover.ChargeParams{Amount: 300, Currency: "usd", Source: b.tokenize(visa), Capture: &no})
	sale := b.mustCharge(clover.ChargeParams{Amount: 500, TipAmount: 50, Currency: "usd", Source: b.tokenize(visa)})
	failed := b.charge("4005571702222222", 100).errDetail(t).Charge
	expect(t, b.do("POST", "/v1/refunds", clover.RefundParams{Charge: sale.ID, Amount: 200}), 200)
	for id, want := range map[string]string{auth.ID: "AUTH", sale.ID: "SUCCESS", failed: "FAIL"} {
		var p clover.V3Payment
		r := b.do("GET", "/v3/merchants/"+b.mid+"/payments/"+id+"?expand=refunds", nil)
		expect(t, r, 200)
		r.json(t, &p)
		if p.ID != id || p.Result != want || p.Refunds == nil {
			t.Errorf("%s: %s", want, r.Raw)
		}
	}
	var p clover.V3Payment
	b.do("GET", "/v3/merchants/"+b.mid+"/payments/"+sale.ID+"?expand=refunds", nil).json(t, &p)
	if p.Amount != 500 || p.TipAmount != 50 || len(p.Refunds.Elements) != 1 || p.Refunds.Elements[0].Amount != 200 {
		t.Errorf("sale payment %+v", p)
	}
	var plain clover.V3Payment
	b.do("GET", "/v3/merchants/"+b.mid+"/payments/"+sale.ID, nil).json(t, &plain)
	if plain.Refunds != nil {
		t.Error("refunds without expand")
	}
	expect(t, b.do("GET", "/v3/merchants/"+b.mid+"/payments/ABCDEFGHJKMNP", nil), 404)
	expect(t, b.do("GET", "/v3/merchants/"+b.mid+"/orders/ABCDEFGHJKMNP", nil), 404)
}

func TestPlatformTaxRates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var l clover.Elements[clover.V3TaxRate]
	b.do("GET", "/v3/merchants/"+b.mid+"/tax_rates", nil).json(t, &l)
	if len(l.Elements) != 2 {
		t.Fatalf("default rates %+v", l)
	}
	expect(t, b.do("POST", "/v3/merchants/"+b.mid+"/tax_rates", clover.V3TaxRate{Name: "Sales Tax", Rate: 1}), 400)
	expect(t, b.do("POST", "/v3/merchants/"+b.mid+"/tax_rates", clover.V3TaxRate{Name: "", Rate: 1}), 400)
	expect(t, b.do("POST", "/v3/merchants/"+b.mid+"/tax_rates", clover.V3TaxRate{Name: "Huge", Rate: 10_000_001}), 400)
	expect(t, b.do("POST", "/v3/merchants/"+b.mid+"/tax_rates", clover.V3TaxRate{Name: "County", Rate: 250_000}), 200)
	b.do("GET", "/v3/merchants/"+b.mid+"/tax_rates", nil).json(t, &l)
	if len(l.Elements) != 3 || l.Elements[0].Name != "County" {
		t.Errorf("rates %+v", l)
	}
}

func TestPAKMSKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var k clover.PAKMSKey
	r := b.do("GET", "/pakms/apikey", nil)
	expect(t, r, 200)
	r.json(t, &k)
	if !k.Active || k.APIAccessKey != b.pakms || k.MerchantUUID != b.mid || k.DeveloperAppUUID != b.sim.Options().AppID || k.CreatedTime == 0 {
		t.Errorf("pakms %s", r.Raw)
	}
	if len(k.APIAccessKey) != 32 {
		t.Errorf("key length %d", len(k.APIAccessKey))
	}
}
