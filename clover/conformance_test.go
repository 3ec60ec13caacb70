package clover_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

// conformanceCase is one payload of testdata/conformance: <name>.json is
// what Clover answered (recorded) or documents, <name>.source says where
// it comes from and which request gives it.
type conformanceCase struct {
	name string
	into func() any // the client's type for it
	// exact: the payload is a whole recorded body, so cloversim's answer
	// must have the same set of keys; otherwise it may have more (Clover's
	// full field lists are longer than its examples).
	exact bool
	// sim makes the same request of cloversim and returns its answer's
	// body; nil when the sidecar says why it is decode-only.
	sim func(t *testing.T, b *simBundle) []byte
}

// TestConformance: every recorded or documented Clover payload decodes into
// the client's types, and cloversim's answer to the same request has the
// payload's keys with the same JSON types, recursively.
func TestConformance(t *testing.T) {
	t.Parallel()
	cases := conformanceCases()
	files, err := filepath.Glob(filepath.Join("testdata", "conformance", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if !slices.ContainsFunc(cases, func(c conformanceCase) bool { return c.name == name }) {
			t.Errorf("%s has no conformance case", f)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", "conformance")
			raw, err := os.ReadFile(filepath.Join(dir, tc.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			src, err := os.ReadFile(filepath.Join(dir, tc.name+".source"))
			if err != nil || !bytes.Contains(src, []byte("source: ")) || !bytes.Contains(src, []byte("request: ")) {
				t.Fatalf("%s.source must say the payload's source and its request: %v", tc.name, err)
			}
			if err := json.Unmarshal(raw, tc.into()); err != nil {
				t.Fatalf("the client cannot decode it: %v", err)
			}
			if tc.sim == nil {
				if !bytes.Contains(src, []byte("decode only")) {
					t.Fatalf("no cloversim request, and %s.source does not say why", tc.name)
				}
				return
			}
			b := setupSim(t, noLimits())
			got := tc.sim(t, b)
			if err := json.Unmarshal(got, tc.into()); err != nil {
				t.Fatalf("the client cannot decode cloversim's answer %s: %v", got, err)
			}
			var want, have any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(got, &have); err != nil {
				t.Fatal(err)
			}
			for _, d := range sameShape("", want, have, tc.exact) {
				t.Errorf("cloversim %s (answer %s)", d, got)
			}
		})
	}
}

// sameShape lists where have differs from want in keys or JSON types: a key
// of want missing from have (or, exact, a key of have not in want), or a
// value of another JSON type. A null in want matches anything; arrays
// compare their first elements.
func sameShape(path string, want, have any, exact bool) []string {
	if want == nil {
		return nil
	}
	if kind(want) != kind(have) {
		return []string{fmt.Sprintf("%s is %s, want %s", orRoot(path), kind(have), kind(want))}
	}
	var out []string
	switch w := want.(type) {
	case map[string]any:
		h := have.(map[string]any)
		for k, wv := range w {
			hv, ok := h[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s lacks %q", orRoot(path), k))
				continue
			}
			out = append(out, sameShape(path+"."+k, wv, hv, exact)...)
		}
		if exact {
			for k := range h {
				if _, ok := w[k]; !ok {
					out = append(out, fmt.Sprintf("%s has %q, which the recorded body has not", orRoot(path), k))
				}
			}
		}
	case []any:
		h := have.([]any)
		if len(w) > 0 && len(h) == 0 {
			return []string{fmt.Sprintf("%s is empty", orRoot(path))}
		}
		if len(w) > 0 {
			out = append(out, sameShape(path+"[0]", w[0], h[0], exact)...)
		}
	}
	return out
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

func orRoot(path string) string {
	if path == "" {
		return "the body"
	}
	return strings.TrimPrefix(path, ".")
}

// raw sends one request to cloversim with the merchant's token (or the
// given Authorization) and returns the body, failing unless the status is
// want.
func (b *simBundle) raw(t *testing.T, want int, method, path string, body any, hdr ...string) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, b.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+b.a.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	req.Header.Set("X-Clover-Merchant-Id", b.a.MerchantID)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, out, want)
	}
	return out
}

// charge makes a 100-cent charge of a fresh token and returns its id.
func (b *simBundle) charge(t *testing.T) string {
	t.Helper()
	var ch clover.Charge
	if err := json.Unmarshal(b.raw(t, 200, "POST", "/v1/charges", clover.ChargeParams{Amount: 100, Currency: "usd", Source: b.token(t, cardOK)}), &ch); err != nil {
		t.Fatal(err)
	}
	return ch.ID
}

// order creates an order of two taxed units and returns its id and the
// create answer.
func (b *simBundle) order(t *testing.T) (string, []byte) {
	t.Helper()
	var rates clover.Elements[clover.V3TaxRate]
	if err := json.Unmarshal(b.raw(t, 200, "GET", "/v3/merchants/"+b.a.MerchantID+"/tax_rates", nil), &rates); err != nil {
		t.Fatal(err)
	}
	var tax clover.TaxRate
	for _, r := range rates.Elements {
		if r.Rate > 0 {
			tax = clover.TaxRate{TaxRateUUID: r.ID}
		}
	}
	body := b.raw(t, 200, "POST", "/v1/orders", clover.OrderParams{Currency: "usd", Email: "jdoe@example.com",
		Items: []clover.OrderItem{{Quantity: 2, Amount: 1358, Description: "Widget", TaxRates: []clover.TaxRate{tax}}}})
	var o clover.Order
	if err := json.Unmarshal(body, &o); err != nil {
		t.Fatal(err)
	}
	return o.ID, body
}

func conformanceCases() []conformanceCase {
	return []conformanceCase{
		{name: "charge_create", into: func() any { return new(clover.Charge) }, sim: func(t *testing.T, b *simBundle) []byte {
			return b.raw(t, 200, "POST", "/v1/charges", clover.ChargeParams{Amount: 100, Currency: "usd", Source: b.token(t, cardOK)})
		}},
		{name: "list_charges", into: func() any { return new(clover.List[clover.Charge]) }, sim: func(t *testing.T, b *simBundle) []byte {
			b.charge(t)
			return b.raw(t, 200, "GET", "/v1/charges", nil)
		}},
		{name: "list_refunds_bare", into: func() any { return new(clover.List[clover.Refund]) }},
		{name: "refund", into: func() any { return new(clover.Refund) }, sim: func(t *testing.T, b *simBundle) []byte {
			return b.raw(t, 200, "POST", "/v1/refunds", clover.RefundParams{Charge: b.charge(t), Amount: 100})
		}},
		{name: "order_create", into: func() any { return new(clover.Order) }, sim: func(t *testing.T, b *simBundle) []byte {
			_, body := b.order(t)
			return body
		}},
		{name: "order_return", into: func() any { return new(clover.OrderReturn) }, exact: true, sim: func(t *testing.T, b *simBundle) []byte {
			id, _ := b.order(t)
			b.raw(t, 200, "POST", "/v1/orders/"+id+"/pay", clover.PayOrderParams{Source: b.token(t, cardOK)})
			return b.raw(t, 200, "POST", "/v1/orders/"+id+"/returns", nil)
		}},
		{name: "customer", into: func() any { return new(clover.Customer) }, sim: func(t *testing.T, b *simBundle) []byte {
			return b.raw(t, 200, "POST", "/v1/customers", clover.CustomerParams{Email: "jdoe@gmail.com", Name: "Joe Doe", Phone: "4085551858",
				Source: b.token(t, cardOK), Shipping: &clover.Shipping{Name: "Joe Doe", Phone: "4085551858"}})
		}},
		{name: "deleted_card", into: func() any { return new(clover.DeletedCard) }, exact: true, sim: func(t *testing.T, b *simBundle) []byte {
			var cu clover.Customer
			if err := json.Unmarshal(b.raw(t, 200, "POST", "/v1/customers", clover.CustomerParams{Email: "jdoe@gmail.com", Source: b.token(t, cardOK)}), &cu); err != nil {
				t.Fatal(err)
			}
			return b.raw(t, 200, "DELETE", "/v1/customers/"+cu.ID+"/sources/"+cu.Sources.Data[0], nil)
		}},
		{name: "pakms_key", into: func() any { return new(clover.PAKMSKey) }, exact: true, sim: func(t *testing.T, b *simBundle) []byte {
			return b.raw(t, 200, "GET", "/pakms/apikey", nil)
		}},
		{name: "token", into: func() any { return new(clover.Token) }, sim: func(t *testing.T, b *simBundle) []byte {
			return b.raw(t, 200, "POST", "/v1/tokens", clover.TokenParams{Card: &clover.CardDetails{Number: cardOK, ExpMonth: "12", ExpYear: "2030", CVV: "123"}},
				"apikey", b.opts.PAKMSKey, "Authorization", "")
		}},
		{name: "error_envelope", into: func() any { return new(clover.ErrorBody) }, sim: func(t *testing.T, b *simBundle) []byte {
			return b.raw(t, 400, "POST", "/v1/charges", clover.ChargeParams{Currency: "usd", Source: b.token(t, cardOK)})
		}},
		{name: "error_decline", into: func() any { return new(clover.ErrorBody) }, sim: func(t *testing.T, b *simBundle) []byte {
			return b.raw(t, 402, "POST", "/v1/charges", clover.ChargeParams{Amount: 100, Currency: "usd", Source: b.token(t, "4005571702222222")})
		}},
		{name: "error_unauthorized", into: func() any { return new(clover.ErrorBody) }, exact: true, sim: func(t *testing.T, b *simBundle) []byte {
			return b.raw(t, 401, "GET", "/v1/charges/ZZZZZZZZZZZZZ", nil, "Authorization", "Bearer not-a-token")
		}},
		{name: "oauth_token", into: func() any { return new(clover.OAuthToken) }},
		{name: "plan", into: func() any { return new(clover.Plan) }, sim: func(t *testing.T, b *simBundle) []byte {
			var rates clover.Elements[clover.V3TaxRate]
			if err := json.Unmarshal(b.raw(t, 200, "GET", "/v3/merchants/"+b.a.MerchantID+"/tax_rates", nil), &rates); err != nil {
				t.Fatal(err)
			}
			return b.raw(t, 200, "POST", "/recurring/v1/plans", clover.PlanParams{Name: "Monthly maintenance", Amount: 4999, Interval: "MONTH",
				IntervalCount: 1, Note: "Filter service", TaxRateUUIDs: []string{rates.Elements[0].ID}, TipAmount: 100})
		}},
		{name: "checkout_session", into: func() any { return new(clover.CheckoutSession) }, exact: true, sim: func(t *testing.T, b *simBundle) []byte {
			return b.raw(t, 200, "POST", "/invoicingcheckoutservice/v1/checkouts", clover.CheckoutParams{
				ShoppingCart: clover.CheckoutCart{LineItems: []clover.CheckoutLineItem{{Name: "Visit", Price: 5000, UnitQty: 1}}}})
		}},
		{name: "v3_error", into: func() any { return new(clover.V3ErrorBody) }, exact: true, sim: func(t *testing.T, b *simBundle) []byte {
			return b.raw(t, 404, "GET", "/v3/merchants/"+b.a.MerchantID+"/orders/ZZZZZZZZZZZZZ", nil)
		}},
		{name: "v3_order", into: func() any { return new(clover.V3Order) }, sim: func(t *testing.T, b *simBundle) []byte {
			id, _ := b.order(t)
			return b.raw(t, 200, "GET", "/v3/merchants/"+b.a.MerchantID+"/orders/"+id, nil)
		}},
		{name: "webhook_payload", into: func() any { return new(clover.WebhookPayload) }},
	}
}

// TestSameShape: the comparison itself finds a missing key (a null in the
// payload still needs the key), a changed type, a nested difference and,
// for whole bodies, an extra key.
func TestSameShape(t *testing.T) {
	t.Parallel()
	parse := func(s string) any {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	want := parse(`{"id":"A","amount":1,"source":{"last4":"4242"},"data":[{"x":true}],"n":null}`)
	for have, n := range map[string]int{
		`{"id":"B","amount":2,"source":{"last4":"1111"},"data":[{"x":false}],"n":5,"more":1}`: 0,
		`{"amount":2,"source":{"last4":"1111"},"data":[{"x":false}]}`:                         2, // no id, no n
		`{"id":"B","amount":"2","source":{"last4":4242},"data":[{"x":"yes"}]}`:                4,
		`{"id":"B","amount":2,"source":[],"data":[]}`:                                         3,
	} {
		if got := sameShape("", want, parse(have), false); len(got) != n {
			t.Errorf("%s: %v, want %d differences", have, got, n)
		}
	}
	if got := sameShape("", parse(`{"id":"A"}`), parse(`{"id":"A","object":"x"}`), true); len(got) != 1 {
		t.Errorf("exact: %v, want the extra key", got)
	}
}
