package paybridge

import "strings"

// MaxAmount is Clover's cap on one charge: $999,999.99 in minor units
// (CLOVER.md §2, appendix). Amounts above it are refused before any call.
const MaxAmount int64 = 99_999_999

// currencies is the explicit allowlist of ISO 4217 codes paybridge accepts.
// Clover's ecommerce API serves North America, Europe and Latin America; an
// allowlist (not golang.org/x/text/currency, which accepts test and obsolete
// codes) keeps "xts" or "zwd" from ever reaching Clover.
var currencies = map[string]int{ // code → minor-unit exponent
	"usd": 2, "cad": 2, "eur": 2, "gbp": 2, "mxn": 2, "ars": 2, "brl": 2,
	"chf": 2, "sek": 2, "nok": 2, "dkk": 2, "pln": 2, "czk": 2, "huf": 2,
	"ron": 2, "aud": 2, "nzd": 2, "jpy": 0,
}

// ValidCurrency reports whether c is a lowercase ISO 4217 code on the allowlist.
func ValidCurrency(c string) bool {
	_, ok := currencies[c]
	return ok && c == strings.ToLower(c)
}

// CurrencyExponent returns the number of minor-unit digits of c (2 for usd).
func CurrencyExponent(c string) int { return currencies[c] }

// Money is an amount in minor units (cents) with its currency. It is never a
// float: JSON amounts are integers and arithmetic is exact.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// ValidateAmount checks that amount is a positive chargeable amount no greater
// than MaxAmount; param names the field in the returned error.
func ValidateAmount(param string, amount int64) error {
	switch {
	case amount <= 0:
		return Errorf(EINVALID, param, "%s must be a positive integer number of minor units", param)
	case amount > MaxAmount:
		return Errorf(EINVALID, param, "%s must be at most %d (Clover's cap)", param, MaxAmount)
	}
	return nil
}
