package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
)

const benchInvoice = `{"customer_id":"cus_abc","currency":"usd","amount":1500,"allow_tip":true,"due_date":"2026-12-01",
 "line_items":[{"description":"Deep clean, 3 bedrooms","quantity":1,"unit_amount":18000},
               {"description":"Oven clean","quantity":2,"unit_amount":4500},
               {"description":"Window wash, ref 123456789012","quantity":12,"unit_amount":700}],
 "metadata":{"crm_job":"J-2026-00042","crew":"north"}}`

func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchInvoice)))
	for b.Loop() {
		r := httptest.NewRequest("POST", "/v1/invoices", strings.NewReader(benchInvoice))
		r.Header.Set("Content-Type", "application/json")
		var dst testInvoice
		if err := Decode(httptest.NewRecorder(), r, &dst); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkContainsCardNumber(b *testing.B) {
	s := strings.Repeat("order 123456789012 paid 4242 4242 ", 30)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		ContainsCardNumber(s)
	}
}
