package billing

import (
	"context"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// returnParents maps each line of inv to the Clover order item (`parent`)
// a return names. The order-create answer may carry no parent at all (the
// docs' example has none; CLOVER.md §13.4), so lines created that way have
// no stored Clover item id: those are found in the order as Clover shows it
// now (the recorded order answers carry `parent`), matched by what
// paybridge stored. paybridge creates an order's sku items one per line, in
// the lines' order (orderItems), so the n-th sku item is the n-th line; its
// unit amount and quantity must agree, or the line stays unmatched rather
// than returning the wrong item.
func (s *Service) returnParents(ctx context.Context, auth clover.Auth, inv *paybridge.Invoice) (map[string]string, error) {
	parents := make(map[string]string, len(inv.LineItems))
	missing := false
	for _, li := range inv.LineItems {
		parents[li.ID] = li.CloverItemID
		missing = missing || li.CloverItemID == ""
	}
	if !missing {
		return parents, nil
	}
	o, err := s.Clover.GetOrder(ctx, auth, string(inv.CloverOrderID))
	if err != nil {
		return nil, err
	}
	var skus []clover.OrderItem
	for _, it := range o.Items {
		if it.Type == "" || it.Type == "sku" {
			skus = append(skus, it)
		}
	}
	for i, li := range inv.LineItems {
		if li.CloverItemID != "" || i >= len(skus) {
			continue
		}
		if it := skus[i]; it.Amount == li.UnitAmount && max(it.Quantity, 1) == li.Quantity {
			parents[li.ID] = it.Parent
		}
	}
	return parents, nil
}
