package billing

import "github.com/paybridge/paybridge"

// merchantTakes refuses money in another currency than the merchant's:
// Clover refuses a charge or an order in any other (CLOVER.md §1.1), so
// the CRM hears it at once and precisely, with nothing stored. The
// merchant's currency is configuration (onboarding.Currencies), since
// Clover's merchant read does not carry it (§13.6).
func merchantTakes(m *paybridge.Merchant, currency string) error {
	if currency != m.Currency {
		return invalid("currency", "invalid_currency", "the merchant takes %s", m.Currency)
	}
	return nil
}
