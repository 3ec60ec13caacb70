package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/store"
)

// benchFixture stores a merchant, a customer and an open invoice.
func benchFixture(b *testing.B, db *store.DB) (*paybridge.Merchant, *paybridge.Customer, *paybridge.Invoice) {
	ctx := context.Background()
	m := &paybridge.Merchant{CloverMerchantID: paybridge.NewID("")[:13], Name: "Bench", Currency: "usd"}
	must2(b, db.CreateMerchant(ctx, m, nil))
	c := &paybridge.Customer{MerchantID: m.ID, Email: "b@example.com"}
	must2(b, db.CreateCustomer(ctx, c))
	inv := newBenchInvoice(b, db, m, c)
	return m, c, inv
}

func newBenchInvoice(b *testing.B, db *store.DB, m *paybridge.Merchant, c *paybridge.Customer) *paybridge.Invoice {
	inv := &paybridge.Invoice{MerchantID: m.ID, CustomerID: c.ID, Currency: "usd", LineItems: []paybridge.LineItem{
		{Description: "a", Quantity: 2, UnitAmount: 1000}, {Description: "b", Quantity: 1, UnitAmount: 500, TaxRateBPS: 825}}}
	inv.ComputeTotals()
	must2(b, db.CreateInvoice(context.Background(), inv))
	return inv
}

// onEngines runs fn as a sub-benchmark on a fresh SQLite store and a
// fresh PostgreSQL one (skipped without PAYBRIDGE_TEST_POSTGRES_URL).
func onEngines(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, openSQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, openPostgres(b)) })
}

func must2(b testing.TB, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkGetInvoice reads one invoice with its lines from the SQLite
// read pool, from many goroutines.
func BenchmarkGetInvoice(b *testing.B) {
	db := openSQLite(b)
	m, _, inv := benchFixture(b, db)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.GetInvoice(ctx, m.ID, inv.ID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCreatePaymentApply is the write path of one card payment:
// insert the pending row, then ApplyPayment to succeeded, which updates and
// settles the invoice. Each iteration pays a fresh invoice.
func BenchmarkCreatePaymentApply(b *testing.B) {
	onEngines(b, func(b *testing.B, db *store.DB) {
		m, c, _ := benchFixture(b, db)
		invs := make([]*paybridge.Invoice, b.N)
		for i := range invs {
			invs[i] = newBenchInvoice(b, db, m, c)
		}
		ctx := context.Background()
		now := time.Now()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			p := &paybridge.Payment{MerchantID: m.ID, InvoiceID: invs[i].ID, Amount: invs[i].Total,
				Currency: "usd", Method: paybridge.MethodToken, IdempotencyKey: "k", Source: "clv_x"}
			must2(b, db.CreatePayment(ctx, p))
			p.Status = paybridge.PaymentSucceeded
			if _, err := db.ApplyPayment(ctx, p, paybridge.PaymentPending, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPaidInvoiceWrites is every write of one paid invoice on the
// request path, as the API makes them: for each of the two requests an
// Idempotency-Key begun and completed, and between them the invoice
// created, then the payment inserted and settled. Under Defer, as the API
// runs them, and without the request's syncs, so it measures the writer's
// work (statements, commits, WAL writes) and not the waits for the disk:
// on SQLite that work is serialized on the one writer connection.
func BenchmarkPaidInvoiceWrites(b *testing.B) {
	onEngines(b, func(b *testing.B, db *store.DB) {
		m, c, _ := benchFixture(b, db)
		body := make([]byte, 1500) // a stored response
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			key := paybridge.NewID("")
			request := func(k string, handler func(ctx context.Context)) {
				ctx := db.Defer(context.Background())
				prev, err := db.BeginIdempotent(ctx, &paybridge.IdempotencyRecord{MerchantID: m.ID, Key: k, RequestHash: "h"})
				must2(b, err)
				if prev != nil {
					b.Fatalf("key %s already used", k)
				}
				handler(ctx)
				must2(b, db.CompleteIdempotent(db.Defer(context.Background()), m.ID, k, 201, body))
			}
			inv := &paybridge.Invoice{MerchantID: m.ID, CustomerID: c.ID, Currency: "usd", CloverOrderID: paybridge.OptionalID("O" + key[:12]),
				LineItems: []paybridge.LineItem{{Description: "a", Quantity: 2, UnitAmount: 1000}}}
			inv.ComputeTotals()
			request(key+"i", func(ctx context.Context) { must2(b, db.CreateInvoice(ctx, inv)) })
			request(key+"p", func(ctx context.Context) {
				p := &paybridge.Payment{MerchantID: m.ID, InvoiceID: inv.ID, Amount: inv.Total, Currency: "usd",
					Method: paybridge.MethodToken, IdempotencyKey: key, Source: "clv_x"}
				must2(b, db.CreatePayment(ctx, p))
				p.Status, p.CloverChargeID = paybridge.PaymentSucceeded, "CH"+key[:10]
				if _, err := db.ApplyPayment(ctx, p, paybridge.PaymentPending, time.Time{}); err != nil {
					b.Fatal(err)
				}
			})
		}
	})
}
