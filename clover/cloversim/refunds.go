package cloversim

import (
	"net/http"

	"github.com/paybridge/paybridge/clover"
)

const overRefund = "This refund would make the order's total refunded amount greater than the original order's amount."

// createRefund is POST /v1/refunds.
func (s *Sim) createRefund(r *http.Request, c *call) (int, any, *apiError) {
	var p clover.RefundParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	if p.Charge == "" {
		return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "parameter_missing", "Please provide a charge to refund.", "charge")}
	}
	switch p.Reason {
	case "", "duplicate", "fraudulent", "requested_by_customer":
	default:
		return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request",
			"reason must be duplicate, fraudulent or requested_by_customer.", "reason")}
	}
	if len(p.ExternalReferenceID) > 12 {
		return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request",
			"external_reference_id must be at most 12 characters.", "external_reference_id")}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rf, e := s.refundLocked(c.M, p, c.Key)
	if e != nil {
		return 0, nil, e
	}
	return 200, rf, nil
}

// refundLocked refunds p.Amount (0: all that remains) of a charge, with s.mu
// held. A captured charge can be refunded in several parts up to what was
// captured plus its tip; an uncaptured authorization can only be released
// whole (ledger "void"), which is how Clover ecommerce voids an auth.
func (s *Sim) refundLocked(m *merchant, p clover.RefundParams, key string) (*clover.Refund, *apiError) {
	ch := m.Charges[p.Charge]
	if ch == nil {
		return nil, chargeNotFound(p.Charge)
	}
	meta := s.ecom.charges[ch.ID]
	if p.Amount < 0 {
		return nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_charge_amount", "Please provide a valid amount.", "amount")}
	}
	if meta.Declined {
		return nil, errf(400, "", "processing_error", "Invalid request: cannot refund a failed payment")
	}
	kind := KindRefund
	refundable := ch.AmountCaptured + ch.TipAmount
	if !ch.Captured {
		kind, refundable = KindVoid, ch.Amount
	}
	remaining := refundable - ch.AmountRefunded
	if remaining <= 0 {
		return nil, errf(400, "invalid_request_error", "charge_already_refunded", "Charge %s has already been refunded.", ch.ID)
	}
	amt := p.Amount
	if amt == 0 {
		amt = remaining
	}
	if amt > remaining {
		return nil, errf(400, "", "processing_error", overRefund)
	}
	if kind == KindVoid && amt != ch.Amount {
		return nil, errf(400, "", "processing_error", "Invalid request: an uncaptured payment can only be refunded in full")
	}
	now := s.nowLocked().UnixMilli()
	rf := &clover.Refund{ID: NewID(), Object: "refund", Amount: amt, Charge: ch.ID, Currency: ch.Currency,
		Created: now, Status: "succeeded", Reason: p.Reason, ExternalReferenceID: p.ExternalReferenceID, Metadata: p.Metadata}
	m.Refunds[rf.ID] = rf
	s.ecom.refundOrder[m.ID] = append(s.ecom.refundOrder[m.ID], rf.ID)
	meta.Refunds = append(meta.Refunds, rf.ID)
	up := *ch
	up.AmountRefunded += amt
	up.Refunded = up.AmountRefunded == refundable
	if kind == KindVoid {
		meta.Voided = true
	}
	m.Charges[ch.ID] = &up
	s.appendLedgerLocked(LedgerEntry{Kind: kind, MerchantID: m.ID, ChargeID: ch.ID, RefundID: rf.ID,
		Amount: amt, Currency: ch.Currency, Key: key, Created: now})
	s.notify(m.ID, "P:"+ch.ID, "UPDATE")
	cp := *rf
	return &cp, nil
}

// getRefund is GET /v1/refunds/{id}.
func (s *Sim) getRefund(r *http.Request, c *call) (int, any, *apiError) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	rf := c.M.Refunds[id]
	if rf == nil {
		return 0, nil, notFound("invalid_request_error", "invalid_request", "Refund", id)
	}
	cp := *rf
	return 200, &cp, nil
}

// listRefunds is GET /v1/refunds[?charge=]: newest first.
func (s *Sim) listRefunds(r *http.Request, c *call) (int, any, *apiError) {
	q := r.URL.Query()
	limit, e := listLimit(q)
	if e != nil {
		return 0, nil, e
	}
	chargeID := q.Get("charge")
	s.mu.Lock()
	defer s.mu.Unlock()
	if chargeID != "" && c.M.Charges[chargeID] == nil {
		return 0, nil, chargeNotFound(chargeID)
	}
	ids := s.ecom.refundOrder[c.M.ID]
	var all []*clover.Refund
	for i := len(ids) - 1; i >= 0; i-- {
		rf := c.M.Refunds[ids[i]]
		if chargeID != "" && rf.Charge != chargeID {
			continue
		}
		cp := *rf
		all = append(all, &cp)
	}
	_, known := c.M.Refunds[q.Get("starting_after")+q.Get("ending_before")]
	page, more, e := paginate(all, func(rf *clover.Refund) string { return rf.ID },
		q.Get("starting_after"), q.Get("ending_before"), limit, known)
	if e != nil {
		return 0, nil, e
	}
	return 200, &clover.List[*clover.Refund]{Object: "list", URL: "/v1/refunds", Data: page, HasMore: more}, nil
}
