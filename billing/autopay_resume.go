package billing

import (
	"context"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

func cloverActive(active *bool) clover.SubscriptionParams {
	return clover.SubscriptionParams{Active: active}
}

// retryNow makes the customer's unfinished collections due at once.
func (s *Service) retryNow(ctx context.Context, rs paybridge.RecurringStore, card *paybridge.Card) {
	now := s.Now().UTC()
	cols, err := rs.DueCollections(ctx, now.Add(100*365*24*time.Hour), 100)
	if err != nil {
		return
	}
	for _, col := range cols {
		if col.MerchantID != card.MerchantID || col.CustomerID != card.CustomerID {
			continue
		}
		col.NextAttemptAt = now
		if err := rs.UpdateCollection(ctx, col); err != nil {
			s.Logger.Warn("retry collection with new card", "invoice_id", col.InvoiceID, "err", err)
		}
	}
}
