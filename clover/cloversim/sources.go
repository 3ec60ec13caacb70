package cloversim

import (
	"strings"

	"github.com/paybridge/paybridge/clover"
)

// source is a resolved charge source: the card (or tender) to charge and,
// for a token, how to spend it once the charge goes ahead.
type source struct {
	card     *clover.Card
	number   string // the card's digits, inside the sim only
	customer string
	tender   *clover.Tender
	consume  func()
}

// resolveSourceLocked turns a charge's `source` into what to charge: a clv_
// token of this merchant (single use), a customer id (its default card: the
// first saved), a saved card id, or "alternate_tender" with a cash or check
// tender. s.mu must be held.
func (s *Sim) resolveSourceLocked(m *merchant, src string, tender *clover.Tender) (*source, *apiError) {
	invalid := func() (*source, *apiError) {
		return nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request",
			"Please provide a valid source for the charge.", "source")}
	}
	switch {
	case src == clover.SourceAlternateTender:
		if tender == nil || (tender.LabelKey != clover.TenderCash && tender.LabelKey != clover.TenderCheck) {
			return nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request",
				"Please provide a valid tender label_key for an alternate tender.", "tender")}
		}
		t := *tender
		return &source{tender: &t, consume: func() {}}, nil
	case strings.HasPrefix(src, "clv_"):
		t := s.tokens[src]
		if t == nil || t.MerchantID != m.ID {
			return invalid()
		}
		if t.Used {
			return nil, errf(400, "", "token_already_used",
				"You cannot use a clover token more than once unless it is marked as multipay.")
		}
		card := t.Card
		card.ID = t.ID
		return &source{card: publicCard(card), number: t.Number, consume: func() { t.Used = true }}, nil
	}
	if cu := m.Customers[src]; cu != nil {
		if cu.Sources == nil || len(cu.Sources.Data) == 0 {
			return nil, errf(400, "invalid_request_error", "card_on_file_missing", "Customer %s has no card on file.", src)
		}
		sc := m.Cards[cu.Sources.Data[0]]
		return &source{card: publicCard(sc.Card), number: sc.Number, customer: cu.ID, consume: func() {}}, nil
	}
	if sc := m.Cards[src]; sc != nil {
		return &source{card: publicCard(sc.Card), number: sc.Number, customer: sc.Customer, consume: func() {}}, nil
	}
	return invalid()
}

// publicCard is a charge's `source`: id, brand, first6, last4 and expiry.
func publicCard(c clover.Card) *clover.Card {
	return &clover.Card{ID: c.ID, Brand: c.Brand, First6: c.First6, Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear}
}
