package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/ratelimit"
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

// BenchmarkAuthenticatedRead is the Router's own cost of an authenticated
// GET (request id, log, recovery, headers, version, card check of the URL,
// strict query, JWT, rate limit) around a handler that writes a small JSON
// object, in process: what the stack adds to every read.
func BenchmarkAuthenticatedRead(b *testing.B) {
	for _, limited := range []bool{false, true} {
		b.Run(map[bool]string{false: "no-limit", true: "rate-limited"}[limited], func(b *testing.B) {
			kr, err := apikey.NewKeyring()
			if err != nil {
				b.Fatal(err)
			}
			rt := NewRouter(kr, nopIdempotency{})
			rt.Logger = slog.New(slog.DiscardHandler)
			if limited {
				rt.Limiter = ratelimit.NewLocal(ratelimit.Policy{Rate: 1e9, Burst: 1e9})
			}
			rt.HandleFunc("GET /v1/customers/{id}", func(w http.ResponseWriter, r *http.Request) {
				WriteJSON(w, r, http.StatusOK, map[string]string{"id": r.PathValue("id")})
			})
			tok, err := kr.Issue(apikey.Claims{MerchantID: "mer_bench"}, time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest("GET", "/v1/customers/cus_abc", nil)
					r.Header.Set("Authorization", "Bearer "+tok)
					w := httptest.NewRecorder()
					rt.ServeHTTP(w, r)
					if w.Code != 200 {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
			})
		})
	}
}

// nopIdempotency is an IdempotencyStore for reads, which never use it.
type nopIdempotency struct{}

func (nopIdempotency) BeginIdempotent(context.Context, *paybridge.IdempotencyRecord) (*paybridge.IdempotencyRecord, error) {
	return nil, nil
}
func (nopIdempotency) CompleteIdempotent(context.Context, string, string, int, []byte) error {
	return nil
}
func (nopIdempotency) ReleaseIdempotent(context.Context, string, string) error { return nil }
