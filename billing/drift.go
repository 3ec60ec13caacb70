package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// driftStore is what the drift sweep needs beyond paybridge.Store.
type driftStore interface {
	syncStore
	eventRecorder
	MerchantIDs(ctx context.Context) ([]string, error)
	Setting(ctx context.Context, name string) (string, error)
	SetSetting(ctx context.Context, name, value string) error
}

// Drift is one disagreement between Clover and paybridge, reported as a
// reconciliation.drift event.
type Drift struct {
	Kind           string `json:"kind"` // charge_unknown | amount_mismatch | refund_mismatch | status_mismatch
	CloverChargeID string `json:"clover_charge_id"`
	PaymentID      string `json:"payment_id,omitempty"`
	CloverAmount   int64  `json:"clover_amount"`
	CloverRefunded int64  `json:"clover_amount_refunded"`
	Amount         int64  `json:"amount"`
	AmountRefunded int64  `json:"amount_refunded"`
	Status         string `json:"status,omitempty"`
}

// SweepDrift compares every merchant's Clover charges created in the last
// window (older than settle, so in-flight work is left alone) with
// paybridge's payments, and reports each disagreement once as a
// reconciliation.drift event. It returns how many it reported.
func (s *Service) SweepDrift(ctx context.Context, window, settle time.Duration) (int, error) {
	ds, ok := s.Store.(driftStore)
	if !ok {
		return 0, nil
	}
	ids, err := ds.MerchantIDs(ctx)
	if err != nil {
		return 0, err
	}
	now := s.Now()
	n := 0
	for _, mid := range ids {
		k, err := s.sweepMerchant(ctx, ds, mid, now.Add(-window), now.Add(-settle))
		n += k
		if err != nil {
			s.Logger.Warn("drift sweep", "merchant_id", mid, "err", err)
		}
	}
	return n, nil
}

func (s *Service) sweepMerchant(ctx context.Context, ds driftStore, mid string, from, to time.Time) (int, error) {
	m, auth, err := s.merchantAuth(ctx, mid, false)
	if err != nil || m.Status != paybridge.MerchantActive {
		return 0, err
	}
	n := 0
	p := clover.ChargeListParams{Limit: 100, CreatedGTE: from.UnixMilli(), CreatedLT: to.UnixMilli()}
	for {
		list, err := s.Clover.ListCharges(ctx, auth, p)
		if err != nil {
			return n, err
		}
		for _, ch := range list.Data {
			d := s.compare(ctx, ds, mid, ch)
			if d == nil {
				continue
			}
			reported, err := s.reportDrift(ctx, ds, mid, d)
			if err != nil {
				return n, err
			}
			if reported {
				n++
			}
		}
		if !list.HasMore || len(list.Data) == 0 {
			return n, nil
		}
		p.StartingAfter = list.Data[len(list.Data)-1].ID
	}
}

// compare returns the drift of one charge, or nil.
func (s *Service) compare(ctx context.Context, ds driftStore, mid string, ch clover.Charge) *Drift {
	d := &Drift{CloverChargeID: ch.ID, CloverAmount: ch.Amount, CloverRefunded: ch.AmountRefunded}
	p, err := ds.PaymentByCloverCharge(ctx, mid, ch.ID)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
		if ch.Status != "succeeded" || !ch.Paid {
			return nil // a decline: no money moved
		}
		d.Kind = "charge_unknown"
		return d
	} else if err != nil {
		return nil
	}
	d.PaymentID, d.Amount, d.AmountRefunded, d.Status = p.ID, p.Amount, p.AmountRefunded, string(p.Status)
	switch {
	case p.Status.InFlight():
		return nil // reconciliation owns it
	case ch.Paid && !p.Status.Settled() && p.Status != paybridge.PaymentAuthorized:
		d.Kind = "status_mismatch"
	case p.Status.Settled() && ch.Amount != p.Amount:
		d.Kind = "amount_mismatch"
	case p.Status.Settled() && ch.AmountRefunded != p.AmountRefunded:
		d.Kind = "refund_mismatch"
	default:
		return nil
	}
	return d
}

// reportDrift records d once (a setting remembers what was reported).
func (s *Service) reportDrift(ctx context.Context, ds driftStore, mid string, d *Drift) (bool, error) {
	key := fmt.Sprintf("drift:%s:%s:%s:%d:%d", mid, d.CloverChargeID, d.Kind, d.CloverRefunded, d.AmountRefunded)
	if v, err := ds.Setting(ctx, key); err != nil || v != "" {
		return false, err
	}
	data, _ := json.Marshal(d) // plain struct
	if err := ds.RecordEvent(ctx, &paybridge.Event{MerchantID: mid, Type: paybridge.EventReconciliationDrift,
		ObjectType: "charge", ObjectID: d.CloverChargeID, ObjectVersion: s.Now().UnixMicro(), Data: data}); err != nil {
		return false, err
	}
	s.Logger.Warn("drift between Clover and paybridge", "merchant_id", mid, "kind", d.Kind, "charge", d.CloverChargeID)
	return true, ds.SetSetting(ctx, key, "reported")
}
