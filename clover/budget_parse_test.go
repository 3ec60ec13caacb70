package clover_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

func TestParseMerchantBudgets(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]map[string]clover.TokenBudget{
		"":                            nil,
		" , ":                         nil,
		"MID1=4/2":                    {"MID1": {RPS: 4, Concurrent: 2}},
		" MID1 = 0.5/ , MID2=/10 ":    {"MID1": {RPS: 0.5}, "MID2": {Concurrent: 10}},
		"MID1=32/10,MID2=4/1,MID3=8/": {"MID1": {RPS: 32, Concurrent: 10}, "MID2": {RPS: 4, Concurrent: 1}, "MID3": {RPS: 8}},
	} {
		got, err := clover.ParseMerchantBudgets(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseMerchantBudgets(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, why := range map[string]string{
		"MID1":             "want MERCHANT=RPS/CONCURRENT",
		"MID1=4":           "want MERCHANT=RPS/CONCURRENT",
		"=4/2":             "want MERCHANT=RPS/CONCURRENT",
		"MID1=/":           "sets nothing",
		"MID1=0/2":         "positive number",
		"MID1=-1/2":        "positive number",
		"MID1=NaN/2":       "positive number",
		"MID1=Inf/2":       "positive number",
		"MID1=four/2":      "positive number",
		"MID1=4/0":         "positive whole number",
		"MID1=4/1.5":       "positive whole number",
		"MID1=4/2,MID1=8/": "given twice",
	} {
		if _, err := clover.ParseMerchantBudgets(in); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("ParseMerchantBudgets(%q) error = %v, want one saying %q", in, err, why)
		}
	}
}

// FuzzParseMerchantBudgets: any input is parsed or refused, never a
// panic, and what is accepted names a merchant and sets something sane.
func FuzzParseMerchantBudgets(f *testing.F) {
	for _, s := range []string{"", "MID=4/2", "A=1/,B=/3", "MID=1e308/9", "x=/", "=,=/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := clover.ParseMerchantBudgets(s)
		if err != nil {
			return
		}
		for m, b := range got {
			if m == "" || strings.ContainsAny(m, ",=") || b.RPS < 0 || b.Concurrent < 0 || b == (clover.TokenBudget{}) {
				t.Fatalf("ParseMerchantBudgets(%q) accepted %q: %+v", s, m, b)
			}
		}
	})
}

// TestBudgetToken: a merchant's override wins field by field.
func TestBudgetToken(t *testing.T) {
	t.Parallel()
	b := clover.DefaultBudget
	b.Merchants = map[string]clover.TokenBudget{"A": {RPS: 4, Concurrent: 2}, "B": {RPS: 40}}
	for m, want := range map[string][2]float64{"A": {4, 2}, "B": {40, 5}, "C": {16, 5}} {
		if rps, conc := b.Token(m); rps != want[0] || float64(conc) != want[1] {
			t.Errorf("Token(%s) = %v/%d, want %v/%v", m, rps, conc, want[0], want[1])
		}
	}
}
