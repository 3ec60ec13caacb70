package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/paybridge/paybridge/httpapi/apitest"
)

// TestValidatorsAgreeWithSpec derives boundary requests from the limits
// openapi.yaml states (maxLength, minimum/maximum, maxItems,
// maxProperties, also inside line items and metadata) and sends them to
// the real server: one past a limit must be a 400 naming the field, and,
// where a bare value is valid (no format, pattern or enum), one at the
// limit must not be refused for that field. So the hand-written
// validators (billing/input.go and the handlers) and the spec CRM
// developers generate clients from cannot drift apart unnoticed: the spec
// said 500 characters for a line's description while the code allowed 127.
// (Validation stays in Go for its precise, path-naming problems; the spec
// is the reference it is held to.)
func TestValidatorsAgreeWithSpec(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	doc, err := apitest.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	cus := e.customer()
	line := map[string]any{"description": "Service", "quantity": 1, "unit_amount": 100}
	pay := e.must(201, "POST", "/v1/payments", map[string]any{"amount": 1000, "currency": "usd", "source": e.token(visaOK)})["id"]
	// Limits the spec cannot express as a bare value: a domain rule answers
	// first (the rate must exist in Clover; exactly one payment source).
	domain := map[string]bool{"line_items[0].tax_rate_bps": true, "card_id": true, "source": true}
	for _, op := range []struct {
		method, path, schema string
		base                 map[string]any
		atLimit              bool // at-limit bodies may be sent (they move no money)
	}{
		{"POST", "/v1/customers", "CustomerCreate", map[string]any{"email": "pat@example.com"}, true},
		{"POST", "/v1/customers/" + cus, "CustomerUpdate", map[string]any{}, true},
		{"POST", "/v1/invoices", "InvoiceCreate", map[string]any{"customer_id": cus, "currency": "usd", "line_items": []any{line}, "allow_partial": true}, true},
		{"POST", "/v1/billing-settings", "BillingSettingsSet", map[string]any{}, true},
		{"POST", "/v1/webhook-endpoints", "WebhookEndpointInput", map[string]any{"url": "http://127.0.0.1:9/hook"}, false},
		{"POST", "/v1/plans", "PlanCreate", map[string]any{"name": "Monthly", "amount": 1000, "currency": "usd", "interval": "month"}, false},
		{"POST", "/v1/payments", "PaymentCreate", map[string]any{"amount": 1000, "currency": "usd", "source": "clv_x"}, false},
		{"POST", "/v1/refunds", "RefundCreate", map[string]any{"payment_id": pay}, false},
	} {
		sch := doc.Components.Schemas[op.schema]
		if sch == nil {
			t.Fatalf("no schema %s", op.schema)
		}
		cases := boundaries(sch.Value, "", nil)
		if len(cases) == 0 {
			t.Fatalf("%s: no limits found in the spec", op.schema)
		}
		for _, c := range cases {
			if (c.over == nil && !op.atLimit) || domain[c.param] {
				continue
			}
			checked++
			body := clone(op.base)
			set(body, c.keys, c.value)
			b, _ := json.Marshal(body)
			status, raw, _ := e.raw(e.key, op.method, op.path, b, "Idempotency-Key", fmt.Sprintf("v-%s-%s-%v", op.schema, c.param, c.over))
			var p map[string]any
			_ = json.Unmarshal(raw, &p)
			refusedHere := status == 400 && strings.HasPrefix(fmt.Sprint(p["param"]), c.param)
			switch {
			case c.over != nil && !refusedHere:
				t.Errorf("%s %s: %s %s, the spec refuses it; the server answered %d %v", op.method, op.schema, c.param, *c.over, status, p)
			case c.over == nil && refusedHere:
				t.Errorf("%s %s: %s at the spec's limit (%s) refused: %v", op.method, op.schema, c.param, c.desc, p["detail"])
			}
		}
	}
	if checked < 40 {
		t.Fatalf("only %d boundary requests derived from the spec: the walk sees too little", checked)
	}
	t.Logf("%d boundary requests derived from the spec", checked)
}

// boundary is one request derived from a limit: value at keys, past the
// limit (over says how) or at it.
type boundary struct {
	keys  []any // map keys and slice indexes from the body's root
	param string
	value any
	over  *string
	desc  string
}

func boundaries(s *openapi3.Schema, param string, keys []any) []boundary {
	var out []boundary
	add := func(v any, over string, desc string) {
		b := boundary{keys: keys, param: param, value: v, desc: desc}
		if over != "" {
			b.over = &over
		}
		out = append(out, b)
	}
	plain := s.Format == "" && s.Pattern == "" && len(s.Enum) == 0
	switch {
	case s.Type.Is(openapi3.TypeObject) && len(s.Properties) > 0:
		names := make([]string, 0, len(s.Properties))
		for n := range s.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			child := n
			if param != "" {
				child = param + "." + n
			}
			out = append(out, boundaries(s.Properties[n].Value, child, append(append([]any(nil), keys...), n))...)
		}
	case s.Type.Is(openapi3.TypeObject) && s.AdditionalProperties.Schema != nil:
		if s.MaxProps != nil {
			m := map[string]any{}
			for i := range int(*s.MaxProps) + 1 {
				m[fmt.Sprintf("k%02d", i)] = "v"
			}
			add(m, fmt.Sprintf("with %d keys (max %d)", len(m), *s.MaxProps), "")
		}
		vs := s.AdditionalProperties.Schema.Value
		if vs.MaxLength != nil {
			add(map[string]any{"k": strings.Repeat("a", int(*vs.MaxLength)+1)}, fmt.Sprintf("value of %d characters (max %d)", *vs.MaxLength+1, *vs.MaxLength), "")
			add(map[string]any{"k": strings.Repeat("a", int(*vs.MaxLength))}, "", fmt.Sprintf("a value of %d characters", *vs.MaxLength))
		}
	case s.Type.Is(openapi3.TypeString) && s.MaxLength != nil:
		add(strings.Repeat("a", int(*s.MaxLength)+1), fmt.Sprintf("of %d characters (max %d)", *s.MaxLength+1, *s.MaxLength), "")
		if plain {
			add(strings.Repeat("a", int(*s.MaxLength)), "", fmt.Sprintf("%d characters", *s.MaxLength))
		}
	case s.Type.Is(openapi3.TypeInteger):
		if s.Max != nil {
			add(int64(*s.Max)+1, fmt.Sprintf("= %d (max %d)", int64(*s.Max)+1, int64(*s.Max)), "")
			add(int64(*s.Max), "", fmt.Sprintf("= %d", int64(*s.Max)))
		}
		if s.Min != nil {
			add(int64(*s.Min)-1, fmt.Sprintf("= %d (min %d)", int64(*s.Min)-1, int64(*s.Min)), "")
			add(int64(*s.Min), "", fmt.Sprintf("= %d", int64(*s.Min)))
		}
	case s.Type.Is(openapi3.TypeArray) && s.Items != nil:
		item := s.Items.Value
		if s.MaxItems != nil && item.Type.Is(openapi3.TypeInteger) && item.Min != nil {
			var over []any
			for i := range int(*s.MaxItems) + 1 {
				over = append(over, int64(*item.Min)+int64(i))
			}
			add(over, fmt.Sprintf("with %d items (max %d)", len(over), *s.MaxItems), "")
			add(over[:*s.MaxItems], "", fmt.Sprintf("%d items", *s.MaxItems))
		}
		if item.Type.Is(openapi3.TypeObject) {
			out = append(out, boundaries(item, param+"[0]", append(append([]any(nil), keys...), 0))...)
		}
	}
	return out
}

// set puts v at keys in body, whose nested values are maps and slices.
func set(body map[string]any, keys []any, v any) {
	var cur any = body
	for i, k := range keys {
		last := i == len(keys)-1
		switch k := k.(type) {
		case string:
			m := cur.(map[string]any)
			if last {
				m[k] = v
				return
			}
			cur = m[k]
		case int:
			s := cur.([]any)
			if last {
				s[k] = v
				return
			}
			cur = s[k]
		}
	}
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
