package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// syncStore is what syncing changes made outside paybridge needs beyond
// paybridge.Store (package store implements it).
type syncStore interface {
	PaymentByCloverCharge(ctx context.Context, merchantID, chargeID string) (*paybridge.Payment, error)
	RefundByCloverID(ctx context.Context, merchantID, cloverRefundID string) (*paybridge.Refund, error)
	InvoiceByCloverOrder(ctx context.Context, merchantID, orderID string) (*paybridge.Invoice, error)
	MarkAppUninstalled(ctx context.Context, merchantID string, at time.Time) (bool, error)
}

// ErrSyncLater means an object cannot be synced yet (paybridge's own
// operation on it is in flight); the caller retries later.
var ErrSyncLater = errors.New("billing: object has an operation in flight; sync later")

// SyncCloverObject brings paybridge up to date with a Clover object that a
// platform webhook says changed (n.ObjectID as Clover sends it,
// "P:<charge>", "O:<order>", "A:<app>"). Changes made outside paybridge —
// a refund, or an invoice's order paid on a device or the dashboard — are
// recorded through the store's transitions, so they emit events like any
// other. An app DELETE newer than the merchant's last connect marks it
// reauthorization_required. Everything else is ignored.
//
// Clover calls are the merchant's scarce budget (16 req/s, shared with live
// payments), so a notice costs at most one, and none when paybridge already
// knows the outcome:
//   - P: CREATE of a charge paybridge made costs nothing; of another it
//     reads the charge once, and a charge paying an order of a customer
//     with a live subscription syncs that subscription (a run: the invoice
//     Clover generated, paid; see recurring_match.go). A new charge has no
//     refunds, and a device payment of an invoice's order is synced from
//     its O: UPDATE.
//   - P: UPDATE (a refund or a capture) lists the charge's refunds once,
//     only for a settled paybridge payment with no refund of its own in
//     flight.
//   - O: UPDATE fetches the order once, only for an invoice with nothing
//     paid and no payment in flight.
func (s *Service) SyncCloverObject(ctx context.Context, n paybridge.CloverNotice) error {
	kind, id, _ := strings.Cut(n.ObjectID, ":")
	switch {
	case kind == "A" && n.Type == "DELETE":
	case (kind == "P" || kind == "O") && n.Type == "UPDATE" && id != "":
	case kind == "P" && n.Type == "CREATE" && id != "":
	default:
		return nil
	}
	ss, ok := s.Store.(syncStore)
	if !ok {
		return nil
	}
	m, err := s.Store.GetMerchantByCloverID(ctx, n.CloverMerchantID)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
		return nil // not a merchant of ours (any more)
	} else if err != nil {
		return err
	}
	switch kind {
	case "A":
		return s.appUninstalled(ctx, ss, m.ID, n.TS)
	case "P":
		if n.Type == "CREATE" {
			return s.syncRunOf(ctx, ss, m.ID, id)
		}
		return s.syncCharge(ctx, ss, m.ID, id)
	default:
		return s.syncOrder(ctx, ss, m.ID, id)
	}
}

// appUninstalled marks the merchant reauthorization_required unless it
// reconnected after Clover's uninstall (ts, Unix ms; 0: now).
func (s *Service) appUninstalled(ctx context.Context, ss syncStore, merchantID string, ts int64) error {
	at := s.Now()
	if ts > 0 {
		at = time.UnixMilli(ts)
	}
	marked, err := ss.MarkAppUninstalled(ctx, merchantID, at)
	if err != nil {
		return err
	}
	if marked {
		s.Logger.Warn("Clover app uninstalled: merchant must reauthorize", "merchant_id", merchantID)
		if s.Audit != nil {
			s.Audit.Record(&paybridge.AuditEntry{ID: paybridge.NewID(paybridge.PrefixAudit), MerchantID: merchantID,
				Actor: "clover:webhook", Action: "merchant.reauthorization_required", ObjectID: merchantID,
				Outcome: "reauthorization_required", Detail: "the Clover app was uninstalled", CreatedAt: s.Now().UTC()})
		}
	} else {
		s.Logger.Info("Clover app-uninstall notice older than the merchant's reconnect: ignored", "merchant_id", merchantID)
	}
	return nil
}

// syncCharge records refunds of a paybridge payment's Clover charge that
// paybridge did not make.
func (s *Service) syncCharge(ctx context.Context, ss syncStore, merchantID, chargeID string) error {
	p, err := ss.PaymentByCloverCharge(ctx, merchantID, chargeID)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
		return nil // a charge paybridge did not make
	} else if err != nil {
		return err
	}
	if !p.Status.Settled() {
		return nil
	}
	// paybridge's own refund in flight: this notice is probably about it;
	// look once it has settled, when its Clover id is known.
	if inFlight, err := s.refundsInFlight(ctx, merchantID, p.ID); err != nil {
		return err
	} else if inFlight {
		return ErrSyncLater
	}
	_, auth, err := s.merchantAuth(ctx, merchantID, false)
	if err != nil {
		return err
	}
	returned, err := s.returnedAmounts(ctx, p)
	if err != nil {
		return err
	}
	list, err := s.Clover.ListRefunds(ctx, auth, chargeID)
	if err != nil {
		if clover.IsUnauthorized(err) {
			s.reauthorize(ctx, merchantID)
			return nil
		}
		return err
	}
	for _, rf := range list.Data {
		if rf.Status != "" && rf.Status != "succeeded" {
			continue
		}
		if _, err := ss.RefundByCloverID(ctx, merchantID, rf.ID); err == nil {
			continue
		} else if paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
			return err
		}
		// A return's refund: Clover's answer to a return names no refund
		// (CLOVER.md §13.3), so it is known by its amount, one refund per
		// return of paybridge's.
		if i := slices.Index(returned, rf.Amount); i >= 0 {
			returned = slices.Delete(returned, i, i+1)
			continue
		}
		// A refund paybridge started after the check above may be this
		// one, its Clover id not yet recorded: wait until it settles.
		if inFlight, err := s.refundsInFlight(ctx, merchantID, p.ID); err != nil {
			return err
		} else if inFlight {
			return ErrSyncLater
		}
		if err := s.recordExternalRefund(ctx, p, rf); err != nil {
			return err
		}
	}
	return nil
}

// returnedAmounts lists the amounts of paybridge's settled returns that
// refunded p (an order pay: Clover refunds a return from the order's
// charge), or ErrSyncLater while one is in flight and its refund may be
// in Clover's list already.
func (s *Service) returnedAmounts(ctx context.Context, p *paybridge.Payment) ([]int64, error) {
	if p.Route != paybridge.RouteOrderPay || p.InvoiceID == "" {
		return nil, nil
	}
	rs, err := s.Store.ListReturns(ctx, p.MerchantID, p.InvoiceID)
	if err != nil {
		return nil, err
	}
	var amounts []int64
	for _, r := range rs {
		switch r.Status {
		case paybridge.RefundPending, paybridge.RefundUnknown:
			return nil, ErrSyncLater
		case paybridge.RefundSucceeded:
			amounts = append(amounts, r.Amount)
		}
	}
	return amounts, nil
}

func (s *Service) refundsInFlight(ctx context.Context, merchantID, paymentID string) (bool, error) {
	cursor := ""
	for {
		rs, next, err := s.Store.ListRefunds(ctx, merchantID, paybridge.RefundFilter{PaymentID: paymentID, Cursor: cursor, Limit: 100})
		if err != nil {
			return false, err
		}
		for _, r := range rs {
			if r.Status == paybridge.RefundPending || r.Status == paybridge.RefundUnknown {
				return true, nil
			}
		}
		if next == "" {
			return false, nil
		}
		cursor = next
	}
}

// recordExternalRefund stores a refund made outside paybridge as pending,
// then succeeded: the same transitions as paybridge's own, so the payment,
// the invoice and the events follow.
func (s *Service) recordExternalRefund(ctx context.Context, p *paybridge.Payment, rf clover.Refund) error {
	now := s.Now().UTC()
	r := &paybridge.Refund{
		ID: paybridge.NewID(paybridge.PrefixRefund), MerchantID: p.MerchantID, PaymentID: p.ID, InvoiceID: p.InvoiceID,
		Amount: rf.Amount, Currency: p.Currency, Reason: rf.Reason, Status: paybridge.RefundPending,
		CloverRefundID: rf.ID, IdempotencyKey: "external:" + rf.ID, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.Store.CreateRefund(ctx, r); err != nil {
		if paybridge.ErrorKind(err) == paybridge.ECONFLICT {
			return nil // recorded concurrently (unique Clover refund id)
		}
		return fmt.Errorf("record external refund %s: %w", rf.ID, err)
	}
	r.Status = paybridge.RefundSucceeded
	if _, err := s.Store.ApplyRefund(ctx, r, paybridge.RefundPending, now); err != nil {
		return fmt.Errorf("settle external refund %s: %w", rf.ID, err)
	}
	s.Logger.Info("refund made outside paybridge recorded", "refund_id", r.ID, "payment_id", p.ID, "amount", rf.Amount)
	return nil
}
