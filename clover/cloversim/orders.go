package cloversim

import (
	"net/http"
	"strings"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// createOrder is POST /v1/orders: sku items with a unit amount and quantity,
// each taxed by rates that must exist for the merchant. The order's amount
// is the items' total, tax_amount the tax on top (per item, half up), and a
// `tax` line shows it.
func (s *Sim) createOrder(r *http.Request, c *call) (int, any, *apiError) {
	var p clover.OrderParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	bad := func(param, msg string) (int, any, *apiError) {
		return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request", msg, param)}
	}
	cur := strings.ToLower(p.Currency)
	if cur == "" || !paybridge.ValidCurrency(cur) || cur != c.M.Currency {
		return bad("currency", "Please provide a valid currency.")
	}
	if len(p.Items) == 0 {
		return bad("items", "Please provide at least one item.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	email := p.Email
	if p.Customer != "" {
		cu := c.M.Customers[p.Customer]
		if cu == nil {
			return 0, nil, customerNotFound(p.Customer)
		}
		if email == "" {
			email = cu.Email
		}
	}
	if email == "" {
		return bad("email", "Please provide an email or a customer with an email.")
	}
	if !validEmail(email) {
		return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "email_invalid", "Please provide a valid email.", "email")}
	}
	o := &clover.Order{ID: NewID(), Object: "order", Currency: cur, Email: email, Customer: p.Customer,
		Created: s.nowLocked().UnixMilli(), Status: "created", Metadata: p.Metadata}
	parents := map[string]bool{}
	for i, it := range p.Items {
		if it.Type == "" {
			it.Type = "sku"
		}
		if it.Type != "sku" {
			return bad("items", "Only sku items can be sent; tax lines are computed.")
		}
		if it.Quantity == 0 {
			it.Quantity = 1
		}
		if it.Amount <= 0 || it.Quantity < 0 || it.Amount*it.Quantity > paybridge.MaxAmount {
			return bad("items", "Each item needs a positive amount and quantity.")
		}
		if it.Parent == "" {
			it.Parent = NewID()
		}
		if parents[it.Parent] {
			return bad("items", "Item parent "+it.Parent+" appears twice.")
		}
		parents[it.Parent] = true
		if it.Currency == "" {
			it.Currency = cur
		}
		rates, e := matchTaxRates(c.M, it.TaxRates)
		if e != nil {
			return 0, nil, e
		}
		it.TaxRates = rates
		p.Items[i] = it
		o.Amount += it.Amount * it.Quantity
		o.TaxAmount += itemTax(c.M, it, it.Quantity)
	}
	if o.Amount+o.TaxAmount > paybridge.MaxAmount {
		return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "amount_too_large", "Amount must be no more than 999,999.99.", "items")}
	}
	o.Items = p.Items
	if o.TaxAmount > 0 {
		o.Items = append(o.Items, clover.OrderItem{Type: "tax", Amount: o.TaxAmount, Currency: cur, Description: "Sales Tax"})
	}
	c.M.Orders[o.ID] = o
	s.ecom.orders[o.ID] = &orderMeta{Returned: map[string]int64{}}
	s.notify(c.M.ID, "O:"+o.ID, "CREATE")
	v := orderView(o)
	if !s.opts.Shapes.OrderCreateParents {
		// The docs' order-create example has no parent (CLOVER.md §13.4).
		for i := range v.Items {
			v.Items[i].Parent = ""
		}
	}
	return 200, v, nil
}

// matchTaxRates resolves an item's tax rates against the merchant's: by
// tax_rate_uuid (a name, if given, must agree) or by name and rate.
func matchTaxRates(m *merchant, in []clover.TaxRate) ([]clover.TaxRate, *apiError) {
	out := make([]clover.TaxRate, 0, len(in))
	for _, tr := range in {
		var found *clover.V3TaxRate
		if tr.TaxRateUUID != "" {
			if v, ok := m.TaxRates[tr.TaxRateUUID]; ok && (tr.Name == "" || tr.Name == v.Name) && (tr.Rate == 0 || tr.Rate == v.Rate) {
				found = &v
			}
		} else {
			for _, v := range m.TaxRates {
				if v.Name == tr.Name && v.Rate == tr.Rate {
					found = &v
					break
				}
			}
		}
		if found == nil {
			return nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request",
				"Tax rate "+tr.Name+tr.TaxRateUUID+" does not exist for this merchant.", "tax_rates")}
		}
		out = append(out, clover.TaxRate{Name: found.Name, TaxRateUUID: found.ID, Rate: found.Rate})
	}
	return out, nil
}

// itemTax is the tax on qty units of an item: taxOn the line's amount for
// each of its rates.
func itemTax(m *merchant, it clover.OrderItem, qty int64) int64 {
	var tax int64
	for _, tr := range it.TaxRates {
		rate := tr.Rate
		if v, ok := m.TaxRates[tr.TaxRateUUID]; ok {
			rate = v.Rate
		}
		tax += taxOn(it.Amount*qty, rate)
	}
	return tax
}

// taxOn is amount×rate with rate 10,000,000 = 100%, rounded half up: the
// rule for order items and subscription runs alike.
func taxOn(amount, rate int64) int64 { return (amount*rate + 5_000_000) / 10_000_000 }

func copyOrder(o *clover.Order) *clover.Order {
	cp := *o
	cp.Items = append([]clover.OrderItem(nil), o.Items...)
	cp.Returns = append([]string(nil), o.Returns...)
	if o.StatusTransitions != nil {
		cp.StatusTransitions = map[string]int64{}
		for k, v := range o.StatusTransitions {
			cp.StatusTransitions[k] = v
		}
	}
	return &cp
}

func orderNotFound(id string) *apiError {
	return notFound("invalid_request_error", "invalid_request", "Order", id)
}

// getOrder is GET /v1/orders/{id}.
func (s *Sim) getOrder(r *http.Request, c *call) (int, any, *apiError) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	o := c.M.Orders[id]
	if o == nil {
		return 0, nil, orderNotFound(id)
	}
	return 200, orderView(o), nil
}

// orderView is an order as Clover answers it: a copy whose currencies are
// upper case ("USD"), as the recorded order answers and the customer
// example have them (CLOVER.md §13.6); the Sim keeps them lower case.
func orderView(o *clover.Order) *clover.Order {
	v := copyOrder(o)
	v.Currency = strings.ToUpper(v.Currency)
	for i := range v.Items {
		v.Items[i].Currency = strings.ToUpper(v.Items[i].Currency)
	}
	return v
}
