package web

import (
	"net/url"
	"testing"

	"github.com/paybridge/paybridge"
)

// TestChoiceCharge: what a choice charges, the tip a percentage of the
// amount paid now, and the refusals for amounts out of bounds.
func TestChoiceCharge(t *testing.T) {
	t.Parallel()
	inv := &paybridge.Invoice{Currency: "usd", Total: 22100, AllowTip: true, AllowPartial: true, MinimumPartialAmount: 1000}
	for _, c := range []struct {
		q           string
		amount, tip int64
		code        string
	}{
		{"", 22100, 0, ""},
		{"tip=18", 22100, 3978, ""},
		{"amount_choice=partial&partial_amount=50&tip=18", 5000, 900, ""},
		{"amount_choice=partial&partial_amount=20&tip=15", 2000, 300, ""},
		{"amount_choice=partial&partial_amount=20,50&tip=custom&tip_amount=3,25", 2050, 325, ""},
		{"amount_choice=partial&partial_amount=221.00", 22100, 0, ""},
		{"amount_choice=partial&partial_amount=9.99", 0, 0, "amount_too_small"},
		{"amount_choice=partial&partial_amount=221.01", 0, 0, "amount_too_large"},
		{"amount_choice=partial&partial_amount=", 0, 0, "amount_invalid"},
		{"amount_choice=partial&partial_amount=abc", 0, 0, "amount_invalid"},
		{"tip=custom&tip_amount=x", 22100, 0, "tip_invalid"},
		{"tip=custom", 22100, 0, ""},
		{"tip=17", 22100, 0, ""}, // not a preset: no tip
	} {
		q, _ := url.ParseQuery(c.q)
		a, tip, code := readChoice(q).charge(inv)
		if a != c.amount || tip != c.tip || code != c.code {
			t.Errorf("%s: %d + %d %q, want %d + %d %q", c.q, a, tip, code, c.amount, c.tip, c.code)
		}
	}
	noTip := *inv
	noTip.AllowTip, noTip.AllowPartial = false, false
	q, _ := url.ParseQuery("amount_choice=partial&partial_amount=20&tip=18")
	if a, tip, code := readChoice(q).charge(&noTip); a != 22100 || tip != 0 || code != "" {
		t.Errorf("an invoice without tips or partials: %d + %d %q", a, tip, code)
	}
}

// TestChoiceQueryRoundTrip: a choice written to a URL reads back the same.
func TestChoiceQueryRoundTrip(t *testing.T) {
	t.Parallel()
	c := choice{Partial: true, Amount: "20,50", Tip: "custom", TipAmount: "3", Save: true}
	q := url.Values{}
	c.query(q)
	if got := readChoice(q); got != c {
		t.Fatalf("%+v → %s → %+v", c, q.Encode(), got)
	}
}
