package cloversim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/paybridge/paybridge/clover"
)

// Dashboard operations: what a merchant does on the Clover dashboard or a
// device, outside any app. Clover notifies apps with a platform webhook
// (P:<charge> UPDATE for a refund, O:<order> UPDATE for an order paid),
// which is how paybridge learns of them.
//
//	POST /_sim/dashboard/refunds {merchant_id, charge, amount?}   → the refund
//	POST /_sim/dashboard/orders/{id}/pay {merchant_id, tender?}   → the order
//
// tender is "card" (the default: a card tapped on a device, the sandbox
// Visa 4242…), "cash" or "check".

// DashboardPayOrder pays a whole order as a device at the till would,
// outside any app: one charge of the order's total (in the ledger, without
// an idempotency key), the order marked paid, and the app notified with
// O:<order> UPDATE (and the charge's P:<charge> CREATE).
func (s *Sim) DashboardPayOrder(merchantID, orderID, tender string) (*clover.Order, error) {
	defer s.direct()()
	return s.dashboardPayOrder(merchantID, orderID, tender)
}

func (s *Sim) dashboardPayOrder(merchantID, orderID, tender string) (*clover.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.merchants[merchantID]
	if m == nil {
		return nil, fmt.Errorf("cloversim: no merchant %s", merchantID)
	}
	o := m.Orders[orderID]
	switch {
	case o == nil:
		return nil, fmt.Errorf("cloversim: no order %s", orderID)
	case o.Status != "created":
		return nil, fmt.Errorf("cloversim: order %s is already paid", orderID)
	}
	var p clover.ChargeParams
	switch tender {
	case "cash":
		p.Source, p.Tender = clover.SourceAlternateTender, &clover.Tender{LabelKey: clover.TenderCash}
	case "check":
		p.Source, p.Tender = clover.SourceAlternateTender, &clover.Tender{LabelKey: clover.TenderCheck}
	case "", "card":
		now := s.nowLocked()
		card, number, e := validateCard(&clover.CardDetails{Number: "4242424242424242", ExpMonth: "12",
			ExpYear: strconv.Itoa(now.Year() + 3), CVV: "123"}, now)
		if e != nil {
			return nil, fmt.Errorf("cloversim: device card: %s", e.Detail.Message)
		}
		tok := &cardToken{ID: newTokenID(), MerchantID: m.ID, Card: card, Number: number, Created: now}
		s.tokens[tok.ID] = tok
		p.Source = tok.ID
	default:
		return nil, fmt.Errorf("cloversim: tender %q is not card, cash or check", tender)
	}
	p.Amount, p.Currency, p.TaxAmount = o.Amount+o.TaxAmount, o.Currency, o.TaxAmount
	ch, e := s.chargeLocked(m, p, "")
	if e != nil {
		return nil, fmt.Errorf("cloversim: device payment: %d %s", e.Status, e.Detail.Message)
	}
	s.markOrderPaidLocked(m, o, ch)
	return copyOrder(o), nil
}

// DashboardRefund refunds amount (0: what remains) of a charge as the
// merchant would on the dashboard, and notifies the app.
func (s *Sim) DashboardRefund(merchantID, chargeID string, amount int64) (*clover.Refund, error) {
	defer s.direct()()
	return s.dashboardRefund(merchantID, chargeID, amount)
}

func (s *Sim) dashboardRefund(merchantID, chargeID string, amount int64) (*clover.Refund, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.merchants[merchantID]
	if m == nil {
		return nil, fmt.Errorf("cloversim: no merchant %s", merchantID)
	}
	rf, e := s.refundLocked(m, clover.RefundParams{Charge: chargeID, Amount: amount}, "")
	if e != nil {
		return nil, fmt.Errorf("cloversim: dashboard refund: %d %v", e.Status, e.Detail)
	}
	return rf, nil
}

func (s *Sim) registerDashboard() {
	s.mux.HandleFunc("POST /_sim/dashboard/refunds", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			MerchantID string `json:"merchant_id"`
			Charge     string `json:"charge"`
			Amount     int64  `json:"amount"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Charge == "" {
			writeError(w, 400, "invalid_request_error", "invalid_request", "Send {merchant_id, charge, amount?}.")
			return
		}
		if in.MerchantID == "" {
			in.MerchantID = s.opts.MerchantID
		}
		rf, err := s.dashboardRefund(in.MerchantID, in.Charge, in.Amount)
		if err != nil {
			writeError(w, 400, "invalid_request_error", "invalid_request", err.Error())
			return
		}
		writeJSON(w, 200, rf)
	})
	s.mux.HandleFunc("POST /_sim/dashboard/orders/{id}/pay", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			MerchantID string `json:"merchant_id"`
			Tender     string `json:"tender"`
		}
		if r.ContentLength != 0 {
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				writeError(w, 400, "invalid_request_error", "invalid_request", "Send {merchant_id?, tender?}.")
				return
			}
		}
		if in.MerchantID == "" {
			in.MerchantID = s.opts.MerchantID
		}
		o, err := s.dashboardPayOrder(in.MerchantID, r.PathValue("id"), in.Tender)
		if err != nil {
			writeError(w, 400, "invalid_request_error", "invalid_request", err.Error())
			return
		}
		writeJSON(w, 200, o)
	})
}
