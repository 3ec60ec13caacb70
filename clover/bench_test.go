package clover_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

// BenchmarkCreateCharge measures the client's own cost per call (encode,
// key, governor, headers, decode) against a local server.
func BenchmarkCreateCharge(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, chargeOK)
	}))
	defer srv.Close()
	c := clover.New(clover.Config{URLs: clover.URLs{Ecommerce: srv.URL}, AppID: "APP"})
	p := clover.ChargeParams{Amount: 100, Currency: "usd", Source: "clv_1TSTabc"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreateCharge(b.Context(), auth, p, withPayer(nil)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecline measures the error path: a 402 parsed into *Error.
func BenchmarkDecline(b *testing.B) {
	body := `{"message":"402 Payment Required","error":{"type":"card_error","code":"card_declined","message":"The card was declined.","charge":"8CCA17W869QWY","decline_code":"do_not_honor"}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(402)
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	c := clover.New(clover.Config{URLs: clover.URLs{Ecommerce: srv.URL}, AppID: "APP"})
	p := clover.ChargeParams{Amount: 100, Currency: "usd", Source: "clv_1TSTabc"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreateCharge(b.Context(), auth, p, withPayer(nil)); !clover.IsDecline(err) {
			b.Fatal(err)
		}
	}
}
