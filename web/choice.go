package web

import (
	"net/url"
	"strconv"

	"github.com/paybridge/paybridge"
)

// choice is what the customer picked on the form: full or partial amount
// (the partial as typed), the tip (none, a preset percentage, or custom as
// typed) and whether to save the card. It travels in the form on submit
// and in the page URL's query (pay.js keeps it there as the customer
// changes the form; the redirect after a refusal carries it), so a
// decline, a validation error and a reload all come back showing what
// the customer chose, never "full amount, no tip" behind their back.
type choice struct {
	Partial   bool
	Amount    string // the partial amount as typed
	Tip       string // "0", a preset percentage, or "custom"
	TipAmount string // the custom tip as typed
	Save      bool
}

// maxTyped bounds a typed amount kept from a query or form.
const maxTyped = 32

// readChoice reads a choice from form or query values; anything unknown
// falls back to the default (full amount, no tip).
func readChoice(q url.Values) choice {
	c := choice{Partial: q.Get("amount_choice") == "partial", Tip: "0", Save: q.Get("save_card") == "yes"}
	typed := func(k string) string {
		if s := q.Get(k); len(s) <= maxTyped {
			return s
		}
		return ""
	}
	if c.Partial {
		c.Amount = typed("partial_amount")
	}
	switch t := q.Get("tip"); {
	case t == "custom":
		c.Tip, c.TipAmount = t, typed("tip_amount")
	case tipPercent(t) > 0:
		c.Tip = t
	}
	return c
}

// query adds the non-default parts of c to q.
func (c choice) query(q url.Values) {
	if c.Partial {
		q.Set("amount_choice", "partial")
		q.Set("partial_amount", c.Amount)
	}
	if c.Tip != "0" {
		q.Set("tip", c.Tip)
	}
	if c.Tip == "custom" {
		q.Set("tip_amount", c.TipAmount)
	}
	if c.Save {
		q.Set("save_card", "yes")
	}
}

// tipPercent is the preset percentage t names (0: none of them).
func tipPercent(t string) int {
	pct, err := strconv.Atoi(t)
	if err != nil {
		return 0
	}
	for _, p := range tipPercents {
		if p == pct {
			return p
		}
	}
	return 0
}

// charge is what c costs on inv: the amount paid now and the tip, or the
// refusal code of why it cannot be charged. Percentage tips are of the
// amount paid now (a partial payment's tip is a share of that part). The
// form, pay.js and the submit all follow this one rule, so the total on
// the button is the total charged.
func (c choice) charge(inv *paybridge.Invoice) (amount, tip int64, code string) {
	due := inv.AmountDue()
	amount = due
	if c.Partial && partialAllowed(inv) {
		v, ok := ParseAmount(c.Amount, inv.Currency)
		switch minimum := minPartial(inv); {
		case !ok || v <= 0:
			return 0, 0, "amount_invalid"
		case v > due:
			return 0, 0, "amount_too_large"
		case v < minimum && v < due:
			return 0, 0, "amount_too_small"
		}
		amount = v
	}
	if !inv.AllowTip {
		return amount, 0, ""
	}
	switch {
	case c.Tip == "custom":
		v, ok := ParseAmount(c.TipAmount, inv.Currency)
		if c.TipAmount == "" {
			v, ok = 0, true
		}
		if !ok {
			return amount, 0, "tip_invalid"
		}
		tip = v
	case tipPercent(c.Tip) > 0:
		tip = tipFor(amount, tipPercent(c.Tip))
	}
	if amount+tip > paybridge.MaxAmount {
		return amount, 0, "tip_invalid"
	}
	return amount, tip, ""
}

// partialAllowed reports whether inv's form offers a partial amount.
func partialAllowed(inv *paybridge.Invoice) bool {
	return inv.AllowPartial && inv.AmountDue() > minPartial(inv)
}

// minPartial is the smallest partial payment inv takes.
func minPartial(inv *paybridge.Invoice) int64 { return max(inv.MinimumPartialAmount, 1) }
