package store_test

import (
	"context"
	"testing"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/store"
)

// TestInvoiceNumberFormat: both engines number invoices alike, past six
// digits too (PostgreSQL formats the number in SQL, SQLite in Go), and an
// invoice refused for another merchant's customer takes no number.
func TestInvoiceNumberFormat(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, other := newMerchant(t, db), newMerchant(t, db)
		c := &paybridge.Customer{MerchantID: m.ID, Email: "a@example.com"}
		oc := &paybridge.Customer{MerchantID: other.ID, Email: "b@example.com"}
		for _, cu := range []*paybridge.Customer{c, oc} {
			if err := db.CreateCustomer(ctx, cu); err != nil {
				t.Fatal(err)
			}
		}
		create := func(customerID string) (*paybridge.Invoice, error) {
			inv := &paybridge.Invoice{MerchantID: m.ID, CustomerID: customerID, Currency: "usd"}
			return inv, db.CreateInvoice(ctx, inv)
		}
		number := func(want string) {
			t.Helper()
			inv, err := create(c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if inv.Number != want {
				t.Fatalf("number %q, want %q", inv.Number, want)
			}
			got, err := db.GetInvoice(ctx, m.ID, inv.ID)
			if err != nil || got.Number != want {
				t.Fatalf("stored number %q (%v), want %q", got.Number, err, want)
			}
		}
		number("INV-000001")
		if _, err := create(oc.ID); paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
			t.Fatalf("invoice for another merchant's customer: %v, want ENOTFOUND", err)
		}
		number("INV-000002")
		if _, err := db.Writer().ExecContext(ctx, `UPDATE counters SET value = 999998 WHERE merchant_id = $1`, m.ID); err != nil {
			t.Fatal(err)
		}
		number("INV-999999")
		number("INV-1000000")
	})
}
