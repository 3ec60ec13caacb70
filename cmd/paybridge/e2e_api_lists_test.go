package main

import (
	"encoding/json"
	"net/url"
	"testing"
)

// ids reads the ids of a list page's data.
func ids(t *testing.T, page map[string]any) []string {
	t.Helper()
	data, ok := page["data"].([]any)
	if !ok {
		t.Fatalf("not a list: %v", page)
	}
	out := make([]string, len(data))
	for i, d := range data {
		out[i] = d.(map[string]any)["id"].(string)
	}
	return out
}

// rawProblem sends a GET the spec refuses (so the request is not checked
// against it; the answer is) and returns the status and problem.
func (e *sbx) rawProblem(path string) (int, map[string]any) {
	e.t.Helper()
	resp, body := e.client(e.key).DoRaw("GET", path, nil, nil)
	var p map[string]any
	_ = json.Unmarshal(body, &p)
	return resp.StatusCode, p
}

// TestListQueries: lists filter by customer and status, bound by created
// time, order both ways with stable cursors, and refuse what they do not
// understand instead of ignoring it (the issue's ?customer_id= that
// returned 5 payments of 4 customers).
func TestListQueries(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	a, b := e.customer(), e.customer()
	var pays []map[string]any
	for _, cus := range []string{a, b, a} {
		pays = append(pays, e.must(201, "POST", "/v1/payments", map[string]any{
			"amount": 1000, "currency": "usd", "source": e.token(visaOK), "customer_id": cus}))
	}
	p0, p1, p2 := pays[0]["id"].(string), pays[1]["id"].(string), pays[2]["id"].(string)
	eq := func(what string, got []string, want ...string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s = %v, want %v", what, got, want)
			}
		}
	}
	eq("customer a's payments", ids(t, e.must(200, "GET", "/v1/payments?customer_id="+a, nil)), p0, p2)
	eq("customer b's payments", ids(t, e.must(200, "GET", "/v1/payments?customer_id="+b+"&status=succeeded", nil)), p1)
	eq("newest first", ids(t, e.must(200, "GET", "/v1/payments?order=desc", nil))[:3], p2, p1, p0)

	// Paging newest first with limit=1 walks the same sequence.
	var walked []string
	for cursor := ""; ; {
		page := e.must(200, "GET", "/v1/payments?order=desc&limit=1&cursor="+url.QueryEscape(cursor), nil)
		walked = append(walked, ids(t, page)...)
		if page["has_more"] != true {
			break
		}
		cursor = page["next_cursor"].(string)
	}
	eq("walked newest first", walked[:3], p2, p1, p0)

	second := url.QueryEscape(pays[1]["created_at"].(string))
	eq("created[gte] the second", ids(t, e.must(200, "GET", "/v1/payments?created[gte]="+second, nil)), p1, p2)
	eq("created[gt] the second", ids(t, e.must(200, "GET", "/v1/payments?created[gt]="+second, nil)), p2)
	eq("created[lt] the second", ids(t, e.must(200, "GET", "/v1/payments?customer_id="+a+"&created[lt]="+second, nil)), p0)
	eq("created[lte] the second", ids(t, e.must(200, "GET", "/v1/payments?customer_id="+b+"&created[lte]="+second, nil)), p1)
	eq("created[gte] in Unix seconds, far future", ids(t, e.must(200, "GET", "/v1/payments?created[gte]=4102444800", nil)))

	for _, c := range []struct{ path, code, param string }{
		{"/v1/payments?customer=" + a, "unknown_parameter", "customer"},
		{"/v1/payments?created[after]=1", "unknown_parameter", "created[after]"},
		{"/v1/customers/" + a + "?expand=x", "unknown_parameter", "expand"},
		{"/v1/payments?status=paid", "invalid_parameter", "status"},
		{"/v1/payments?customer_id=" + p0, "invalid_parameter", "customer_id"},
		{"/v1/payments?limit=0", "invalid_parameter", "limit"},
		{"/v1/payments?order=newest", "invalid_parameter", "order"},
		{"/v1/payments?created[gte]=yesterday", "invalid_timestamp", "created[gte]"},
		{"/v1/payments/" + p0 + "?expand[]=card", "invalid_parameter", "expand[]"},
	} {
		status, p := e.rawProblem(c.path)
		if status != 400 || p["code"] != c.code || p["param"] != c.param {
			t.Errorf("GET %s = %d %v %v, want 400 %s param %s", c.path, status, p["code"], p["param"], c.code, c.param)
		}
	}
}

// TestExpand: expand[] fills in a payment's invoice, customer and refunds
// and an invoice's customer and payments, one level deep, on objects and
// on every item of a list.
func TestExpand(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	inv := e.invoice(nil)
	invID := inv["id"].(string)
	pay := e.must(201, "POST", "/v1/invoices/"+invID+"/payments", map[string]any{"source": e.token(visaOK)}, "Idempotency-Key", "exp-"+invID)
	payID := pay["id"].(string)
	re := e.must(201, "POST", "/v1/refunds", map[string]any{"payment_id": payID, "amount": 500}, "Idempotency-Key", "exp-re-"+invID)

	got := e.must(200, "GET", "/v1/payments/"+payID+"?expand[]=invoice&expand[]=customer&expand[]=refunds", nil)
	if inv2, _ := got["invoice"].(map[string]any); inv2["id"] != invID {
		t.Errorf("expanded invoice = %v, want %s", got["invoice"], invID)
	} else if _, nested := inv2["customer"].(map[string]any); nested {
		t.Error("the expanded invoice expanded its customer too: expansion is one level deep")
	}
	if cu, _ := got["customer"].(map[string]any); cu["id"] != inv["customer_id"] {
		t.Errorf("expanded customer = %v, want %v", got["customer"], inv["customer_id"])
	}
	if rs, _ := got["refunds"].(map[string]any); rs == nil || len(ids(t, rs)) != 1 || ids(t, rs)[0] != re["id"] {
		t.Errorf("expanded refunds = %v, want [%v]", got["refunds"], re["id"])
	}
	if plain := e.must(200, "GET", "/v1/payments/"+payID, nil); plain["invoice"] != nil || plain["invoice_id"] != invID {
		t.Errorf("without expand: invoice %v, invoice_id %v", plain["invoice"], plain["invoice_id"])
	}

	list := e.must(200, "GET", "/v1/invoices?customer_id="+inv["customer_id"].(string)+"&expand[]=payments&expand[]=customer", nil)
	items := list["data"].([]any)
	if len(items) != 1 {
		t.Fatalf("invoices of the customer = %d, want 1", len(items))
	}
	item := items[0].(map[string]any)
	if ps, _ := item["payments"].(map[string]any); ps == nil || ids(t, ps)[0] != payID {
		t.Errorf("expanded payments = %v", item["payments"])
	}
	if cu, _ := item["customer"].(map[string]any); cu["id"] != inv["customer_id"] {
		t.Errorf("expanded customer = %v", item["customer"])
	}
	r2 := e.must(200, "GET", "/v1/refunds/"+re["id"].(string)+"?expand[]=payment", nil)
	if p, _ := r2["payment"].(map[string]any); p["id"] != payID {
		t.Errorf("refund's expanded payment = %v", r2["payment"])
	}
}
