package web

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
)

// Locales the pay page speaks (Clover's iframe speaks the same three).
var Locales = []string{"en-US", "en-CA", "fr-CA"}

// pickLocale chooses from ?lang=, then Accept-Language (by q), else en-US.
func pickLocale(r *http.Request) string {
	if l := matchLocale(r.URL.Query().Get("lang")); l != "" {
		return l
	}
	type tag struct {
		name string
		q    float64
	}
	var tags []tag
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if name != "" && q > 0 {
			tags = append(tags, tag{name, q})
		}
	}
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].q > tags[j].q })
	for _, t := range tags {
		if l := matchLocale(t.name); l != "" {
			return l
		}
	}
	return "en-US"
}

// matchLocale maps a language tag to a supported locale ("" if none):
// any French is fr-CA (the only French offered), en-CA is itself, other
// English is en-US.
func matchLocale(tag string) string {
	t := strings.ToLower(strings.TrimSpace(tag))
	switch {
	case t == "":
		return ""
	case t == "fr" || strings.HasPrefix(t, "fr-"):
		return "fr-CA"
	case t == "en-ca":
		return "en-CA"
	case t == "en" || strings.HasPrefix(t, "en-"):
		return "en-US"
	}
	return ""
}

// FormatMoney formats minor units for a locale: "$1,234.56" (en-US),
// "$1,234.56" or "US$1,234.56" (en-CA), "1 234,56 $" or "1 234,56 $ US"
// (fr-CA, narrow no-break space between groups).
func FormatMoney(amount int64, currency, locale string) string {
	return formatOf(currency, locale).format(amount)
}

// moneyFormat is how one locale writes one currency: pay.js gets the same
// parts (data attributes) so the totals it updates read exactly like the
// server's.
type moneyFormat struct {
	Pre, Post, Group, Dec string
	Exp                   int
}

func formatOf(currency, locale string) moneyFormat {
	f := moneyFormat{Group: ",", Dec: ".", Exp: paybridge.CurrencyExponent(currency)}
	sym, suffix := symbol(currency, locale)
	if locale == "fr-CA" {
		f.Group, f.Dec, f.Post = "\u202f", ",", "\u00a0"+sym+suffix
	} else {
		f.Pre, f.Post = sym, suffix
	}
	return f
}

func (f moneyFormat) format(amount int64) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	pow := int64(1)
	for range f.Exp {
		pow *= 10
	}
	whole, frac := amount/pow, amount%pow
	s := groupDigits(strconv.FormatInt(whole, 10), f.Group)
	if f.Exp > 0 {
		d := strconv.FormatInt(frac, 10)
		s += f.Dec + strings.Repeat("0", f.Exp-len(d)) + d
	}
	out := f.Pre + s + f.Post
	if neg {
		out = "-" + out
	}
	return out
}

func symbol(currency, locale string) (sym, suffix string) {
	switch {
	case currency == "usd" && locale == "en-US", currency == "cad" && locale != "en-US":
		return "$", ""
	case currency == "usd" && locale == "en-CA":
		return "US$", ""
	case currency == "usd":
		return "$", "\u00a0US"
	case currency == "cad":
		return "CA$", ""
	case currency == "eur":
		return "€", ""
	case currency == "gbp":
		return "£", ""
	}
	if locale == "fr-CA" {
		return strings.ToUpper(currency), ""
	}
	return strings.ToUpper(currency) + "\u00a0", ""
}

func groupDigits(s, sep string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// ParseAmount reads an amount a customer typed ("50", "50.5", ".50",
// "1,234.56", "1.234,56", "50,50", "1 234,56 $") into minor units of
// currency; ok is false for anything else, and for amounts over
// paybridge.MaxAmount. The last separator is the decimal one when 1 up to
// the currency's exponent digits follow it; the others group thousands
// (all the same character, groups of exactly 3). "1.234" is refused as
// ambiguous (1.234 or 1234?), while "1,234" is the English 1234.
func ParseAmount(s, currency string) (int64, bool) {
	exp := paybridge.CurrencyExponent(currency)
	// Currency signs and codes may stand anywhere ("CA$12", "12 $ US").
	t := strings.NewReplacer("\u202f", "", "\u00a0", "", " ", "", "\t", "", "US", "", "CA", "", "$", "", "€", "", "£", "").Replace(s)
	if t == "" || len(t) > 24 {
		return 0, false
	}
	// Split into digit runs and the separators between them.
	var runs []string
	var seps []byte
	start := 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9':
		case c == '.' || c == ',':
			runs, seps, start = append(runs, t[start:i]), append(seps, c), i+1
		default:
			return 0, false
		}
	}
	runs = append(runs, t[start:])
	whole, frac := runs, ""
	last := len(runs) - 1
	if n := len(runs[last]); last > 0 && n >= 1 && n <= exp && (last == 1 || seps[last-1] != seps[0]) {
		whole, frac = runs[:last], runs[last]
		if len(whole) == 1 && whole[0] == "" {
			whole = []string{"0"} // ".50"
		}
	} else if last == 1 && seps[0] == '.' && len(runs[1]) == 3 {
		return 0, false // "1.234": ambiguous
	}
	for i, r := range whole {
		switch {
		case i == 0 && (len(r) == 0 || (len(whole) > 1 && len(r) > 3)):
			return 0, false
		case i > 0 && (len(r) != 3 || seps[i-1] != seps[0]):
			return 0, false
		}
	}
	if frac != "" && len(whole) > 1 && seps[len(whole)-1] == seps[0] {
		return 0, false // the decimal separator must differ from the grouping one
	}
	d := strings.TrimLeft(strings.Join(whole, ""), "0") + frac + strings.Repeat("0", exp-len(frac))
	if len(d) > 18 {
		return 0, false
	}
	if d == "" {
		d = "0"
	}
	v, err := strconv.ParseInt(d, 10, 64)
	if err != nil || v > paybridge.MaxAmount {
		return 0, false
	}
	return v, true
}

var monthNames = map[string][]string{
	"en-US": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"fr-CA": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
}

// formatDate writes a date as the locale does: "December 7, 2026"
// (en-US, en-CA), "7 décembre 2026" (fr-CA).
func formatDate(t time.Time, locale string) string {
	if t.IsZero() {
		return ""
	}
	if locale == "fr-CA" {
		return fmt.Sprintf("%d %s %d", t.Day(), monthNames["fr-CA"][t.Month()-1], t.Year())
	}
	return fmt.Sprintf("%s %d, %d", monthNames["en-US"][t.Month()-1], t.Day(), t.Year())
}
