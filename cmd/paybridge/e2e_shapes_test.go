package main

import (
	"testing"

	"github.com/paybridge/paybridge/clover/cloversim"
)

// TestReturnWithOrWithoutParent returns one unit of an invoice line through
// its Clover order whether cloversim's order-create answer leaves out the
// items' `parent` (the default, as in Clover's docs) or carries it: paybridge
// finds the line in the order by what it stored, the right amount comes
// back once, and the return answer in Clover's recorded shape (the order's
// own id) is accepted. Returning the same units again is refused.
func TestReturnWithOrWithoutParent(t *testing.T) {
	t.Parallel()
	for name, parents := range map[string]bool{"parent absent": false, "parent present": true} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := startSandboxWith(t, func(m *Main) { m.SimShapes = cloversim.Shapes{OrderCreateParents: parents} })
			inv := e.invoice(nil)
			id := inv["id"].(string)
			e.must(201, "POST", "/v1/invoices/"+id+"/payments", map[string]any{"source": e.token(visaOK)})
			line := inv["line_items"].([]any)[0].(map[string]any) // 2 × 5000 + 10% tax
			ret := e.must(201, "POST", "/v1/invoices/"+id+"/returns",
				map[string]any{"items": []map[string]any{{"line_item_id": line["id"], "quantity": 1}}})
			if ret["status"] != "succeeded" || num(ret, "amount") != 5500 || ret["clover_return_id"] != inv["clover_order_id"] {
				t.Fatalf("return: %v (order %v)", ret, inv["clover_order_id"])
			}
			e.must(201, "POST", "/v1/invoices/"+id+"/returns",
				map[string]any{"items": []map[string]any{{"line_item_id": line["id"], "quantity": 1}}})
			e.must(400, "POST", "/v1/invoices/"+id+"/returns",
				map[string]any{"items": []map[string]any{{"line_item_id": line["id"], "quantity": 1}}})
			if charges, refunded := ledger(e); charges != 1 || refunded != 11000 {
				t.Fatalf("Clover ledger: %d charges, %d refunded; want 1 and 11000", charges, refunded)
			}
		})
	}
}
