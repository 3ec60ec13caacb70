package main

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// FuzzRequestBodies sends arbitrary bodies to every endpoint that creates
// or moves something, through the real server: each must answer with a
// definite 2xx or 4xx problem (never a 5xx, never a hang).
//
//	go test -run XXX -fuzz FuzzRequestBodies -fuzztime 60s ./cmd/paybridge
func FuzzRequestBodies(f *testing.F) {
	e := startSandbox(f)
	inv := e.m.Sandbox.DemoInvoiceID
	paths := []string{"/v1/customers", "/v1/invoices", "/v1/invoices/" + inv + "/payments", "/v1/payments",
		"/v1/refunds", "/v1/invoices/" + inv + "/returns", "/v1/invoices/" + inv + "/void", "/v1/customers/cus_x"}
	for i, body := range []string{
		`{}`, `{"email":"a@example.com"}`, `{"tender":"cash","amount":1.5}`, `{"amount":"10","currency":"usd"}`,
		`{"payment_id":"pay_x","amount":-1}`, `{"items":[{"line_item_id":"li_x","quantity":1e400}]}`,
		`{"source":"4242424242424242"}`, `{"customer_id":null,"line_items":[{}]}`, `[`, ``, `{"a":1}`,
		`{"email":"a@example.com","metadata":{"k":"` + string(make([]byte, 600)) + `"}}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	hc := &http.Client{}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		req, _ := http.NewRequest("POST", e.m.URL+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 || resp.StatusCode < 200 {
			t.Fatalf("POST %s %q = %d: %s", path, body, resp.StatusCode, b)
		}
	})
}
