package onboarding

import (
	"fmt"
	"strings"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// Currencies says which currency each Clover merchant takes. It is
// configuration because nothing Clover documents gives it: the recorded
// GET /v3/merchants/{mId} has no currency or defaultCurrency (CLOVER.md
// §13.6), and what its address or gateway would imply is not documented
// either (a North America merchant may be in the US or in Canada). A
// merchant not listed takes Default. The zero value means usd for all.
type Currencies struct {
	Default    string            // lowercase ISO 4217, e.g. "usd"
	ByMerchant map[string]string // Clover merchant id → lowercase ISO 4217
}

// Of is the currency of the Clover merchant cloverID.
func (c Currencies) Of(cloverID string) string {
	if cur, ok := c.ByMerchant[cloverID]; ok {
		return cur
	}
	if c.Default != "" {
		return c.Default
	}
	return "usd"
}

// ParseCurrencies reads PAYBRIDGE_CLOVER_DEFAULT_CURRENCY (def) and
// PAYBRIDGE_CLOVER_MERCHANT_CURRENCIES (list: "MID=cad,MID2=usd"; "" for
// none). Every currency must be one paybridge supports, every id a Clover
// merchant id, each listed once.
func ParseCurrencies(def, list string) (Currencies, error) {
	c := Currencies{Default: strings.ToLower(strings.TrimSpace(def)), ByMerchant: map[string]string{}}
	if c.Default == "" {
		c.Default = "usd"
	}
	if !paybridge.ValidCurrency(c.Default) {
		return c, fmt.Errorf("default currency %q is not one paybridge supports", def)
	}
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, cur, ok := strings.Cut(part, "=")
		id, cur = strings.TrimSpace(id), strings.ToLower(strings.TrimSpace(cur))
		switch {
		case !ok || !clover.ValidID(id):
			return c, fmt.Errorf("%q: want MERCHANT_ID=currency with a 13-character Clover merchant id", part)
		case !paybridge.ValidCurrency(cur):
			return c, fmt.Errorf("%q: currency %q is not one paybridge supports", part, cur)
		}
		if _, dup := c.ByMerchant[id]; dup {
			return c, fmt.Errorf("merchant %s is listed twice", id)
		}
		c.ByMerchant[id] = cur
	}
	return c, nil
}
