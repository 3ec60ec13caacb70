package billing

import (
	"context"
	"slices"
	"strings"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// CardInput saves a card on file without a payment (POST
// /v1/customers/{id}/cards, and the update-card page): Source is a clv_
// token; ConsentText is the wording the customer agreed to ("" = the
// default).
type CardInput struct {
	Source      string `json:"source"`
	ConsentText string `json:"consent_text"`
	// ClientIP is the customer's address when the CRM saves the card in
	// the customer's presence; recorded with the consent, and sent to
	// Clover for the card's later merchant-initiated charges.
	ClientIP string `json:"client_ip"`
}

// AutopayInput turns a customer's autopay on (with one of its cards) or
// off, or changes its card; fields left out stay as they are.
type AutopayInput struct {
	Enabled *bool   `json:"enabled"`
	CardID  *string `json:"card_id"`
}

// cardStore is the card part of the store (package store implements it).
func (s *Service) cardStore() (paybridge.CardStore, error) {
	cs, ok := s.Store.(paybridge.CardStore)
	if !ok {
		return nil, paybridge.Errorf(paybridge.EINTERNAL, "", "the store keeps no cards")
	}
	return cs, nil
}

// consentOf is the consent recorded for a card saved by c now.
func (s *Service) consentOf(c Caller, text string) paybridge.CardConsent {
	if strings.TrimSpace(text) == "" {
		text = paybridge.DefaultCardConsentText
	}
	return paybridge.CardConsent{Actor: c.Actor, Text: text, ClientIP: c.ClientIP, RecordedAt: s.Now().UTC()}
}

// saveAtClover adds a token to the customer's Clover customer (creating
// it the first time, with a key derived from the paybridge customer so a
// retry creates one) and returns the new Clover card id. key makes the
// call idempotent for this token.
func (s *Service) saveAtClover(ctx context.Context, auth clover.Auth, cu *paybridge.Customer, token, key string) (string, error) {
	var before []string
	var got *clover.Customer
	var err error
	if cu.CloverCustomerID == "" {
		got, err = s.Clover.CreateCustomer(ctx, auth, clover.CustomerParams{Email: cu.Email, Name: cu.Name, Source: token},
			&clover.RequestOptions{IdempotencyKey: derivedKey(cu.ID, "clover-customer")})
		if err == nil {
			cu.CloverCustomerID = got.ID
			cu.UpdatedAt = s.Now().UTC()
			if uerr := s.Store.UpdateCustomer(ctx, cu); uerr != nil {
				return "", uerr
			}
		}
	} else {
		var cur *clover.Customer
		if cur, err = s.Clover.GetCustomer(ctx, auth, cu.CloverCustomerID); err != nil {
			return "", err
		}
		if cur.Sources != nil {
			before = cur.Sources.Data
		}
		got, err = s.Clover.UpdateCustomer(ctx, auth, cu.CloverCustomerID, clover.CustomerParams{Source: token},
			&clover.RequestOptions{IdempotencyKey: key})
	}
	if err != nil {
		return "", err
	}
	if got.Sources != nil {
		for i := len(got.Sources.Data) - 1; i >= 0; i-- {
			if id := got.Sources.Data[i]; !slices.Contains(before, id) {
				return id, nil
			}
		}
	}
	return "", paybridge.Errorf(paybridge.EUNAVAILABLE, "", "Clover did not report the saved card").WithCode("clover_unavailable")
}

// SaveCard saves a card on file for a customer with its consent. paybridge
// learns the brand, last four digits and expiry (and that the card works)
// from a one-cent authorization, released at once; it keeps nothing else.
func (s *Service) SaveCard(ctx context.Context, c Caller, customerID string, in CardInput) (*paybridge.Card, error) {
	c, err := withClientIP(c, in.ClientIP)
	if err != nil {
		return nil, err
	}
	cs, err := s.cardStore()
	if err != nil {
		return nil, err
	}
	if _, _, err := source(in.Source, "", ""); err != nil {
		return nil, err
	}
	if err := validateText("consent_text", in.ConsentText, maxConsentText); err != nil {
		return nil, err
	}
	cu, err := s.Store.GetCustomer(ctx, c.MerchantID, customerID)
	if err != nil {
		return nil, err
	}
	m, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return nil, err
	}
	key := newKey()
	cloverCard, err := s.saveAtClover(ctx, auth, cu, in.Source, key)
	if err != nil {
		return nil, s.followUpError(ctx, m.ID, "saving the card", err)
	}
	capture := false
	ch, err := s.Clover.CreateCharge(ctx, auth, clover.ChargeParams{
		Amount: 1, Currency: m.Currency, Source: cloverCard, Capture: &capture, Description: "Card verification",
		StoredCredentials: &clover.StoredCredentials{Sequence: "FIRST", Initiator: "CARDHOLDER"},
	}, &clover.RequestOptions{IdempotencyKey: derivedKey(key, "verify"), ForwardedFor: s.payerAddress(c, nil)})
	if err != nil {
		ch, err = s.confirmDecline(ctx, auth, err) // a "declined" verification may hold the cent
	}
	if err != nil {
		_, _ = s.Clover.DeleteCustomerSource(ctx, auth, cu.CloverCustomerID, cloverCard)
		return nil, s.followUpError(ctx, m.ID, "verifying the card", err)
	}
	if _, err := s.Clover.CreateRefund(ctx, auth, clover.RefundParams{Charge: ch.ID},
		&clover.RequestOptions{IdempotencyKey: derivedKey(ch.ID, "void")}); err != nil {
		s.Logger.Warn("release card verification", "charge_id", ch.ID, "err", err)
	}
	card := &paybridge.Card{MerchantID: m.ID, CustomerID: cu.ID, CloverCardID: cloverCard, Consent: s.consentOf(c, in.ConsentText),
		CreatedAt: s.Now().UTC()}
	if ch.Source != nil {
		card.Brand, card.Last4, card.ExpMonth, card.ExpYear = ch.Source.Brand, ch.Source.Last4, ch.Source.ExpMonth, ch.Source.ExpYear
	}
	if err := cs.CreateCard(ctx, card); err != nil {
		return nil, err
	}
	s.cardSaved(ctx, card)
	return card, nil
}

// recordCard stores a card saved during a payment, from the charge's card
// and the consent recorded with the payment before the charge. A card
// recorded before (a second settlement path) is left as it is.
func (s *Service) recordCard(ctx context.Context, p *paybridge.Payment, cloverCard string) {
	cs, err := s.cardStore()
	us, ok := s.Store.(paybridge.CardUpdateStore)
	if err != nil || !ok || p.Card == nil {
		return
	}
	in, err := us.GetCardIntent(ctx, p.MerchantID, p.ID)
	if err != nil {
		s.Logger.Error("record saved card: consent", "payment_id", p.ID, "err", err)
		return
	}
	card := &paybridge.Card{MerchantID: p.MerchantID, CustomerID: in.CustomerID, CloverCardID: cloverCard,
		Brand: p.Card.Brand, Last4: p.Card.Last4, ExpMonth: p.Card.ExpMonth, ExpYear: p.Card.ExpYear,
		Consent: in.Consent, CreatedAt: s.Now().UTC()}
	if err := cs.CreateCard(ctx, card); err != nil {
		if paybridge.ErrorCode(err) != "card_exists" {
			s.Logger.Error("record saved card", "payment_id", p.ID, "err", err)
		}
		return
	}
	s.cardSaved(ctx, card)
}

// cardSaved lets the recurring side react to a new card (resume billing).
func (s *Service) cardSaved(ctx context.Context, card *paybridge.Card) {
	if s.OnCardSaved != nil {
		s.OnCardSaved(ctx, card)
	}
}

// ListCards lists a customer's saved cards.
func (s *Service) ListCards(ctx context.Context, c Caller, customerID string) ([]*paybridge.Card, error) {
	cs, err := s.cardStore()
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.GetCustomer(ctx, c.MerchantID, customerID); err != nil {
		return nil, err
	}
	return cs.ListCards(ctx, c.MerchantID, customerID)
}

// RemoveCard deletes a saved card at Clover and marks it removed.
func (s *Service) RemoveCard(ctx context.Context, c Caller, customerID, cardID string) error {
	cs, err := s.cardStore()
	if err != nil {
		return err
	}
	card, err := cs.GetCard(ctx, c.MerchantID, cardID)
	if err != nil {
		return err
	}
	if card.CustomerID != customerID {
		return paybridge.Errorf(paybridge.ENOTFOUND, "", "card not found")
	}
	cu, err := s.Store.GetCustomer(ctx, c.MerchantID, customerID)
	if err != nil {
		return err
	}
	_, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return err
	}
	if cu.CloverCustomerID != "" {
		if _, err := s.Clover.DeleteCustomerSource(ctx, auth, cu.CloverCustomerID, card.CloverCardID); err != nil {
			var ce *clover.Error
			if !clover.IsUnknownOutcome(err) && (!asCloverError(err, &ce) || ce.Status != 404) {
				return s.followUpError(ctx, c.MerchantID, "removing the card", err)
			} else if clover.IsUnknownOutcome(err) {
				return unavailable("removing the card")
			}
		}
	}
	return cs.RemoveCard(ctx, c.MerchantID, cardID, s.Now().UTC())
}

// SetAutopay turns a customer's autopay on or off.
func (s *Service) SetAutopay(ctx context.Context, c Caller, customerID string, in AutopayInput) (*paybridge.Autopay, error) {
	cs, err := s.cardStore()
	if err != nil {
		return nil, err
	}
	a, err := cs.GetAutopay(ctx, c.MerchantID, customerID)
	if err != nil {
		return nil, err
	}
	if in.Enabled != nil {
		a.Enabled = *in.Enabled
	}
	if in.CardID != nil {
		a.CardID = *in.CardID
	}
	if a.Enabled && a.CardID == "" {
		return nil, invalid("card_id", "parameter_missing", "card_id is required to turn autopay on")
	}
	a.UpdatedAt = s.Now().UTC()
	if err := cs.SetAutopay(ctx, c.MerchantID, a); err != nil {
		return nil, err
	}
	return a, nil
}

// GetAutopay returns a customer's autopay.
func (s *Service) GetAutopay(ctx context.Context, c Caller, customerID string) (*paybridge.Autopay, error) {
	cs, err := s.cardStore()
	if err != nil {
		return nil, err
	}
	return cs.GetAutopay(ctx, c.MerchantID, customerID)
}
