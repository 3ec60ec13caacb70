package billing

import (
	"context"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

func cloverActive(active *bool) clover.SubscriptionParams {
	return clover.SubscriptionParams{Active: active}
}

// retryNow makes the customer's unfinished collections due at once,
// including those whose dunning schedule ran out (no attempt planned): a
// new card is the customer's answer to the failure mail, so each open
// invoice of theirs is charged once more on it. If that charge fails too,
// the collection stays exhausted and the customer is mailed again.
func (s *Service) retryNow(ctx context.Context, rs paybridge.RecurringStore, card *paybridge.Card) {
	us, ok := s.Store.(paybridge.CardUpdateStore)
	if !ok {
		return
	}
	now := s.Now().UTC()
	cols, err := us.OpenCollections(ctx, card.MerchantID, card.CustomerID)
	if err != nil {
		s.Logger.Warn("retry collections with new card", "customer_id", card.CustomerID, "err", err)
		return
	}
	for _, col := range cols {
		col.NextAttemptAt = now
		if err := rs.UpdateCollection(ctx, col); err != nil {
			s.Logger.Warn("retry collection with new card", "invoice_id", col.InvoiceID, "err", err)
		}
	}
}
