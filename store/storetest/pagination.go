package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/paybridge/paybridge"
)

// page lists one page of ids from a list method, in order o.
type page func(ctx context.Context, s paybridge.Store, merchantID, cursor string, limit int, o paybridge.Order) ([]string, string, error)

func ids[T any](items []T, next string, err error, id func(T) string) ([]string, string, error) {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out, next, err
}

func testPagination(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	const n = 23
	var customers, invoices, payments, refunds, audits []string
	c := newCustomer(t, s, m)
	customers = append(customers, c.ID)
	direct := paidPayment(t, s, m, nil, 1000)
	for i := range n {
		if i > 0 {
			customers = append(customers, newCustomer(t, s, m).ID)
		}
		inv := newInvoice(t, s, m, c)
		invoices = append(invoices, inv.ID)
		payments = append(payments, newPayment(t, s, m, inv, 100).ID)
		r := &paybridge.Refund{MerchantID: m.ID, PaymentID: direct.ID, Amount: 1, Currency: "usd"}
		ok(t, s.CreateRefund(ctx, r))
		refunds = append(refunds, r.ID)
		a := &paybridge.AuditEntry{MerchantID: m.ID, Actor: "system:test", Action: "test", Outcome: "200"}
		ok(t, s.AppendAudit(ctx, a))
		audits = append(audits, a.ID)
	}
	payments = append([]string{direct.ID}, payments...)
	slices.Reverse(audits)

	for _, tc := range []struct {
		name     string
		want     []string // in the list's default order
		page     page
		reversed paybridge.Order // the other order
	}{
		{"customers", customers, func(ctx context.Context, s paybridge.Store, mid, cur string, lim int, o paybridge.Order) ([]string, string, error) {
			l, next, err := s.ListCustomers(ctx, mid, paybridge.CustomerFilter{Cursor: cur, Limit: lim, Order: o})
			return ids(l, next, err, func(c *paybridge.Customer) string { return c.ID })
		}, paybridge.OrderDesc},
		{"invoices", invoices, func(ctx context.Context, s paybridge.Store, mid, cur string, lim int, o paybridge.Order) ([]string, string, error) {
			l, next, err := s.ListInvoices(ctx, mid, paybridge.InvoiceFilter{Cursor: cur, Limit: lim, Order: o})
			return ids(l, next, err, func(c *paybridge.Invoice) string { return c.ID })
		}, paybridge.OrderDesc},
		{"payments", payments, func(ctx context.Context, s paybridge.Store, mid, cur string, lim int, o paybridge.Order) ([]string, string, error) {
			l, next, err := s.ListPayments(ctx, mid, paybridge.PaymentFilter{Cursor: cur, Limit: lim, Order: o})
			return ids(l, next, err, func(c *paybridge.Payment) string { return c.ID })
		}, paybridge.OrderDesc},
		{"refunds", refunds, func(ctx context.Context, s paybridge.Store, mid, cur string, lim int, o paybridge.Order) ([]string, string, error) {
			l, next, err := s.ListRefunds(ctx, mid, paybridge.RefundFilter{PaymentID: direct.ID, Cursor: cur, Limit: lim, Order: o})
			return ids(l, next, err, func(c *paybridge.Refund) string { return c.ID })
		}, paybridge.OrderDesc},
		{"audit newest first", audits, func(ctx context.Context, s paybridge.Store, mid, cur string, lim int, o paybridge.Order) ([]string, string, error) {
			l, next, err := s.ListAudit(ctx, mid, paybridge.AuditFilter{Cursor: cur, Limit: lim, Order: o})
			return ids(l, next, err, func(c *paybridge.AuditEntry) string { return c.ID })
		}, paybridge.OrderAsc},
	} {
		reversed := slices.Clone(tc.want)
		slices.Reverse(reversed)
		for _, walk := range []struct {
			order paybridge.Order
			want  []string
		}{{"", tc.want}, {tc.reversed, reversed}} {
			for _, limit := range []int{1, 5, n, n + 1, 0} {
				var got []string
				cursor, pages := "", 0
				for {
					pageIDs, next, err := tc.page(ctx, s, m.ID, cursor, limit, walk.order)
					ok(t, err)
					pages++
					if limit > 0 && len(pageIDs) > limit {
						t.Fatalf("%s: page of %d with limit %d", tc.name, len(pageIDs), limit)
					}
					got = append(got, pageIDs...)
					if next == "" {
						break
					}
					if pages > len(walk.want)+1 {
						t.Fatalf("%s: pagination does not end", tc.name)
					}
					cursor = next
				}
				if diff := cmp.Diff(walk.want, got); diff != "" {
					t.Errorf("%s order %q limit %d: walked (-want +got):\n%s", tc.name, walk.order, limit, diff)
				}
			}
		}
	}
}

func testPaginationLimits(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	for range 105 {
		ok(t, s.AppendAudit(ctx, &paybridge.AuditEntry{MerchantID: m.ID, Actor: "a", Action: "b", Outcome: "c"}))
	}
	for _, tc := range []struct {
		limit, want int
	}{{0, 20}, {-3, 20}, {1, 1}, {100, 100}, {1000, 100}} {
		l, next, err := s.ListAudit(ctx, m.ID, paybridge.AuditFilter{Limit: tc.limit})
		ok(t, err)
		if len(l) != tc.want || next == "" {
			t.Errorf("limit %d: got %d entries (next %q), want %d and a next cursor", tc.limit, len(l), next, tc.want)
		}
	}
	for _, bad := range []string{"!!!", "bm90LWEtbnVtYmVy", "LTE"} {
		_, _, err := s.ListCustomers(ctx, m.ID, paybridge.CustomerFilter{Cursor: bad})
		wantErr(t, err, paybridge.EINVALID, "")
	}
}
