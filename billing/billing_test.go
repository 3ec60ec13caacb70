package billing

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestDerivedKeys: a follow-up call's key is the same however often it is
// derived (that is what makes its retries safe), differs by purpose and
// object, and looks like the UUIDv4 Clover asks for.
func TestDerivedKeys(t *testing.T) {
	t.Parallel()
	a, b := derivedKey("pay_1", "capture"), derivedKey("pay_1", "capture")
	if a != b {
		t.Fatal("derivedKey is not stable")
	}
	for _, k := range []string{derivedKey("pay_1", "void"), derivedKey("pay_2", "capture"), newKey()} {
		if k == a {
			t.Fatalf("key collision: %s", k)
		}
	}
	for _, k := range []string{a, newKey()} {
		if !uuidV4.MatchString(k) {
			t.Fatalf("%q is not a UUIDv4", k)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := backoff(100); got != 5*time.Minute {
		t.Errorf("backoff is not capped: %v", got)
	}
}

func TestExternalRef(t *testing.T) {
	t.Parallel()
	if r := externalRef("pay_0123456789abcdefghijklmn"); len(r) != 12 || r != "cdefghijklmn" {
		t.Fatalf("externalRef = %q", r)
	}
}

func TestInvoiceInputValidation(t *testing.T) {
	t.Parallel()
	ok := func() InvoiceInput {
		return InvoiceInput{CustomerID: "cus_1", Currency: "usd", LineItems: []LineItemInput{{Description: "x", Quantity: 1, UnitAmount: 100}}}
	}
	for _, tc := range []struct {
		name  string
		edit  func(*InvoiceInput)
		param string
	}{
		{"valid", func(*InvoiceInput) {}, ""},
		{"no customer", func(in *InvoiceInput) { in.CustomerID = "" }, "customer_id"},
		{"unknown currency", func(in *InvoiceInput) { in.Currency = "xts" }, "currency"},
		{"no lines", func(in *InvoiceInput) { in.LineItems = nil }, "line_items"},
		{"blank description", func(in *InvoiceInput) { in.LineItems[0].Description = " " }, "line_items[0].description"},
		{"zero quantity", func(in *InvoiceInput) { in.LineItems[0].Quantity = 0 }, "line_items[0].quantity"},
		{"negative price", func(in *InvoiceInput) { in.LineItems[0].UnitAmount = -1 }, "line_items[0].unit_amount"},
		{"price over cap", func(in *InvoiceInput) { in.LineItems[0].UnitAmount = paybridge.MaxAmount + 1 }, "line_items[0].unit_amount"},
		{"tax over 100%", func(in *InvoiceInput) { in.LineItems[0].TaxRateBPS = 10001 }, "line_items[0].tax_rate_bps"},
		{"minimum without partial", func(in *InvoiceInput) { in.MinimumPartialAmount = 100 }, "minimum_partial_amount"},
		{"bad due date", func(in *InvoiceInput) { in.DueDate = "31/12/2026" }, "due_date"},
		{"too many metadata keys", func(in *InvoiceInput) {
			in.Metadata = map[string]string{}
			for i := range 51 {
				in.Metadata[strconv.Itoa(i)] = "v"
			}
		}, "metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok()
			tc.edit(&in)
			err := in.validate()
			if tc.param == "" {
				if err != nil {
					t.Fatalf("valid input refused: %v", err)
				}
				return
			}
			var pe *paybridge.Error
			if err == nil || paybridge.ErrorKind(err) != paybridge.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			if pe = err.(*paybridge.Error); pe.Param != tc.param {
				t.Fatalf("param %q, want %q", pe.Param, tc.param)
			}
		})
	}
}

func TestSource(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		token, card, tender string
		method              paybridge.PaymentMethod
	}{
		{"clv_abc", "", "", paybridge.MethodToken},
		{"", "card_1", "", paybridge.MethodCard},
		{"", "", "cash", paybridge.MethodCash},
		{"", "", "check", paybridge.MethodCheck},
		{"", "", "", ""},
		{"clv_abc", "", "cash", ""},
		{"tok_abc", "", "", ""},
		{"", "", "gold", ""},
	} {
		m, _, err := source(tc.token, tc.card, tc.tender)
		if m != tc.method || (tc.method == "") != (err != nil) {
			t.Errorf("source(%q,%q,%q) = %q, %v", tc.token, tc.card, tc.tender, m, err)
		}
	}
}

func TestCustomerInputValidation(t *testing.T) {
	t.Parallel()
	for email, ok := range map[string]bool{"pat@example.com": true, "": false, "pat": false,
		"Pat <pat@example.com>": false, "pat@example.com\n": true /* trimmed */} {
		in := CustomerInput{Email: email}
		if err := in.validate(); (err == nil) != ok {
			t.Errorf("email %q: %v", email, err)
		}
	}
}
