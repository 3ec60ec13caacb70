package cloversim

// STUB until the ecommerce helper lands: delete this file then.

import (
	"net/http"

	"github.com/paybridge/paybridge/clover"
)

type ecomState struct{}

func (s *Sim) initEcom()           {}
func (s *Sim) registerEcommerce()  {}
func (s *Sim) registerPlatformV3() {}
func (s *Sim) registerAdmin()      {}

// api wraps an apiFunc with the request pipeline: bearer auth (401
// {"message":"401 Unauthorized"}), X-Clover-Merchant-Id checks where the
// surface needs it, rate limits and injected faults, latency, and
// idempotency replay for POSTs carrying an idempotency-key.
func (s *Sim) api(h apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, body, err := h(r, &call{})
		if err != nil {
			writeAPIError(w, err)
			return
		}
		writeJSON(w, status, body)
	}
}

// chargeLocked creates a charge for m as POST /v1/charges would (declines,
// card-on-file sources, ledger, webhooks), with s.mu held. Recurring billing
// and the hosted-checkout page charge through it.
func (s *Sim) chargeLocked(m *merchant, p clover.ChargeParams, key string) (*clover.Charge, *apiError) {
	return nil, errf(500, "api_error", "processing_error", "not implemented")
}
