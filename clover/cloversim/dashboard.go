package cloversim

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/paybridge/paybridge/clover"
)

// Dashboard operations: what a merchant does on the Clover dashboard or a
// device, outside any app. Clover notifies apps with a platform webhook
// (P:<charge> UPDATE), which is how paybridge learns of them.
//
//	POST /_sim/dashboard/refunds {merchant_id, charge, amount?}   → the refund

// DashboardRefund refunds amount (0: what remains) of a charge as the
// merchant would on the dashboard, and notifies the app.
func (s *Sim) DashboardRefund(merchantID, chargeID string, amount int64) (*clover.Refund, error) {
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
		rf, err := s.DashboardRefund(in.MerchantID, in.Charge, in.Amount)
		if err != nil {
			writeError(w, 400, "invalid_request_error", "invalid_request", err.Error())
			return
		}
		writeJSON(w, 200, rf)
	})
}
