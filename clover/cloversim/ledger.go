package cloversim

import "github.com/paybridge/paybridge/clover"

// Ledger kinds. A sale is "charge"; an authorization is "auth" and moves no
// money until its "capture"; a "void" releases an uncaptured authorization;
// a "refund" returns captured money. Declines move nothing and are absent.
const (
	KindCharge  = "charge"
	KindAuth    = "auth"
	KindCapture = "capture"
	KindRefund  = "refund"
	KindVoid    = "void"
)

// LedgerTotals sums a ledger: Charged is sales, Captured is captured
// authorizations (both without tips), Tips the tips of sales and captures,
// Refunded is refunds, and Net = Charged + Captured + Tips − Refunded is what
// the merchant keeps. Count is the number of entries per kind.
type LedgerTotals struct {
	Charged  int64          `json:"charged"`
	Captured int64          `json:"captured"`
	Refunded int64          `json:"refunded"`
	Tips     int64          `json:"tips"`
	Net      int64          `json:"net"`
	Count    map[string]int `json:"count"`
}

func (s *Sim) appendLedgerLocked(e LedgerEntry) { s.ledger = append(s.ledger, e) }

// Ledger returns a copy of the money movements of merchant mid, oldest
// first ("" for every merchant). Tests use it to prove "charged exactly once".
func (s *Sim) Ledger(mid string) []LedgerEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []LedgerEntry{}
	for _, e := range s.ledger {
		if mid == "" || e.MerchantID == mid {
			out = append(out, e)
		}
	}
	return out
}

// ChargeCount returns how many charge objects merchant mid has, declined
// ones included (a declined charge is stored, status failed, as at Clover).
func (s *Sim) ChargeCount(mid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.merchants[mid]; m != nil {
		return len(m.Charges)
	}
	return 0
}

// Orders returns copies of merchant mid's ecommerce orders, in no order.
// Tests use it to prove "one order per invoice".
func (s *Sim) Orders(mid string) []clover.Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.merchants[mid]
	if m == nil {
		return nil
	}
	out := make([]clover.Order, 0, len(m.Orders))
	for _, o := range m.Orders {
		out = append(out, *o)
	}
	return out
}

// totals sums entries.
func totals(entries []LedgerEntry) LedgerTotals {
	t := LedgerTotals{Count: map[string]int{}}
	for _, e := range entries {
		t.Count[e.Kind]++
		switch e.Kind {
		case KindCharge:
			t.Charged += e.Amount
			t.Tips += e.TipAmount
		case KindCapture:
			t.Captured += e.Amount
			t.Tips += e.TipAmount
		case KindRefund:
			t.Refunded += e.Amount
		}
	}
	t.Net = t.Charged + t.Captured + t.Tips - t.Refunded
	return t
}
