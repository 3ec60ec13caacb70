package billing

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// taxCacheTTL bounds how stale a merchant's tax rates may be; a miss
// refreshes at once, so a rate added in Clover is seen on first use.
const taxCacheTTL = 10 * time.Minute

type taxCache struct {
	byRate  map[int64]string // Clover rate (1/100,000 %) → tax rate id
	fetched time.Time
}

// orderItems maps invoice lines to Clover order items. A line's tax rate
// must exist for the merchant in Clover (CLOVER.md §12): paybridge never
// invents tax rates in a merchant's account. Only the order's sync calls it
// (invoice_order.go), never an API request: an invoice is stored without
// asking Clover, and a rate Clover does not have fails the invoice's sync
// (clover_sync failed, tax_rate_not_found) rather than its creation.
// Clover's errors are returned as they are.
func (s *Service) orderItems(ctx context.Context, merchantID string, auth clover.Auth, inv *paybridge.Invoice) ([]clover.OrderItem, error) {
	items := make([]clover.OrderItem, 0, len(inv.LineItems))
	for i, li := range inv.LineItems {
		it := clover.OrderItem{Type: "sku", Quantity: li.Quantity, Amount: li.UnitAmount, Currency: inv.Currency, Description: li.Description}
		if li.TaxRateBPS > 0 {
			id, err := s.taxRateID(ctx, merchantID, auth, li.TaxRateBPS*1000)
			if err != nil {
				return nil, err
			}
			if id == "" {
				p := "line_items[" + strconv.Itoa(i) + "].tax_rate_bps"
				return nil, invalid(p, "tax_rate_not_found",
					"no tax rate of %d.%02d%% exists for this merchant in Clover; add it there first", li.TaxRateBPS/100, li.TaxRateBPS%100)
			}
			it.TaxRates = []clover.TaxRate{{TaxRateUUID: id}}
		}
		items = append(items, it)
	}
	return items, nil
}

// taxRateID finds the merchant's Clover tax rate with this rate, from a
// per-merchant cache refreshed on a miss or when stale.
func (s *Service) taxRateID(ctx context.Context, merchantID string, auth clover.Auth, rate int64) (string, error) {
	s.taxMu.Lock()
	tc, ok := s.taxRates[merchantID]
	s.taxMu.Unlock()
	if ok && s.Now().Sub(tc.fetched) < taxCacheTTL {
		if id, ok := tc.byRate[rate]; ok {
			return id, nil
		}
	}
	rates, err := s.Clover.ListTaxRates(ctx, auth)
	if err != nil {
		if clover.IsUnauthorized(err) {
			s.reauthorize(ctx, merchantID)
		}
		return "", fmt.Errorf("read the merchant's tax rates: %w", err)
	}
	tc = taxCache{byRate: map[int64]string{}, fetched: s.Now()}
	for _, r := range rates {
		if _, dup := tc.byRate[r.Rate]; !dup {
			tc.byRate[r.Rate] = r.ID
		}
	}
	s.taxMu.Lock()
	s.taxRates[merchantID] = tc
	s.taxMu.Unlock()
	return tc.byRate[rate], nil
}
