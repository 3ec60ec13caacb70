package cloversim

import (
	"net/http"

	"github.com/paybridge/paybridge/clover"
)

// declinedButCaptured is the answer of the declined-but-captured fault
// (Faults.DeclinedButCapturedRate): a moderator on Clover's community
// (question 39074, CLOVER.md §13.2) says charges answered 402 Payment
// Required "show up as successful transactions" because the automatic
// void failed. The charge named by the error is the one that went
// through: captured, in the ledger, its order (for an order pay) paid.
// The body is a decline's; the idempotency key replays it. A client that
// takes it for a decline lets the payer pay twice; GET /v1/charges/{id}
// tells the truth.
func declinedButCaptured(chargeID string) *apiError {
	return &apiError{Status: http.StatusPaymentRequired, Detail: clover.ErrorDetail{
		Type: "card_error", Code: "card_declined", Message: "The card was declined.", Charge: chargeID,
		DeclineCode: "do_not_honor"}}
}

// noteForwardedLocked records the x-forwarded-for an API charge create or
// order pay carried, on the charge and its ledger entry (s.mu held).
func (s *Sim) noteForwardedLocked(chargeID, xff string) {
	if meta := s.ecom.charges[chargeID]; meta != nil {
		meta.ForwardedFor = xff
	}
	for i := len(s.ledger) - 1; i >= 0; i-- {
		if s.ledger[i].ChargeID == chargeID {
			s.ledger[i].ForwardedFor = xff
			return
		}
	}
}
