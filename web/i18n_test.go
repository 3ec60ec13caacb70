package web

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestMessagesComplete: every key resolves to real text in every locale,
// fr-CA translates every key itself (a missing French string would show
// English to a French customer), and the format verbs agree.
func TestMessagesComplete(t *testing.T) {
	t.Parallel()
	en := messages["en-US"]
	if len(en) < 50 {
		t.Fatalf("only %d en-US messages", len(en))
	}
	for _, loc := range Locales {
		if _, ok := messages[loc]; !ok {
			t.Fatalf("no message table for %s", loc)
		}
		for key, want := range en {
			got := msg(loc, key)
			if got == "" || got == key {
				t.Errorf("%s: %q has no text", loc, key)
			}
			if strings.Count(got, "%s") != strings.Count(want, "%s") {
				t.Errorf("%s: %q has %d %%s, en-US %d", loc, key, strings.Count(got, "%s"), strings.Count(want, "%s"))
			}
		}
	}
	for key := range en {
		if _, ok := messages["fr-CA"][key]; !ok {
			t.Errorf("fr-CA lacks %q", key)
		}
	}
	for key := range messages["fr-CA"] {
		if _, ok := en[key]; !ok {
			t.Errorf("fr-CA has %q, en-US does not", key)
		}
	}
}

// TestRefusalsLocalized: every refusal code the page maps, and any code it
// does not know, gives a message in the customer's language: never the
// code itself, never Clover's English.
func TestRefusalsLocalized(t *testing.T) {
	t.Parallel()
	codes := []string{"something_clover_invented", "processing_error"}
	for c := range refusalKeys {
		codes = append(codes, c)
	}
	for _, loc := range Locales {
		v := &view{Locale: loc}
		for _, c := range codes {
			got := v.refusal(c)
			if got == "" || strings.Contains(got, c) || strings.Contains(got, "%") {
				t.Errorf("%s %s → %q", loc, c, got)
			}
			if _, ok := messages["en-US"][refusalKey(c)]; !ok {
				t.Errorf("%s maps to missing key %q", c, refusalKey(c))
			}
		}
	}
	fr := &view{Locale: "fr-CA"}
	for code, want := range map[string]string{
		"card_declined":      "Votre carte a été refusée.",
		"insufficient_funds": "fonds insuffisants",
		"incorrect_cvc":      "code de sécurité",
		"expired_card":       "expirée",
		"rate_limited":       "Trop de tentatives",
		"stolen_card":        "Votre carte a été refusée.", // never "stolen" to whoever holds it
	} {
		if got := fr.refusal(code); !strings.Contains(got, want) {
			t.Errorf("fr-CA %s = %q, want it to say %q", code, got, want)
		}
	}
	if en := (&view{Locale: "en-US"}).refusal("stolen_card"); strings.Contains(strings.ToLower(en), "stolen") {
		t.Errorf("stolen card refusal tells: %q", en)
	}
}

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		amount        int64
		currency, loc string
		want          string
	}{
		{123456, "usd", "en-US", "$1,234.56"},
		{123456, "cad", "en-CA", "$1,234.56"},
		{123456, "usd", "en-CA", "US$1,234.56"},
		{123456, "cad", "fr-CA", "1\u202f234,56\u00a0$"},
		{123456, "usd", "fr-CA", "1\u202f234,56\u00a0$\u00a0US"},
		{5, "cad", "fr-CA", "0,05\u00a0$"},
		{100, "usd", "en-US", "$1.00"},
		{99999999, "usd", "en-US", "$999,999.99"},
		{-2500, "usd", "en-US", "-$25.00"},
		{1234567, "cad", "fr-CA", "12\u202f345,67\u00a0$"},
		{100000, "cad", "en-US", "CA$1,000.00"},
	} {
		if got := FormatMoney(tt.amount, tt.currency, tt.loc); got != tt.want {
			t.Errorf("FormatMoney(%d, %s, %s) = %q, want %q", tt.amount, tt.currency, tt.loc, got, tt.want)
		}
	}
}

// TestFormatParseRoundTrip: what the page shows, a customer may type back.
func TestFormatParseRoundTrip(t *testing.T) {
	t.Parallel()
	for _, loc := range Locales {
		for _, a := range []int64{1, 99, 100, 1050, 123456, 100000000 - 1} {
			for _, cur := range []string{"usd", "cad"} {
				s := FormatMoney(a, cur, loc)
				if got, ok := ParseAmount(s, cur); !ok || got != a {
					t.Errorf("ParseAmount(FormatMoney(%d, %s, %s) = %q) = %d, %v", a, cur, loc, s, got, ok)
				}
			}
		}
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	valid := map[string]int64{
		"50": 5000, "50.5": 5050, "50.05": 5005, "50,50": 5050, ".50": 50, "0.01": 1, "0": 0,
		"1,234.56": 123456, "1.234,56": 123456, "1 234,56 $": 123456, "1\u202f234,56\u00a0$": 123456,
		"12,345.67": 1234567, "12 345,67": 1234567, "12.345,67": 1234567, "$1,234": 123400, "  $ 42  ": 4200,
		"999999.99": 99999999, "999,999.99": 99999999, "007.50": 750, "1 234,56 $ US": 123456, "CA$12.00": 1200,
	}
	for in, want := range valid {
		if got, ok := ParseAmount(in, "usd"); !ok || got != want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	invalid := []string{
		"", " ", "-5", "-5.00", "(5.00)", "+5", // negative or signed
		"1.2345", "50.555", "0.001", // too many decimals
		"1.234",                                                                                   // ambiguous: 1.234 or 1234?
		"1000000.00", "1,000,000", "12,345,678.90", "99999999999999999999", "9223372036854775808", // over the cap (and int64)
		"abc", "12a", "1e3", "0x10", "５０", "NaN", "Infinity", "1/2", "5.", ",", ".", "1,,234", "1,23,456", "1.234.56",
		"12,3456.00", "1,234,56", "1.234.567,8.9", "1 234.567,89", "$$", "€",
	}
	for _, in := range invalid {
		if got, ok := ParseAmount(in, "usd"); ok {
			t.Errorf("ParseAmount(%q) = %d, ok; want refused", in, got)
		}
	}
	if got, ok := ParseAmount("1,234,567", "jpy"); !ok || got != 1234567 {
		t.Errorf("jpy 1,234,567 = %d %v", got, ok)
	}
	if _, ok := ParseAmount("500.5", "jpy"); ok {
		t.Error("jpy takes no decimals")
	}
}

func TestPickLocale(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ query, accept, want string }{
		{"", "", "en-US"},
		{"", "fr-CA,fr;q=0.9,en;q=0.5", "fr-CA"},
		{"", "fr-FR", "fr-CA"},
		{"", "de-DE, en-CA;q=0.8, fr;q=0.5", "en-CA"},
		{"", "en-GB", "en-US"},
		{"", "fr;q=0, en", "en-US"},
		{"", "de, ja", "en-US"},
		{"fr-CA", "en-US", "fr-CA"},
		{"xx", "fr", "fr-CA"},
	} {
		r := httptest.NewRequest("GET", fmt.Sprintf("/pay/x?lang=%s", tt.query), nil)
		if tt.accept != "" {
			r.Header.Set("Accept-Language", tt.accept)
		}
		if got := pickLocale(r); got != tt.want {
			t.Errorf("pickLocale(lang=%q, Accept-Language %q) = %s, want %s", tt.query, tt.accept, got, tt.want)
		}
	}
}
