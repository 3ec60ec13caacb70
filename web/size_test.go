package web

import (
	"bytes"
	"testing"

	"github.com/paybridge/paybridge"
)

// TestPageBudget: the page's own HTML, CSS and JS stay within 30 KB
// uncompressed (a size, not a time).
func TestPageBudget(t *testing.T) {
	t.Parallel()
	inv := &paybridge.Invoice{Number: "INV-000001", Currency: "usd", Status: paybridge.InvoiceOpen, AllowTip: true, AllowPartial: true,
		MinimumPartialAmount: 1000, LineItems: []paybridge.LineItem{{Description: "Kitchen faucet replacement", Quantity: 1, UnitAmount: 18500, TaxRateBPS: 1000}, {Description: "Service call", Quantity: 1, UnitAmount: 8900}}}
	inv.ComputeTotals()
	v := &view{Kind: "form", Locale: "fr-CA", Token: "AAAAAAAAAAAAAAAAAAAAAA", Attempt: "K", CSRF: "1.x", AllowTip: true, AllowPartial: true}
	v.fillInvoice("Sandbox Plumbing Co.", inv)
	v.choose(choice{Tip: "15"})
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "layout", v); err != nil {
		t.Fatal(err)
	}
	a := loadAssets()
	total := buf.Len() + len(a["pay.js"].body) + len(a["pay.css"].body)
	t.Logf("page HTML %d B + pay.js %d B + pay.css %d B = %d B", buf.Len(), len(a["pay.js"].body), len(a["pay.css"].body), total)
	if total > 30<<10 {
		t.Fatalf("the page's own HTML+CSS+JS is %d bytes, over the 30 KB budget", total)
	}
}
