package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/paybridge/paybridge"
)

func testCustomers(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	c := newCustomer(t, s, m)
	if !paybridge.HasPrefix(c.ID, paybridge.PrefixCustomer) || c.CreatedAt.IsZero() {
		t.Fatalf("CreateCustomer left id %q, created %v", c.ID, c.CreatedAt)
	}
	got, err := s.GetCustomer(ctx, m.ID, c.ID)
	ok(t, err)
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("GetCustomer (-want +got):\n%s", diff)
	}

	c.Email, c.Name, c.Phone = "new@example.com", "Pat Q", ""
	c.Metadata = map[string]string{"a": "b", "c": "d"}
	c.CloverCustomerID = "CLOVERCUST1"
	ok(t, s.UpdateCustomer(ctx, c))
	got, err = s.GetCustomer(ctx, m.ID, c.ID)
	ok(t, err)
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("after UpdateCustomer (-want +got):\n%s", diff)
	}

	_, err = s.GetCustomer(ctx, m.ID, "cus_missing")
	wantErr(t, err, paybridge.ENOTFOUND, "")
	ghost := *c
	ghost.ID = "cus_missing"
	wantErr(t, s.UpdateCustomer(ctx, &ghost), paybridge.ENOTFOUND, "")
}

func testCustomerEmailSearch(t *testing.T, s paybridge.Store) {
	ctx := context.Background()
	m := newMerchant(t, s)
	emails := []string{"Ann@Example.com", "bob@example.com", "ann@example.COM", "annie@example.com"}
	var ids []string
	for _, e := range emails {
		c := &paybridge.Customer{MerchantID: m.ID, Email: e}
		ok(t, s.CreateCustomer(ctx, c))
		ids = append(ids, c.ID)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"ANN@example.com", []string{ids[0], ids[2]}},
		{"bob@EXAMPLE.com", []string{ids[1]}},
		{"ann", nil}, // exact match, not a prefix
		{"", ids},
	} {
		got, next, err := s.ListCustomers(ctx, m.ID, paybridge.CustomerFilter{Email: tc.query})
		ok(t, err)
		var gotIDs []string
		for _, c := range got {
			gotIDs = append(gotIDs, c.ID)
		}
		if diff := cmp.Diff(tc.want, gotIDs); diff != "" || next != "" {
			t.Errorf("ListCustomers(email %q) next %q (-want +got):\n%s", tc.query, next, diff)
		}
	}
}
