package cloversim

import (
	"net/http"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// createCharge is POST /v1/charges.
func (s *Sim) createCharge(r *http.Request, c *call) (int, any, *apiError) {
	if s.opts.RequireIdempotencyKey && c.Key == "" {
		return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "parameter_missing",
			"Please provide an idempotency-key header.", "idempotency-key")}
	}
	var p clover.ChargeParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, e := s.chargeLocked(c.M, p, c.Key)
	if e != nil {
		return 0, nil, e
	}
	s.noteForwardedLocked(ch.ID, c.ForwardedFor)
	if c.DeclineCaptured {
		return 0, nil, declinedButCaptured(ch.ID)
	}
	return 200, ch, nil
}

// chargeLocked creates a charge for m as POST /v1/charges would (declines,
// card-on-file sources, ledger, webhooks), with s.mu held. Recurring billing
// and the hosted-checkout page charge through it. A decline stores a failed
// charge and returns the 402 error naming it; validation errors store
// nothing and leave a token unused. The returned charge is a copy.
func (s *Sim) chargeLocked(m *merchant, p clover.ChargeParams, key string) (*clover.Charge, *apiError) {
	if e := validateCharge(m, &p); e != nil {
		return nil, e
	}
	src, e := s.resolveSourceLocked(m, p.Source, p.Tender)
	if e != nil {
		return nil, e
	}
	capture := p.Capture == nil || *p.Capture
	if src.tender != nil && !capture {
		return nil, errf(400, "invalid_request_error", "invalid_request", "An alternate tender cannot be authorized; capture it.")
	}
	src.consume()

	now := s.nowLocked().UnixMilli()
	ch := &clover.Charge{
		ID: NewID(), Object: "charge", Amount: p.Amount, TaxAmount: p.TaxAmount, TipAmount: p.TipAmount,
		Currency: p.Currency, Created: now, Source: src.card, Customer: src.customer,
		Description: p.Description, ExternalReferenceID: p.ExternalReferenceID, ReceiptEmail: p.ReceiptEmail,
		Metadata: p.Metadata, StoredCredentials: p.StoredCredentials, Ecomind: p.Ecomind, Tender: src.tender,
	}
	meta := &chargeMeta{MerchantID: m.ID, Auth: !capture}
	if code, msg, ok := declines(src.number); ok {
		ch.Status, ch.FailureCode, ch.FailureMessage = "failed", "card_declined", msg
		ch.Outcome = &clover.Outcome{NetworkStatus: "declined_by_network", Type: "issuer_declined"}
		meta.Declined = true
		s.storeChargeLocked(m, ch, meta)
		s.notify(m.ID, "P:"+ch.ID, "CREATE")
		return nil, &apiError{Status: http.StatusPaymentRequired, Detail: clover.ErrorDetail{
			Type: "card_error", Code: "card_declined", Message: msg, Charge: ch.ID, DeclineCode: code}}
	}
	ch.Status, ch.Paid, ch.Captured = "succeeded", true, capture
	if capture {
		ch.AmountCaptured = p.Amount
	}
	if src.tender == nil {
		ch.RefNum, ch.AuthCode = digits(12), "OK"+digits(4)
		ch.Outcome = &clover.Outcome{NetworkStatus: "approved_by_network", Type: "authorized"}
	}
	s.storeChargeLocked(m, ch, meta)
	kind := KindCharge
	if !capture {
		kind = KindAuth
	}
	s.appendLedgerLocked(LedgerEntry{Kind: kind, MerchantID: m.ID, ChargeID: ch.ID, Amount: p.Amount,
		TipAmount: p.TipAmount, Currency: p.Currency, Key: key, Created: now})
	s.notify(m.ID, "P:"+ch.ID, "CREATE")
	cp := *ch
	return &cp, nil
}

// validateCharge checks a charge body in Clover's order; nothing is spent.
func validateCharge(m *merchant, p *clover.ChargeParams) *apiError {
	switch {
	case p.Amount <= 0:
		return &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_charge_amount", "Please provide a valid amount.", "amount")}
	case p.Amount > paybridge.MaxAmount:
		return &apiError{Status: 400, Detail: detail("invalid_request_error", "amount_too_large", "Amount must be no more than 999,999.99.", "amount")}
	case p.TipAmount < 0 || p.TipAmount > paybridge.MaxAmount:
		return &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_tip_amount", "Please provide a valid tip amount.", "tip_amount")}
	case p.TaxAmount < 0 || p.TaxAmount > p.Amount:
		return &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_tax_amount", "Please provide a valid tax amount.", "tax_amount")}
	case p.Currency == "" || !paybridge.ValidCurrency(p.Currency) || p.Currency != m.Currency:
		return &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request", "Please provide a valid currency.", "currency")}
	case p.Source == "":
		return &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request", "Please provide a valid source for the charge.", "source")}
	case len(p.ExternalReferenceID) > 12:
		return &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request", "external_reference_id must be at most 12 characters.", "external_reference_id")}
	case p.Ecomind != "" && p.Ecomind != "ecom" && p.Ecomind != "moto":
		return &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request", "ecomind must be ecom or moto.", "ecomind")}
	}
	if sc := p.StoredCredentials; sc != nil {
		if (sc.Sequence != "FIRST" && sc.Sequence != "SUBSEQUENT") || (sc.Initiator != "CARDHOLDER" && sc.Initiator != "MERCHANT") {
			return &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request",
				"stored_credentials needs sequence FIRST|SUBSEQUENT and initiator CARDHOLDER|MERCHANT.", "stored_credentials")}
		}
	}
	return nil
}

// declines applies the sandbox test cards (CLOVER.md §3) to a card number:
// the decline cards decline, and the partial-approval card declines too
// because the Ecommerce API refuses partial authorizations.
func declines(number string) (declineCode, msg string, declined bool) {
	switch number {
	case "4005571702222222", "375987654000004", "5424180273333333", "4264281511117771":
		return "do_not_honor", "The card was declined.", true
	case "4005578003333335":
		return "partial_approval", "The card was declined: partial authorizations are not supported.", true
	}
	return "", "", false
}

func (s *Sim) storeChargeLocked(m *merchant, ch *clover.Charge, meta *chargeMeta) {
	m.Charges[ch.ID] = ch
	m.ChargeOrder = append(m.ChargeOrder, ch.ID)
	s.ecom.charges[ch.ID] = meta
}

// getCharge is GET /v1/charges/{id}; another merchant's charge is not found.
func (s *Sim) getCharge(r *http.Request, c *call) (int, any, *apiError) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := c.M.Charges[id]
	if ch == nil {
		return 0, nil, chargeNotFound(id)
	}
	cp := *ch
	return 200, &cp, nil
}

func chargeNotFound(id string) *apiError {
	return notFound("invalid_request_error", "invalid_request", "Charge", id)
}

// captureCharge is POST /v1/charges/{id}/capture: capture all or part of an
// authorization, once.
func (s *Sim) captureCharge(r *http.Request, c *call) (int, any, *apiError) {
	var p clover.CaptureParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := c.M.Charges[id]
	if ch == nil {
		return 0, nil, chargeNotFound(id)
	}
	meta := s.ecom.charges[id]
	switch {
	case meta.Declined:
		return 0, nil, errf(400, "", "processing_error", "Invalid request: cannot capture a failed payment")
	case !meta.Auth:
		return 0, nil, errf(400, "", "processing_error", "Invalid request: cannot capture a non AUTH payment")
	case meta.Voided:
		return 0, nil, errf(400, "invalid_request_error", "charge_already_refunded", "Charge %s has been voided.", id)
	case ch.Captured:
		return 0, nil, errf(400, "invalid_request_error", "charge_already_captured", "Charge %s has already been captured.", id)
	case p.Amount < 0 || p.Amount > ch.Amount:
		return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_charge_amount",
			"The capture amount must be positive and at most the authorized amount.", "amount")}
	}
	amt := p.Amount
	if amt == 0 {
		amt = ch.Amount
	}
	up := *ch
	up.Captured, up.AmountCaptured = true, amt
	if p.ReceiptEmail != "" {
		up.ReceiptEmail = p.ReceiptEmail
	}
	c.M.Charges[id] = &up
	s.appendLedgerLocked(LedgerEntry{Kind: KindCapture, MerchantID: c.M.ID, ChargeID: id, Amount: amt,
		TipAmount: ch.TipAmount, Currency: ch.Currency, Key: c.Key, Created: s.nowLocked().UnixMilli()})
	s.notify(c.M.ID, "P:"+id, "UPDATE")
	cp := up
	return 200, &cp, nil
}
