package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// syncStore is what syncing changes made outside paybridge needs beyond
// paybridge.Store (package store implements it).
type syncStore interface {
	PaymentByCloverCharge(ctx context.Context, merchantID, chargeID string) (*paybridge.Payment, error)
	RefundByCloverID(ctx context.Context, merchantID, cloverRefundID string) (*paybridge.Refund, error)
}

// ErrSyncLater means an object cannot be synced yet (paybridge's own
// operation on it is in flight); the caller retries later.
var ErrSyncLater = errors.New("billing: object has an operation in flight; sync later")

// SyncCloverObject brings paybridge up to date with a Clover object that a
// platform webhook says changed (objectID as Clover sends it, "P:<charge>",
// "A:<app>", …). Changes made outside paybridge, such as a refund on the
// Clover dashboard or a device, are recorded through the store's
// transitions, so they emit events like any other. An app DELETE marks the
// merchant reauthorization_required. Unknown objects are ignored.
func (s *Service) SyncCloverObject(ctx context.Context, cloverMerchantID, objectID, typ string) error {
	m, err := s.Store.GetMerchantByCloverID(ctx, cloverMerchantID)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
		return nil // not a merchant of ours (any more)
	} else if err != nil {
		return err
	}
	kind, id, _ := strings.Cut(objectID, ":")
	switch {
	case kind == "A" && typ == "DELETE":
		return s.Store.SetMerchantStatus(ctx, m.ID, paybridge.MerchantReauthorizationRequired)
	case kind == "P" && id != "":
		return s.syncCharge(ctx, m.ID, id)
	}
	return nil
}

// syncCharge records refunds of a paybridge payment's Clover charge that
// paybridge did not make.
func (s *Service) syncCharge(ctx context.Context, merchantID, chargeID string) error {
	ss, ok := s.Store.(syncStore)
	if !ok {
		return nil
	}
	p, err := ss.PaymentByCloverCharge(ctx, merchantID, chargeID)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
		return nil // a charge paybridge did not make
	} else if err != nil {
		return err
	}
	if !p.Status.Settled() {
		return nil
	}
	_, auth, err := s.merchantAuth(ctx, merchantID, false)
	if err != nil {
		return err
	}
	list, err := s.Clover.ListRefunds(ctx, auth, chargeID)
	if err != nil {
		var ce *clover.Error
		if errors.As(err, &ce) && ce.Status == 401 {
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
		// paybridge's own refund may be this one, its Clover id not yet
		// recorded: wait until it settles.
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
