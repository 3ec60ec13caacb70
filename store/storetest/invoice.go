package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/paybridge/paybridge"
)

func testInvoices(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	c := newCustomer(t, s, m)
	inv := newInvoice(t, s, m, c)
	if inv.Number != "INV-000001" || inv.Version != 1 || !paybridge.HasPrefix(inv.ID, paybridge.PrefixInvoice) {
		t.Fatalf("CreateInvoice: number %q version %d id %q", inv.Number, inv.Version, inv.ID)
	}
	for _, li := range inv.LineItems {
		if !paybridge.HasPrefix(li.ID, paybridge.PrefixLineItem) {
			t.Fatalf("line item id %q", li.ID)
		}
	}
	got, err := s.GetInvoice(ctx, m.ID, inv.ID)
	ok(t, err)
	if diff := cmp.Diff(inv, got); diff != "" {
		t.Errorf("GetInvoice (-want +got):\n%s", diff)
	}
	if got.Total != 2550 || got.AmountDue() != 2550 {
		t.Errorf("total %d due %d, want 2550", got.Total, got.AmountDue())
	}

	inv.CloverOrderID = "ORDER1"
	inv.LineItems[0].CloverItemID = "ITEM1"
	inv.Metadata = nil
	inv.AllowTip = false
	ok(t, s.UpdateInvoice(ctx, inv))
	if inv.Version != 2 {
		t.Errorf("version after update = %d, want 2", inv.Version)
	}
	got, err = s.GetInvoice(ctx, m.ID, inv.ID)
	ok(t, err)
	if diff := cmp.Diff(inv, got); diff != "" {
		t.Errorf("after UpdateInvoice (-want +got):\n%s", diff)
	}

	_, err = s.GetInvoice(ctx, m.ID, "inv_missing")
	wantErr(t, err, paybridge.ENOTFOUND, "")
	ghost := *inv
	ghost.ID = "inv_missing"
	wantErr(t, s.UpdateInvoice(ctx, &ghost), paybridge.ENOTFOUND, "")

	bad := &paybridge.Invoice{MerchantID: m.ID, CustomerID: "cus_missing", Currency: "usd"}
	wantErr(t, s.CreateInvoice(ctx, bad), paybridge.ENOTFOUND, "")

	list, next, err := s.ListInvoices(ctx, m.ID, paybridge.InvoiceFilter{Status: paybridge.InvoiceOpen, CustomerID: c.ID})
	ok(t, err)
	if len(list) != 1 || next != "" || len(list[0].LineItems) != 2 {
		t.Fatalf("ListInvoices = %d invoices (next %q)", len(list), next)
	}
	if diff := cmp.Diff(got, list[0]); diff != "" {
		t.Errorf("listed invoice (-want +got):\n%s", diff)
	}
	list, _, err = s.ListInvoices(ctx, m.ID, paybridge.InvoiceFilter{Status: paybridge.InvoicePaid})
	ok(t, err)
	if len(list) != 0 {
		t.Errorf("ListInvoices(paid) = %d, want 0", len(list))
	}
}

// testInvoiceNumbers checks numbers are a gapless per-merchant sequence,
// even when invoices are created concurrently.
func testInvoiceNumbers(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	a, b := newMerchant(t, s), newMerchant(t, s)
	ca, cb := newCustomer(t, s, a), newCustomer(t, s, b)
	const n = 20
	numbers := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			inv := &paybridge.Invoice{MerchantID: a.ID, CustomerID: ca.ID, Currency: "usd"}
			if err := s.CreateInvoice(ctx, inv); err != nil {
				t.Error(err)
				return
			}
			numbers <- inv.Number
		})
	}
	wg.Wait()
	close(numbers)
	seen := map[string]bool{}
	for num := range numbers {
		seen[num] = true
	}
	for i := 1; i <= n; i++ {
		if want := fmt.Sprintf("INV-%06d", i); !seen[want] {
			t.Errorf("number %s never assigned (got %v)", want, seen)
		}
	}
	other := newInvoice(t, s, b, cb)
	if other.Number != "INV-000001" {
		t.Errorf("other merchant's first number = %s, want INV-000001", other.Number)
	}
}

func testInvoiceUpdateStale(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	first, second := *inv, *inv
	first.Status = paybridge.InvoiceVoid
	ok(t, s.UpdateInvoice(ctx, &first))
	second.CloverOrderID = "LATE"
	wantErr(t, s.UpdateInvoice(ctx, &second), paybridge.ECONFLICT, "stale_state")
	got, err := s.GetInvoice(ctx, m.ID, inv.ID)
	ok(t, err)
	if got.Status != paybridge.InvoiceVoid || got.CloverOrderID != "" || got.Version != 2 {
		t.Errorf("after stale update: status %s order %q version %d", got.Status, got.CloverOrderID, got.Version)
	}
}

func testInvoiceLineItemsUpdate(t *testing.T, s paybridge.Store) {
	m := newMerchant(t, s)
	inv := newInvoice(t, s, m, newCustomer(t, s, m))
	keep := inv.LineItems[1]
	keep.Quantity = 3
	got := rewriteLines(t, s, inv, []paybridge.LineItem{
		{Description: "New first", Quantity: 1, UnitAmount: 700},
		keep,
	})
	if got.LineItems[1].ID != keep.ID || got.Total != 700+1500+150 {
		t.Errorf("kept line %s (want %s), total %d", got.LineItems[1].ID, keep.ID, got.Total)
	}
}

// testInvoiceManyLines writes invoices of more lines than one statement
// carries: created, then rewritten keeping some lines, adding others and
// dropping the rest; every line is read back in its position.
func testInvoiceManyLines(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	c := newCustomer(t, s, m)
	lines := func(n int, prefix string) []paybridge.LineItem {
		var ls []paybridge.LineItem
		for i := range n {
			ls = append(ls, paybridge.LineItem{Description: fmt.Sprintf("%s %03d", prefix, i), Quantity: 1, UnitAmount: int64(100 + i)})
		}
		return ls
	}
	inv := &paybridge.Invoice{MerchantID: m.ID, CustomerID: c.ID, Currency: "usd", Status: paybridge.InvoiceOpen,
		LineItems: lines(150, "line")}
	inv.ComputeTotals()
	ok(t, s.CreateInvoice(ctx, inv))
	got := readBackLines(t, s, inv, "created")
	// Keep every other line of the first 100, reversed, then 70 new ones.
	var next []paybridge.LineItem
	for i := 98; i >= 0; i -= 2 {
		next = append(next, got.LineItems[i])
	}
	next = append(next, lines(70, "new")...)
	got = rewriteLines(t, s, inv, next)
	if len(got.LineItems) != 120 || got.Total != inv.Total {
		t.Errorf("%d lines after the rewrite, want 120; total %d of %d", len(got.LineItems), got.Total, inv.Total)
	}
}

// rewriteLines gives inv lines, updates it and returns it as read back,
// reporting any difference between the lines written and those read.
func rewriteLines(t *testing.T, s paybridge.Store, inv *paybridge.Invoice, lines []paybridge.LineItem) *paybridge.Invoice {
	t.Helper()
	inv.LineItems = lines
	inv.ComputeTotals()
	ok(t, s.UpdateInvoice(context.Background(), inv))
	return readBackLines(t, s, inv, "updated")
}

// readBackLines returns inv as read back, failing the test when its lines
// differ from those written.
func readBackLines(t *testing.T, s paybridge.Store, inv *paybridge.Invoice, when string) *paybridge.Invoice {
	t.Helper()
	got, err := s.GetInvoice(context.Background(), inv.MerchantID, inv.ID)
	ok(t, err)
	if diff := cmp.Diff(inv.LineItems, got.LineItems); diff != "" {
		t.Fatalf("line items of the invoice %s (-want +got):\n%s", when, diff)
	}
	return got
}
