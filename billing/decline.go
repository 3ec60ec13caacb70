package billing

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/paybridge/paybridge/clover"
)

// confirmDecline checks a decline against the charge it names before
// paybridge believes it. A 402 is not proof that no money moved: Clover
// answers 402 for charges whose automatic void failed, and those "show up
// as successful transactions" (CLOVER.md §13.2). So a decline naming a
// charge is looked up (GET /v1/charges/{id}) and what Clover holds wins:
//
//   - the charge succeeded: the payment is taken (the charge is returned,
//     nil error) and the invoice is paid; the payer is never asked again;
//   - the charge failed: the decline stands (callErr is returned);
//   - the lookup failed, or the charge is still pending: the outcome is
//     unknown (an IsUnknownOutcome error) and the reconciler repeats the
//     call with the same key, which replays the 402, and looks again.
//
// Any other error, and a decline naming no charge, is returned as it is.
// Declines come as a 402 or as a card_error at 400 (clover.IsDecline).
func (s *Service) confirmDecline(ctx context.Context, auth clover.Auth, callErr error) (*clover.Charge, error) {
	var ce *clover.Error
	if !clover.IsDecline(callErr) || !errors.As(callErr, &ce) || ce.ChargeID == "" {
		return nil, callErr
	}
	ch, err := s.Clover.GetCharge(ctx, auth, ce.ChargeID)
	switch {
	case err != nil:
		return nil, declineUnconfirmed(ce.ChargeID, err)
	case ch.Status == "succeeded":
		s.Logger.Warn("Clover declined a charge it holds as succeeded: recorded as taken", "charge_id", ch.ID,
			"decline_code", ce.DeclineCode, "captured", ch.Captured)
		return ch, nil
	case ch.Status == "failed":
		return nil, callErr
	}
	return nil, declineUnconfirmed(ce.ChargeID, fmt.Errorf("charge status %q", ch.Status))
}

// declineUnconfirmed is a decline whose charge could not be read: whether
// money moved is unknown until the reconciler finds out.
func declineUnconfirmed(chargeID string, cause error) error {
	return &clover.TransportError{Method: http.MethodGet, Path: "/v1/charges/{id}", Sent: true,
		Err: fmt.Errorf("a decline named charge %s, which could not be confirmed: %w", chargeID, cause)}
}
