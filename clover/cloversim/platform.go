package cloversim

import (
	"cmp"
	"crypto/sha256"
	"net/http"
	"sort"
	"strings"

	"github.com/paybridge/paybridge/clover"
)

// registerPlatformV3 mounts the platform v3 reads paybridge needs: the
// merchant, payments (the same ids as ecommerce charges), orders, and the
// merchant's tax rates (which orders must use).
func (s *Sim) registerPlatformV3() {
	h := s.mux.Handle
	h("GET /v3/merchants/{mId}", s.api(s.v3Merchant))
	h("GET /v3/merchants/{mId}/payments/{id}", s.api(s.v3Payment))
	h("GET /v3/merchants/{mId}/orders/{id}", s.api(s.v3Order))
	h("GET /v3/merchants/{mId}/tax_rates", s.api(s.v3TaxRates))
	h("POST /v3/merchants/{mId}/tax_rates", s.api(s.v3CreateTaxRate))
}

// expands reports whether the expand query parameter (comma-separated,
// possibly repeated) names what.
func expands(r *http.Request, what string) bool {
	for _, v := range r.URL.Query()["expand"] {
		for _, f := range strings.Split(v, ",") {
			if strings.TrimSpace(f) == what {
				return true
			}
		}
	}
	return false
}

// v3Merchant is GET /v3/merchants/{mId} in its recorded shape (CLOVER.md
// §13.6): sub-resources as {href} references and no currency or
// defaultCurrency, which Clover's answer lacks. The merchant's currency
// shows only in what it accepts (charges and orders in another currency
// are refused) and echoes (customers, orders).
func (s *Sim) v3Merchant(r *http.Request, c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	base := s.opts.BaseURL
	if base == "" {
		base = "http://" + r.Host
	}
	self := base + "/v3/merchants/" + c.M.ID
	owner := cmp.Or(s.ext.owners[c.M.ID], derivedID(c.M.ID+"/owner"))
	m := &v3MerchantBody{
		Merchant: clover.Merchant{Href: self, ID: c.M.ID, Name: c.M.Name,
			Owner:        &clover.V3Link{Href: self + "/employees/" + owner, ID: owner},
			Address:      &clover.MerchantAddress{Href: self + "/address"},
			MerchantPlan: &clover.Ref{ID: derivedID(c.M.ID + "/plan")},
			CreatedTime:  s.ecom.started},
		Gateway: clover.V3Link{Href: self + "/gateway"}, Tenders: clover.V3Link{Href: self + "/tenders"},
	}
	if expands(r, "address") {
		a := sandboxAddress
		a.Href = self + "/address"
		m.Address = &a
	}
	return 200, m, nil
}

// sandboxAddress is every emulated merchant's business address (a
// reserved 555-01xx phone number), as Clover's merchant address reads.
var sandboxAddress = clover.MerchantAddress{Address1: "415 Main Street", Address2: "Suite 200", City: "Springfield",
	State: "IL", Zip: "62701", Country: "US", PhoneNumber: "(217) 555-0142"}

// v3MerchantBody adds the recorded references paybridge does not read.
type v3MerchantBody struct {
	clover.Merchant
	Gateway clover.V3Link `json:"gateway"`
	Tenders clover.V3Link `json:"tenders"`
}

// derivedID is a Clover-style id derived from seed, stable across reads.
func derivedID(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	b := make([]byte, 13)
	for i := range b {
		b[i] = idChars[int(sum[i])%len(idChars)]
	}
	return string(b)
}

// v3PaymentLocked renders a charge as a platform payment: SUCCESS once money
// moved, AUTH while only authorized, VOIDED once released, FAIL if declined.
func (s *Sim) v3PaymentLocked(m *merchant, ch *clover.Charge, withRefunds bool) *clover.V3Payment {
	meta := s.ecom.charges[ch.ID]
	p := &clover.V3Payment{ID: ch.ID, Amount: ch.Amount, TipAmount: ch.TipAmount, TaxAmount: ch.TaxAmount,
		CreatedTime: ch.Created, ExternalReferenceID: ch.ExternalReferenceID}
	switch {
	case meta.Declined:
		p.Result = "FAIL"
	case meta.Voided:
		p.Result = "VOIDED"
	case !ch.Captured:
		p.Result = "AUTH"
	default:
		p.Result = "SUCCESS"
		p.Amount = ch.AmountCaptured
	}
	if ch.Order != "" {
		p.Order = &clover.Ref{ID: ch.Order}
	}
	if withRefunds {
		p.Refunds = &clover.Elements[clover.V3Refund]{Elements: []clover.V3Refund{}}
		for _, id := range meta.Refunds {
			rf := m.Refunds[id]
			p.Refunds.Elements = append(p.Refunds.Elements, clover.V3Refund{ID: rf.ID, Amount: rf.Amount,
				CreatedTime: rf.Created, Payment: &clover.Ref{ID: ch.ID}})
		}
	}
	return p
}

func (s *Sim) v3Payment(r *http.Request, c *call) (int, any, *apiError) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := c.M.Charges[id]
	if ch == nil {
		return 0, nil, notFound("invalid_request_error", "resource_missing", "Payment", id)
	}
	return 200, s.v3PaymentLocked(c.M, ch, expands(r, "refunds")), nil
}

func (s *Sim) v3Order(r *http.Request, c *call) (int, any, *apiError) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	o := c.M.Orders[id]
	if o == nil {
		return 0, nil, notFound("invalid_request_error", "resource_missing", "Order", id)
	}
	v := &clover.V3Order{ID: o.ID, Total: o.Amount + o.TaxAmount, Currency: strings.ToUpper(o.Currency),
		State: "OPEN", PaymentState: "OPEN", CreatedTime: o.Created} // upper case, as recorded (CLOVER.md §13.6)
	if o.Charge != "" {
		v.State, v.PaymentState = "LOCKED", "PAID"
		if ch := c.M.Charges[o.Charge]; ch != nil && ch.AmountRefunded > 0 {
			v.PaymentState = "PARTIALLY_REFUNDED"
			if ch.Refunded {
				v.PaymentState = "REFUNDED"
			}
		}
	}
	if expands(r, "payments") {
		v.Payments = &clover.Elements[clover.V3Payment]{Elements: []clover.V3Payment{}}
		if ch := c.M.Charges[o.Charge]; ch != nil {
			v.Payments.Elements = append(v.Payments.Elements, *s.v3PaymentLocked(c.M, ch, false))
		}
	}
	return 200, v, nil
}

func (s *Sim) v3TaxRates(_ *http.Request, c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]clover.V3TaxRate, 0, len(c.M.TaxRates))
	for _, tr := range c.M.TaxRates {
		out = append(out, tr)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || (out[i].Name == out[j].Name && out[i].ID < out[j].ID)
	})
	return 200, &clover.Elements[clover.V3TaxRate]{Elements: out}, nil
}

// v3CreateTaxRate is POST /v3/merchants/{mId}/tax_rates {name, rate,
// isDefault}: rate in 1/100,000 % (0 to 10,000,000 = 100%); names are unique.
func (s *Sim) v3CreateTaxRate(r *http.Request, c *call) (int, any, *apiError) {
	var tr clover.V3TaxRate
	if e := decode(r, &tr); e != nil {
		return 0, nil, e
	}
	if strings.TrimSpace(tr.Name) == "" || tr.Rate < 0 || tr.Rate > 10_000_000 {
		return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request",
			"A tax rate needs a name and a rate between 0 and 10000000.", "rate")}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range c.M.TaxRates {
		if v.Name == tr.Name {
			return 0, nil, errf(400, "invalid_request_error", "invalid_request", "A tax rate named %s already exists.", tr.Name)
		}
	}
	tr.ID = NewID()
	c.M.TaxRates[tr.ID] = tr
	return 200, &tr, nil
}
