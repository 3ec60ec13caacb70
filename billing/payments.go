package billing

import (
	"context"
	"errors"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// PayInvoice pays an invoice, in full or (when it allows) in part. A full
// first payment pays the invoice's Clover order; anything else is a charge
// linked to the invoice, because Clover orders cannot be partially paid
// (CLOVER.md §12).
//
// It returns the payment in every case where one was recorded: with a nil
// error when it succeeded or its outcome is unknown (it will be
// reconciled), and with an EDECLINED or EINVALID error when Clover refused
// it. Concurrent attempts on one invoice are serialised by the store: the
// losers get ECONFLICT (payment_in_progress, invoice_not_payable).
func (s *Service) PayInvoice(ctx context.Context, c Caller, invoiceID string, in PayInput) (*paybridge.Payment, error) {
	c, err := withClientIP(c, in.ClientIP)
	if err != nil {
		return nil, err
	}
	ctx = s.bound(ctx)
	inv, err := s.Store.GetInvoice(ctx, c.MerchantID, invoiceID)
	if err != nil {
		return nil, err
	}
	if err = payable(inv); err != nil {
		return nil, err
	}
	due := inv.AmountDue()
	amount := due
	if in.Amount != nil {
		amount = *in.Amount
		if err := paybridge.ValidateAmount("amount", amount); err != nil {
			return nil, err
		}
		switch {
		case amount > due:
			return nil, invalid("amount", "amount_too_large", "amount %d exceeds the amount due, %d", amount, due)
		case amount < due && !inv.AllowPartial:
			return nil, invalid("amount", "partial_not_allowed", "this invoice must be paid in full (%d)", due)
		case amount < due && amount < inv.MinimumPartialAmount:
			return nil, invalid("amount", "amount_too_small", "a partial payment must be at least %d", inv.MinimumPartialAmount)
		}
	}
	if err := validateTip(in.TipAmount, inv.AllowTip); err != nil {
		return nil, err
	}
	// Checked before any charge: saving the card after one must not fail.
	if err := validateText("consent_text", in.ConsentText, maxConsentText); err != nil {
		return nil, err
	}
	method, src, err := source(in.Source, in.CardID, in.Tender)
	if err != nil {
		return nil, err
	}
	var card *paybridge.Card
	if method == paybridge.MethodCard {
		if card, err = s.savedCard(ctx, c.MerchantID, in.CardID, inv.CustomerID); err != nil {
			return nil, err
		}
		src = card.CloverCardID
	}
	if in.SaveCard && method != paybridge.MethodToken {
		return nil, invalid("save_card", "invalid_source", "save_card needs a clv_ token as source")
	}
	m, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return nil, err
	}
	if amount == inv.Total && inv.AmountPaid == 0 && inv.CloverOrderID == "" {
		if inv, err = s.orderFirst(ctx, inv); err != nil {
			return nil, err
		}
	}
	route := paybridge.RouteCharge
	if amount == inv.Total && inv.AmountPaid == 0 && inv.CloverOrderID != "" {
		route = paybridge.RouteOrderPay
	}
	now := s.Now().UTC()
	p := &paybridge.Payment{
		ID: paybridge.NewID(paybridge.PrefixPayment), MerchantID: m.ID, InvoiceID: inv.ID, CustomerID: inv.CustomerID,
		Status: paybridge.PaymentPending, Method: method, Route: route, Amount: amount, TipAmount: in.TipAmount,
		Currency: inv.Currency, Capture: true, Source: src, IdempotencyKey: newKey(), ClientIP: s.payerAddress(c, card),
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.Store.CreatePayment(ctx, p); err != nil {
		return nil, err
	}
	if in.SaveCard {
		return s.payAndSave(ctx, c, auth, p, string(inv.CloverOrderID), in.ConsentText)
	}
	return s.execute(ctx, c, auth, p, string(inv.CloverOrderID))
}

// CreatePayment makes a direct payment, not tied to an invoice; with
// capture false it only authorizes (capture or void it later).
func (s *Service) CreatePayment(ctx context.Context, c Caller, in PaymentInput) (*paybridge.Payment, error) {
	c, err := withClientIP(c, in.ClientIP)
	if err != nil {
		return nil, err
	}
	ctx = s.bound(ctx)
	if err := paybridge.ValidateAmount("amount", in.Amount); err != nil {
		return nil, err
	}
	if !paybridge.ValidCurrency(in.Currency) {
		return nil, invalid("currency", "invalid_currency", "currency must be a lowercase ISO 4217 code paybridge supports, e.g. \"usd\"")
	}
	method, src, err := source(in.Source, in.CardID, "")
	if err != nil {
		return nil, err
	}
	if in.SaveCard && (method != paybridge.MethodToken || in.CustomerID == "") {
		return nil, invalid("save_card", "invalid_source", "save_card needs a clv_ token as source and a customer_id")
	}
	var card *paybridge.Card
	if method == paybridge.MethodCard {
		if card, err = s.savedCard(ctx, c.MerchantID, in.CardID, in.CustomerID); err != nil {
			return nil, err
		}
		src, in.CustomerID = card.CloverCardID, card.CustomerID
	}
	if err := validateText("description", in.Description, maxText); err != nil {
		return nil, err
	}
	if err := validateText("consent_text", in.ConsentText, maxConsentText); err != nil {
		return nil, err
	}
	if in.CustomerID != "" {
		if _, err := s.Store.GetCustomer(ctx, c.MerchantID, in.CustomerID); err != nil {
			if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
				return nil, invalid("customer_id", "resource_missing", "no customer %s", in.CustomerID)
			}
			return nil, err
		}
	}
	m, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return nil, err
	}
	if err := merchantTakes(m, in.Currency); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	p := &paybridge.Payment{
		ID: paybridge.NewID(paybridge.PrefixPayment), MerchantID: m.ID, CustomerID: in.CustomerID,
		Status: paybridge.PaymentPending, Method: method, Route: paybridge.RouteCharge, Amount: in.Amount,
		Currency: in.Currency, Capture: in.Capture == nil || *in.Capture, Source: src, Description: in.Description,
		IdempotencyKey: newKey(), ClientIP: s.payerAddress(c, card), CreatedAt: now, UpdatedAt: now,
	}
	if err := s.Store.CreatePayment(ctx, p); err != nil {
		return nil, err
	}
	if in.SaveCard {
		return s.payAndSave(ctx, c, auth, p, "", in.ConsentText)
	}
	return s.execute(ctx, c, auth, p, "")
}

func payable(inv *paybridge.Invoice) error {
	switch inv.Status {
	case paybridge.InvoiceOpen, paybridge.InvoicePartiallyPaid:
		return nil
	case paybridge.InvoiceVoid:
		return paybridge.Errorf(paybridge.ECONFLICT, "", "invoice %s is void", inv.ID).WithCode("invoice_void")
	case paybridge.InvoiceDraft:
		return paybridge.Errorf(paybridge.ECONFLICT, "", "invoice %s is a draft: its Clover order was not created", inv.ID).WithCode("invoice_not_open")
	}
	return paybridge.Errorf(paybridge.ECONFLICT, "", "invoice %s is already paid", inv.ID).WithCode("invoice_already_paid")
}

func validateTip(tip int64, allowed bool) error {
	switch {
	case tip < 0 || tip > paybridge.MaxAmount:
		return invalid("tip_amount", "invalid_amount", "tip_amount must be between 0 and %d", paybridge.MaxAmount)
	case tip > 0 && !allowed:
		return invalid("tip_amount", "tip_not_allowed", "this invoice does not take tips")
	}
	return nil
}

// execute makes the Clover call of a persisted payment and settles the row
// with its outcome. The reconciler calls it again for unknown payments: the
// same request with the same key, which Clover answers without charging
// twice.
func (s *Service) execute(ctx context.Context, c Caller, auth clover.Auth, p *paybridge.Payment, orderID string) (*paybridge.Payment, error) {
	ctx, cancel := s.detach(ctx)
	defer cancel()
	from := p.Status
	ro := &clover.RequestOptions{IdempotencyKey: p.IdempotencyKey, ForwardedFor: s.forwardedFor(p)}
	var (
		ch  *clover.Charge
		err error
	)
	switch p.Route {
	case paybridge.RouteOrderPay:
		params := clover.PayOrderParams{
			TipAmount: p.TipAmount, ExternalReferenceID: externalRef(p.ID),
			Metadata: map[string]string{"paybridge_payment_id": p.ID},
		}
		setSource(&params.Source, &params.Tender, p)
		params.StoredCredentials = storedCredentials(p)
		var o *clover.Order
		if o, err = s.Clover.PayOrder(ctx, auth, orderID, params, ro); err == nil {
			ch = &clover.Charge{ID: o.Charge, Source: o.Source, Captured: true}
		}
	default:
		capture := p.Capture
		params := clover.ChargeParams{
			Amount: p.Amount, Currency: p.Currency, Capture: &capture, TipAmount: p.TipAmount,
			Description: p.Description, ExternalReferenceID: externalRef(p.ID),
			Metadata: map[string]string{"paybridge_payment_id": p.ID},
		}
		if p.InvoiceID != "" {
			params.Metadata["paybridge_invoice_id"] = p.InvoiceID
		}
		setSource(&params.Source, &params.Tender, p)
		params.StoredCredentials = storedCredentials(p)
		ch, err = s.Clover.CreateCharge(ctx, auth, params, ro)
	}
	if err != nil {
		ch, err = s.confirmDecline(ctx, auth, err)
	}
	return s.settle(ctx, c, p, from, ch, err)
}

func setSource(src *string, tender **clover.Tender, p *paybridge.Payment) {
	switch p.Method {
	case paybridge.MethodCash:
		*src, *tender = clover.SourceAlternateTender, &clover.Tender{LabelKey: clover.TenderCash}
	case paybridge.MethodCheck:
		*src, *tender = clover.SourceAlternateTender, &clover.Tender{LabelKey: clover.TenderCheck}
	default:
		*src = p.Source
	}
}

// settle records a Clover answer on a payment with a compare-and-set from
// `from`. If another path (the reconciler, a webhook) settled it first, the
// stored payment wins and is returned.
func (s *Service) settle(ctx context.Context, c Caller, p *paybridge.Payment, from paybridge.PaymentStatus, ch *clover.Charge, callErr error) (*paybridge.Payment, error) {
	now := s.Now().UTC()
	var result error
	saving := savingCard(p)
	repeating := from == paybridge.PaymentUnknown || c.Actor == reconciler.Actor
	switch {
	case callErr == nil:
		p.CloverChargeID = ch.ID
		if ch.Source != nil && ch.Source.Last4 != "" {
			p.Card = &paybridge.CardSummary{Brand: ch.Source.Brand, Last4: ch.Source.Last4, ExpMonth: ch.Source.ExpMonth, ExpYear: ch.Source.ExpYear}
		}
		if p.Capture {
			p.Status, p.AmountCaptured = paybridge.PaymentSucceeded, p.Amount
		} else {
			p.Status = paybridge.PaymentAuthorized
		}
		p.Source, p.FailureCode, p.FailureMessage = "", "", ""
	case clover.IsUnknownOutcome(callErr) || clover.IsCutShort(callErr) || repeating && !clover.IsDecline(callErr):
		// Repeating a request whose first try may have reached Clover, only
		// success or the (replayed) decline tells what happened; a 429, a
		// 401 or any other refusal of this try says nothing of the first.
		// A call the request's bound cut short, even before it was sent,
		// goes on in the background (PaymentWait).
		if repeating && clover.IsUnauthorized(callErr) {
			s.reauthorize(ctx, p.MerchantID)
		}
		p.Status = paybridge.PaymentUnknown
		p.Attempts++
		p.NextAttemptAt = now.Add(backoff(p.Attempts))
	default:
		var ce *clover.Error
		errors.As(callErr, &ce)
		p.Status, p.Source = paybridge.PaymentFailed, ""
		if ce != nil {
			p.FailureCode, p.FailureMessage, p.CloverChargeID = ce.Code, ce.Message, ce.ChargeID
			if ce.DeclineCode != "" && p.FailureCode == "" {
				p.FailureCode = ce.DeclineCode
			}
		}
		if p.FailureCode == "" {
			p.FailureCode = "processing_error"
		}
		result = cloverError("source", callErr)
		if clover.IsUnauthorized(callErr) {
			s.reauthorize(ctx, p.MerchantID)
			p.FailureCode = "merchant_reauthorization_required"
			result = paybridge.Errorf(paybridge.EFORBIDDEN, "", "Clover refused the merchant's credentials; the merchant must reconnect").WithCode(p.FailureCode)
		}
	}
	p.UpdatedAt = now
	if _, err := s.Store.ApplyPayment(ctx, p, from, now); err != nil {
		if paybridge.ErrorCode(err) == "stale_state" {
			cur, gerr := s.Store.GetPayment(ctx, p.MerchantID, p.ID)
			if gerr != nil {
				return nil, gerr
			}
			return cur, nil
		}
		s.Logger.Error("record payment outcome", "payment_id", p.ID, "status", p.Status, "err", err)
		return nil, err
	}
	if s.OnPayment != nil {
		s.OnPayment(p.Status)
	}
	if saving != "" && !p.Status.InFlight() {
		s.settleSavedCard(ctx, p, saving)
	}
	return p, result
}

// GetPayment returns one of the merchant's payments.
func (s *Service) GetPayment(ctx context.Context, c Caller, id string) (*paybridge.Payment, error) {
	return s.Store.GetPayment(ctx, c.MerchantID, id)
}

// ListPayments lists payments, optionally of one invoice or status.
func (s *Service) ListPayments(ctx context.Context, c Caller, f paybridge.PaymentFilter) ([]*paybridge.Payment, string, error) {
	return s.Store.ListPayments(ctx, c.MerchantID, f)
}

// CapturePayment captures an authorized payment, fully or in part. Its
// Clover key is derived from the payment, so repeating a capture whose
// answer was lost captures once.
func (s *Service) CapturePayment(ctx context.Context, c Caller, id string, in CaptureInput) (*paybridge.Payment, error) {
	ctx = s.bound(ctx)
	p, err := s.Store.GetPayment(ctx, c.MerchantID, id)
	if err != nil {
		return nil, err
	}
	if p.Status != paybridge.PaymentAuthorized {
		return nil, paybridge.Errorf(paybridge.ECONFLICT, "", "payment %s is %s, not authorized", id, p.Status).WithCode("payment_not_capturable")
	}
	amount := p.Amount
	if in.Amount != nil {
		amount = *in.Amount
		if err := paybridge.ValidateAmount("amount", amount); err != nil {
			return nil, err
		}
		if amount > p.Amount {
			return nil, invalid("amount", "amount_too_large", "amount %d exceeds the authorized %d", amount, p.Amount)
		}
	}
	_, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.detach(ctx)
	defer cancel()
	ch, err := s.Clover.CaptureCharge(ctx, auth, p.CloverChargeID, clover.CaptureParams{Amount: amount},
		&clover.RequestOptions{IdempotencyKey: derivedKey(p.ID, "capture"), ForwardedFor: s.forwardedFor(p)})
	if err != nil {
		return nil, s.followUpError(ctx, p.MerchantID, "capturing the payment", err)
	}
	captured := ch.AmountCaptured
	if captured == 0 {
		captured = amount
	}
	return s.transition(ctx, p, paybridge.PaymentCaptured, func(p *paybridge.Payment) { p.AmountCaptured = captured })
}

// VoidPayment releases an authorization. Clover's ecommerce API voids an
// uncaptured charge by refunding it in full.
func (s *Service) VoidPayment(ctx context.Context, c Caller, id string) (*paybridge.Payment, error) {
	ctx = s.bound(ctx)
	p, err := s.Store.GetPayment(ctx, c.MerchantID, id)
	if err != nil {
		return nil, err
	}
	if p.Status != paybridge.PaymentAuthorized {
		return nil, paybridge.Errorf(paybridge.ECONFLICT, "", "payment %s is %s, not authorized", id, p.Status).WithCode("payment_not_voidable")
	}
	_, auth, err := s.merchantAuth(ctx, c.MerchantID, true)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.detach(ctx)
	defer cancel()
	if _, err := s.Clover.CreateRefund(ctx, auth, clover.RefundParams{Charge: p.CloverChargeID},
		&clover.RequestOptions{IdempotencyKey: derivedKey(p.ID, "void"), ForwardedFor: c.ClientIP}); err != nil {
		return nil, s.followUpError(ctx, p.MerchantID, "voiding the payment", err)
	}
	return s.transition(ctx, p, paybridge.PaymentVoided, nil)
}

// transition applies a definite follow-up outcome with a compare-and-set.
func (s *Service) transition(ctx context.Context, p *paybridge.Payment, to paybridge.PaymentStatus, mutate func(*paybridge.Payment)) (*paybridge.Payment, error) {
	from := p.Status
	p.Status, p.UpdatedAt = to, s.Now().UTC()
	if mutate != nil {
		mutate(p)
	}
	if _, err := s.Store.ApplyPayment(ctx, p, from, p.UpdatedAt); err != nil {
		if paybridge.ErrorCode(err) == "stale_state" {
			return s.Store.GetPayment(ctx, p.MerchantID, p.ID)
		}
		return nil, err
	}
	return p, nil
}

// followUpError maps the failure of a derived-key follow-up call.
func (s *Service) followUpError(ctx context.Context, merchantID, what string, err error) error {
	if clover.IsUnauthorized(err) {
		s.reauthorize(ctx, merchantID)
	}
	if clover.IsUnknownOutcome(err) || clover.IsCutShort(err) {
		return unavailable(what)
	}
	return cloverError("", err)
}
