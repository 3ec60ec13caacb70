package billing

import (
	"context"
	"errors"
	"strings"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// savedCard finds a saved card for a charge; customerID, when given, must
// be its owner (a card is never charged for someone else).
func (s *Service) savedCard(ctx context.Context, merchantID, cardID, customerID string) (*paybridge.Card, error) {
	cs, err := s.cardStore()
	if err != nil {
		return nil, err
	}
	card, err := cs.GetCard(ctx, merchantID, cardID)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND || (err == nil && customerID != "" && card.CustomerID != customerID) {
		return nil, invalid("card_id", "resource_missing", "no saved card %s for this customer", cardID)
	}
	return card, err
}

// storedCredentials marks card-on-file charges for the card networks: a
// saved card charged later is SUBSEQUENT and MERCHANT-initiated; the
// charge that saves a card (a token's payment whose source became the
// saved card) is the FIRST, by the CARDHOLDER. Derived from the payment
// row alone, so reconciliation repeats the identical request.
func storedCredentials(p *paybridge.Payment) *clover.StoredCredentials {
	switch {
	case p.Method == paybridge.MethodCard:
		return &clover.StoredCredentials{Sequence: "SUBSEQUENT", Initiator: "MERCHANT"}
	case p.Method == paybridge.MethodToken && p.Source != "" && !strings.HasPrefix(p.Source, "clv_"):
		return &clover.StoredCredentials{Sequence: "FIRST", Initiator: "CARDHOLDER"}
	}
	return nil
}

// payAndSave makes a persisted token payment that also saves the card:
// the token goes onto the customer's Clover customer (created once, with
// a key derived from the customer), the payment's source becomes that
// saved card (recorded before the charge), and the charge is the FIRST
// stored-credential one. That is three Clover calls instead of two. If
// saving fails nothing was charged and the payment fails; if the charge is
// declined the card is taken off again.
func (s *Service) payAndSave(ctx context.Context, c Caller, auth clover.Auth, p *paybridge.Payment, orderID, consentText string) (*paybridge.Payment, error) {
	ctx, cancel := s.detach(ctx)
	defer cancel()
	cs, err := s.cardStore()
	if err != nil {
		return nil, err
	}
	cu, err := s.Store.GetCustomer(ctx, p.MerchantID, p.CustomerID)
	if err != nil {
		return nil, err
	}
	cloverCard, err := s.saveAtClover(ctx, auth, cu, p.Source, derivedKey(p.ID, "save-card"))
	if err != nil {
		if clover.IsUnknownOutcome(err) || !errors.As(err, new(*clover.Error)) {
			// No charge was attempted: the payment is definitely not made.
			err = &clover.Error{Status: 400, Code: "processing_error", Message: "The card could not be saved; nothing was charged."}
		}
		return s.settle(ctx, c, p, paybridge.PaymentPending, nil, err)
	}
	// The consent goes in before the charge: whoever settles the payment
	// (this call, or the reconciler after a lost answer) records the card
	// with it. See settleSavedCard.
	us, ok := s.Store.(paybridge.CardUpdateStore)
	if !ok {
		return nil, paybridge.Errorf(paybridge.EINTERNAL, "", "the store keeps no card intents")
	}
	if err := us.SaveCardIntent(ctx, &paybridge.CardIntent{PaymentID: p.ID, MerchantID: p.MerchantID, CustomerID: p.CustomerID,
		CloverCardID: cloverCard, Consent: s.consentOf(c, consentText)}); err != nil {
		return nil, err
	}
	if err := cs.SetPaymentSource(ctx, p.MerchantID, p.ID, cloverCard); err != nil {
		return nil, err
	}
	p.Source = cloverCard
	return s.execute(ctx, c, auth, p, orderID)
}

// savingCard is the Clover card a payment is saving: its source when that
// is a card just put on file from the payment's token (the FIRST
// stored-credential charge), else "".
func savingCard(p *paybridge.Payment) string {
	if p.Method == paybridge.MethodToken && p.Source != "" && !strings.HasPrefix(p.Source, "clv_") {
		return p.Source
	}
	return ""
}

// settleSavedCard runs once a card-saving payment's outcome is definite,
// whoever settled it (the payment call, or the reconciler after a lost
// answer): a taken payment records the card with the consent stored
// before the charge; a declined one takes the card off the Clover
// customer again.
func (s *Service) settleSavedCard(ctx context.Context, p *paybridge.Payment, cloverCard string) {
	switch {
	case p.Status.Settled() || p.Status == paybridge.PaymentAuthorized:
		s.recordCard(ctx, p, cloverCard)
	case p.Status == paybridge.PaymentFailed:
		cu, err := s.Store.GetCustomer(ctx, p.MerchantID, p.CustomerID)
		if err != nil || cu.CloverCustomerID == "" {
			return
		}
		_, auth, err := s.merchantAuth(ctx, p.MerchantID, false)
		if err != nil {
			return
		}
		if _, derr := s.Clover.DeleteCustomerSource(ctx, auth, cu.CloverCustomerID, cloverCard); derr != nil {
			s.Logger.Warn("remove card of a declined first payment", "payment_id", p.ID, "err", derr)
		}
	}
}

func asCloverError(err error, ce **clover.Error) bool { return errors.As(err, ce) }
