package billing

import (
	"context"
	"time"

	"github.com/paybridge/paybridge"
)

// collector is the actor of autopay and dunning charges.
func collector(merchantID string) Caller {
	return Caller{MerchantID: merchantID, Actor: "system:collector"}
}

// RunCollections starts autopay for invoices due today (customers with
// autopay on) and makes every dunning retry whose time has come. It
// returns how many charges it attempted.
func (s *Service) RunCollections(ctx context.Context) (int, error) {
	rs, err := s.recurringStore()
	if err != nil {
		return 0, err
	}
	now := s.Now().UTC()
	due, err := rs.AutopayDue(ctx, now.Format(time.DateOnly), 100)
	if err != nil {
		return 0, err
	}
	for _, d := range due {
		inv, err := s.Store.GetInvoice(ctx, d[0], d[1])
		if err != nil {
			return 0, err
		}
		err = rs.CreateCollection(ctx, &paybridge.Collection{InvoiceID: inv.ID, MerchantID: inv.MerchantID,
			CustomerID: inv.CustomerID, Kind: paybridge.CollectAutopay, NextAttemptAt: now, CreatedAt: now})
		if err != nil && paybridge.ErrorCode(err) != "collection_exists" {
			return 0, err
		}
	}
	cols, err := rs.DueCollections(ctx, now, 100)
	if err != nil {
		return 0, err
	}
	for _, col := range cols {
		if err := s.collect(ctx, col); err != nil {
			s.Logger.Error("collect invoice", "invoice_id", col.InvoiceID, "err", err)
		}
	}
	return len(cols), nil
}

// collect charges one invoice with the customer's card: the autopay card,
// else the newest saved card. A decline counts a failure and plans the
// next retry on the merchant's dunning schedule, with an event
// (invoice.autopay_failed for autopay) and a notice to the customer.
func (s *Service) collect(ctx context.Context, col *paybridge.Collection) error {
	rs, _ := s.recurringStore()
	cs, err := s.cardStore()
	if err != nil {
		return err
	}
	inv, err := s.Store.GetInvoice(ctx, col.MerchantID, col.InvoiceID)
	if err != nil {
		return err
	}
	if payable(inv) != nil {
		col.Done, col.NextAttemptAt = true, time.Time{}
		return rs.UpdateCollection(ctx, col)
	}
	cardID := ""
	if a, err := cs.GetAutopay(ctx, col.MerchantID, col.CustomerID); err == nil && a.Enabled && col.Kind == paybridge.CollectAutopay {
		cardID = a.CardID
	}
	if cardID == "" {
		cards, err := cs.ListCards(ctx, col.MerchantID, col.CustomerID)
		if err != nil {
			return err
		}
		if len(cards) > 0 {
			cardID = cards[len(cards)-1].ID
		}
	}
	code := "card_on_file_missing"
	if cardID != "" {
		p, err := s.PayInvoice(ctx, collector(col.MerchantID), inv.ID, PayInput{CardID: cardID})
		switch {
		case p != nil && (p.Status.Settled() || p.Status == paybridge.PaymentAuthorized):
			col.Done, col.NextAttemptAt, col.LastError = true, time.Time{}, ""
			return rs.UpdateCollection(ctx, col)
		case p != nil && p.Status.InFlight(), p == nil && paybridge.ErrorKind(err) == paybridge.ECONFLICT:
			col.NextAttemptAt = s.Now().UTC().Add(time.Hour) // the reconciler settles it; look again later
			return rs.UpdateCollection(ctx, col)
		case p != nil:
			code = p.FailureCode
		case err != nil:
			code = paybridge.ErrorCode(err)
		}
	}
	st, err := rs.GetBillingSettings(ctx, col.MerchantID)
	if err != nil {
		return err
	}
	first := col.Failures == 0
	col.Failures++
	col.LastError = code
	col.NextAttemptAt = nextAttempt(col.CreatedAt, st.DunningDays, col.Failures)
	var evs []*paybridge.Event
	if col.Kind == paybridge.CollectAutopay {
		inv, _ = s.Store.GetInvoice(ctx, col.MerchantID, col.InvoiceID)
		evs = append(evs, eventOf(paybridge.EventInvoiceAutopayFailed, "invoice", inv.ID, inv.Version, inv))
	}
	if err := rs.UpdateCollection(ctx, col, evs...); err != nil {
		return err
	}
	if first || col.NextAttemptAt.IsZero() {
		s.notify(ctx, Notice{Kind: NoticePaymentFailed, MerchantID: col.MerchantID, InvoiceID: col.InvoiceID, SubscriptionID: col.SubscriptionID})
	}
	return nil
}

// ResumeWithCard is Service.OnCardSaved's recurring half: a customer's new
// card makes their unfinished collections due now, and reactivates their
// subscriptions Clover deactivated, so billing resumes.
func (s *Service) ResumeWithCard(ctx context.Context, card *paybridge.Card) {
	rs, err := s.recurringStore()
	if err != nil {
		return
	}
	subs, err := rs.ListSubscriptions(ctx, card.MerchantID, card.CustomerID)
	if err != nil {
		return
	}
	for _, sub := range subs {
		if sub.Status != paybridge.SubscriptionDeactivated {
			continue
		}
		_, auth, err := s.merchantAuth(ctx, sub.MerchantID, true)
		if err != nil {
			return
		}
		active := true
		if _, err := s.Clover.UpdateSubscription(ctx, auth, sub.CloverSubscriptionID, cloverActive(&active)); err != nil {
			s.Logger.Error("reactivate subscription", "subscription_id", sub.ID, "err", err)
			continue
		}
		sub.Status, sub.FailureCount = paybridge.SubscriptionActive, 0
		if err := rs.UpdateSubscription(ctx, sub, paybridge.EventSubscriptionReactivated); err != nil {
			s.Logger.Error("reactivate subscription", "subscription_id", sub.ID, "err", err)
		}
	}
	s.retryNow(ctx, rs, card)
}
