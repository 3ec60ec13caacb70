package cloversim

import (
	"net/http"
	"net/mail"
	"strings"

	"github.com/paybridge/paybridge/clover"
)

func customerNotFound(id string) *apiError {
	return notFound("validation_error", "resource_missing", "Customer", id)
}

// validEmail accepts a bare address (no display name).
func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && strings.Contains(e[strings.LastIndex(e, "@"):], ".")
}

// createCustomer is POST /v1/customers: an email is required; a clv_ source
// is spent and saved as the customer's card.
func (s *Sim) createCustomer(r *http.Request, c *call) (int, any, *apiError) {
	var p clover.CustomerParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	if !validEmail(p.Email) {
		return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "email_invalid", "Please provide a valid email.", "email")}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cu := &clover.Customer{ID: NewID(), Object: "customer", Created: s.nowLocked().UnixMilli(), Currency: strings.ToUpper(c.M.Currency),
		Sources: &clover.List[string]{Object: "list", Data: []string{}}}
	applyCustomer(cu, p)
	if p.Source != "" {
		if e := s.saveCardLocked(c.M, cu, p.Source); e != nil {
			return 0, nil, e
		}
	}
	c.M.Customers[cu.ID] = cu
	s.notify(c.M.ID, "C:"+cu.ID, "CREATE")
	return 200, copyCustomer(cu), nil
}

func applyCustomer(cu *clover.Customer, p clover.CustomerParams) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&cu.Email, p.Email)
	set(&cu.Name, p.Name)
	set(&cu.FirstName, p.FirstName)
	set(&cu.LastName, p.LastName)
	set(&cu.Phone, p.Phone)
	if cu.Name == "" && (p.FirstName != "" || p.LastName != "") {
		cu.Name = strings.TrimSpace(p.FirstName + " " + p.LastName)
	}
	if p.Shipping != nil {
		sh := *p.Shipping
		cu.Shipping = &sh
	}
}

// saveCardLocked spends a clv_ token of m and saves its card on cu.
func (s *Sim) saveCardLocked(m *merchant, cu *clover.Customer, tok string) *apiError {
	t := s.tokens[tok]
	if t == nil || t.MerchantID != m.ID {
		return &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request", "Please provide a valid source.", "source")}
	}
	if t.Used {
		return errf(400, "", "token_already_used", "You cannot use a clover token more than once unless it is marked as multipay.")
	}
	t.Used = true
	sc := &savedCard{ID: NewID(), Customer: cu.ID, Card: t.Card, Number: t.Number}
	sc.Card.ID = sc.ID
	m.Cards[sc.ID] = sc
	cu.Sources = &clover.List[string]{Object: "list", Data: append(append([]string{}, cu.Sources.Data...), sc.ID)}
	return nil
}

func copyCustomer(cu *clover.Customer) *clover.Customer {
	cp := *cu
	if cu.Sources != nil {
		cp.Sources = &clover.List[string]{Object: "list", Data: append([]string{}, cu.Sources.Data...)}
	}
	return &cp
}

// getCustomer is GET /v1/customers/{id}.
func (s *Sim) getCustomer(r *http.Request, c *call) (int, any, *apiError) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	cu := c.M.Customers[id]
	if cu == nil {
		return 0, nil, customerNotFound(id)
	}
	return 200, copyCustomer(cu), nil
}

// updateCustomer is PUT /v1/customers/{id}: fields change, a source adds a
// card (replace a card = DELETE the old one, then PUT the new one).
func (s *Sim) updateCustomer(r *http.Request, c *call) (int, any, *apiError) {
	var p clover.CustomerParams
	if e := decode(r, &p); e != nil {
		return 0, nil, e
	}
	if p.Email != "" && !validEmail(p.Email) {
		return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "email_invalid", "Please provide a valid email.", "email")}
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	old := c.M.Customers[id]
	if old == nil {
		return 0, nil, customerNotFound(id)
	}
	cu := copyCustomer(old)
	applyCustomer(cu, p)
	if p.Source != "" {
		if e := s.saveCardLocked(c.M, cu, p.Source); e != nil {
			return 0, nil, e
		}
	}
	c.M.Customers[id] = cu
	s.notify(c.M.ID, "C:"+cu.ID, "UPDATE")
	return 200, copyCustomer(cu), nil
}

// deleteCard is DELETE /v1/customers/{id}/sources/{cardId}.
func (s *Sim) deleteCard(r *http.Request, c *call) (int, any, *apiError) {
	id, cardID := r.PathValue("id"), r.PathValue("cardId")
	s.mu.Lock()
	defer s.mu.Unlock()
	cu := c.M.Customers[id]
	if cu == nil {
		return 0, nil, customerNotFound(id)
	}
	sc := c.M.Cards[cardID]
	if sc == nil || sc.Customer != id {
		return 0, nil, notFound("invalid_request_error", "resource_missing", "Card", cardID)
	}
	delete(c.M.Cards, cardID)
	up := copyCustomer(cu)
	data := []string{}
	for _, v := range up.Sources.Data {
		if v != cardID {
			data = append(data, v)
		}
	}
	up.Sources.Data = data
	c.M.Customers[id] = up
	s.notify(c.M.ID, "C:"+id, "UPDATE")
	return 200, &clover.DeletedCard{Deleted: true, ID: cardID, Object: "deletedcard"}, nil
}
