package cloversim

import (
	"net/http"
	"strings"

	"github.com/paybridge/paybridge/clover"
)

// payOrderBody is the pay request plus `amount`, which Clover does not take:
// sending one that is not the order's total is a partial payment, refused.
type payOrderBody struct {
	clover.PayOrderParams
	Amount *int64 `json:"amount,omitempty"`
}

// payOrder is POST /v1/orders/{id}/pay: one charge of amount + tax_amount
// (tip separately), once. Partial payments are refused (CLOVER.md §12).
func (s *Sim) payOrder(r *http.Request, c *call) (int, any, *apiError) {
	var p payOrderBody
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	o := c.M.Orders[id]
	if o == nil {
		return 0, nil, orderNotFound(id)
	}
	if o.Status != "created" {
		return 0, nil, errf(409, "invalid_request_error", "order_already_paid", "Order with id %s has been already paid.", id)
	}
	if len(o.Items) == 0 {
		return 0, nil, errf(404, "invalid_request_error", "invalid_request", "Order with id %s has no line items", id)
	}
	total := o.Amount + o.TaxAmount
	if p.Amount != nil && *p.Amount != total {
		return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request",
			"Partial payment of an order is not supported.", "amount")}
	}
	src := p.Source
	if src == "" {
		src = p.Customer
	}
	if src == "" && p.Tender != nil {
		src = clover.SourceAlternateTender
	}
	ch, e := s.chargeLocked(c.M, clover.ChargeParams{
		Amount: total, Currency: o.Currency, Source: src, TaxAmount: o.TaxAmount, TipAmount: p.TipAmount,
		Ecomind: p.Ecomind, ExternalReferenceID: p.ExternalReferenceID, Metadata: p.Metadata,
		Tender: p.Tender, StoredCredentials: p.StoredCredentials, ReceiptEmail: p.Email,
	}, c.Key)
	if e != nil {
		return 0, nil, e
	}
	s.noteForwardedLocked(ch.ID, c.ForwardedFor)
	s.markOrderPaidLocked(c.M, o, ch)
	if c.DeclineCaptured {
		return 0, nil, declinedButCaptured(ch.ID)
	}
	return 200, orderView(o), nil
}

// markOrderPaidLocked records that ch paid the whole of o (through the API
// or at a device): the charge names the order, the order is paid with the
// charge's card, and the app is notified with O:<order> UPDATE. s.mu must
// be held.
func (s *Sim) markOrderPaidLocked(m *merchant, o *clover.Order, ch *clover.Charge) {
	m.Charges[ch.ID].Order = o.ID
	o.Status, o.Charge, o.RefNum, o.AuthCode = "paid", ch.ID, ch.RefNum, ch.AuthCode
	o.AmountPaid, o.TaxAmountPaid = o.Amount+o.TaxAmount, o.TaxAmount
	o.StatusTransitions = map[string]int64{"paid": s.nowLocked().UnixMilli()}
	if ch.Source != nil {
		o.Source = &clover.Card{Brand: ch.Source.Brand, ExpMonth: ch.Source.ExpMonth, ExpYear: ch.Source.ExpYear,
			First6: ch.Source.First6, Last4: ch.Source.Last4}
	}
	s.notify(m.ID, "O:"+o.ID, "UPDATE")
}

// returnOrder is POST /v1/orders/{id}/returns: items (by parent, quantity 0
// = all that remain) or, with none, everything left. It refunds their price
// and tax underneath, never above what was paid, and the order becomes
// `returned` once every item is back.
func (s *Sim) returnOrder(r *http.Request, c *call) (int, any, *apiError) {
	var p clover.ReturnParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	o := c.M.Orders[id]
	if o == nil {
		return 0, nil, orderNotFound(id)
	}
	if o.Charge == "" {
		return 0, nil, errf(404, "invalid_request_error", "invalid_request", "Order has no payments. Nothing to refund")
	}
	meta := s.ecom.orders[id]
	want := map[string]int64{}
	if len(p.Items) == 0 {
		for _, it := range o.Items {
			if it.Type == "sku" && it.Quantity > meta.Returned[it.Parent] {
				want[it.Parent] = it.Quantity - meta.Returned[it.Parent]
			}
		}
		if len(want) == 0 {
			return 0, nil, errf(400, "", "processing_error", overRefund)
		}
	}
	for _, ri := range p.Items {
		it, ok := skuItem(o, ri.Parent)
		if !ok {
			return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request",
				"Order "+id+" has no item with parent "+ri.Parent+".", "items")}
		}
		left := it.Quantity - meta.Returned[ri.Parent] - want[ri.Parent]
		q := ri.Quantity
		if q == 0 {
			q = left
		}
		if q <= 0 || q > left {
			return 0, nil, errf(400, "", "processing_error", overRefund)
		}
		want[ri.Parent] += q
	}
	var amount int64
	var items []clover.ReturnItem
	for _, it := range o.Items {
		if q := want[it.Parent]; it.Type == "sku" && q > 0 {
			amount += it.Amount*q + itemTax(c.M, it, q)
			items = append(items, clover.ReturnItem{Parent: it.Parent, Quantity: q})
		}
	}
	rf, e := s.refundLocked(c.M, clover.RefundParams{Charge: o.Charge, Amount: amount, Reason: "requested_by_customer"}, c.Key)
	if e != nil {
		return 0, nil, e
	}
	for k, q := range want {
		meta.Returned[k] += q
	}
	now := s.nowLocked().UnixMilli()
	ret := &clover.OrderReturn{ID: NewID(), Object: "order_return", Amount: amount, Currency: o.Currency, Order: o.ID,
		Refund: rf.ID, Items: items, Status: "returned", Created: now, StatusTransitions: map[string]int64{}}
	o.AmountReturned += amount
	ret.AmountReturned = o.AmountReturned
	o.Returns = append(o.Returns, ret.ID)
	if allReturned(o, meta) {
		o.Status = "returned"
		st := map[string]int64{"returned": now}
		for k, v := range o.StatusTransitions {
			st[k] = v
		}
		o.StatusTransitions = st
	}
	c.M.Returns[ret.ID] = ret
	s.notify(c.M.ID, "O:"+o.ID, "UPDATE")
	return 200, returnView(o), nil
}

// returnView is the answer to a return, in the recorded shape (CLOVER.md
// §13.3): the order's own id, amount and amount returned so far, the
// currency upper case, status "returned", and no order, refund or object
// field. The Sim keeps its own record of each return in merchant.Returns.
func returnView(o *clover.Order) *clover.OrderReturn {
	return &clover.OrderReturn{ID: o.ID, Amount: o.Amount, AmountReturned: o.AmountReturned,
		Currency: strings.ToUpper(o.Currency), Status: "returned", StatusTransitions: map[string]int64{}}
}

func skuItem(o *clover.Order, parent string) (clover.OrderItem, bool) {
	for _, it := range o.Items {
		if it.Type == "sku" && it.Parent == parent {
			return it, true
		}
	}
	return clover.OrderItem{}, false
}

func allReturned(o *clover.Order, meta *orderMeta) bool {
	for _, it := range o.Items {
		if it.Type == "sku" && meta.Returned[it.Parent] < it.Quantity {
			return false
		}
	}
	return true
}
