package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paybridge/paybridge"
)

type testLine struct {
	Description string `json:"description"`
	Quantity    int64  `json:"quantity"`
	UnitAmount  int64  `json:"unit_amount"`
}

type testInvoice struct {
	CustomerID string            `json:"customer_id"`
	Currency   string            `json:"currency"`
	Amount     int64             `json:"amount"`
	AllowTip   bool              `json:"allow_tip"`
	Due        *string           `json:"due_date,omitempty"`
	Lines      []testLine        `json:"line_items"`
	Metadata   map[string]string `json:"metadata"`
	Internal   string            `json:"-"`
}

func (v *testInvoice) Validate() error {
	if v.Amount != 0 {
		if err := paybridge.ValidateAmount("amount", v.Amount); err != nil {
			return err
		}
	}
	if v.Currency != "" && !paybridge.ValidCurrency(v.Currency) {
		return &paybridge.Error{Kind: paybridge.EINVALID, Code: "invalid_currency", Param: "currency",
			Message: "currency is not supported"}
	}
	return nil
}

func jsonRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/v1/invoices", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func TestDecodeAccepts(t *testing.T) {
	t.Parallel()
	body := `{"customer_id":"cus_1","currency":"usd","amount":1500,"allow_tip":true,"due_date":"2026-12-01",
	  "line_items":[{"description":"Ref 123456789012","quantity":2,"unit_amount":99999999}],
	  "metadata":{"crm_id":"4242424242"}}`
	var got testInvoice
	if err := Decode(httptest.NewRecorder(), jsonRequest(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Amount != 1500 || got.Lines[0].Quantity != 2 || got.Metadata["crm_id"] != "4242424242" || *got.Due != "2026-12-01" {
		t.Errorf("decoded %+v", got)
	}
}

func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	const card = "4242424242424242"
	cases := []struct {
		name, ct, body string
		code, param    string
		msg            string // substring of the message
	}{
		{"content type", "text/plain", `{}`, "unsupported_media_type", "Content-Type", "application/json"},
		{"missing content type", "", `{}`, "unsupported_media_type", "Content-Type", ""},
		{"charset latin1", "application/json; charset=latin1", `{}`, "unsupported_media_type", "Content-Type", ""},
		{"empty", "", ``, "empty_body", "", ""},
		{"blank", "", "  \n", "empty_body", "", ""},
		{"too large", "", `{"customer_id":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, "body_too_large", "", "65536"},
		{"malformed", "", `{"amount": 12,}`, "malformed_json", "", "at byte"},
		{"truncated", "", `{"amount": 12`, "malformed_json", "", "unexpected end"},
		{"bad literal", "", `{"allow_tip": tru}`, "malformed_json", "", "at byte"},
		{"trailing", "", `{"amount": 12} {"amount": 13}`, "trailing_data", "", ""},
		{"trailing garbage", "", `{"amount": 12} x`, "trailing_data", "", ""},
		{"array body", "", `[1,2]`, "invalid_type", "", "request body must be a JSON object, got an array"},
		{"unknown field", "", `{"amount": 12, "colour": "red"}`, "unknown_field", "colour", `"colour"`},
		{"unknown nested field", "", `{"line_items":[{"description":"x"},{"quantity":1,"price":3}]}`, "unknown_field", "line_items[1].price", ""},
		{"case mismatch", "", `{"Amount": 12}`, "unknown_field", "Amount", ""},
		{"json dash field", "", `{"Internal": "x"}`, "unknown_field", "Internal", ""},
		{"duplicate", "", `{"amount": 12, "amount": 13}`, "duplicate_field", "amount", ""},
		{"float amount", "", `{"amount": 12.5}`, "invalid_type", "amount", "amount must be an integer (minor units), got a number with a fraction"},
		{"float zero fraction", "", `{"amount": 12.0}`, "invalid_type", "amount", "got a number with a fraction"},
		{"exponent amount", "", `{"amount": 1e3}`, "invalid_type", "amount", "exponent"},
		{"string amount", "", `{"amount": "12"}`, "invalid_type", "amount", "amount must be an integer (minor units), got a string"},
		{"null amount", "", `{"amount": null}`, "invalid_type", "amount", "got null"},
		{"overflow amount", "", `{"amount": 99999999999999999999}`, "invalid_type", "amount", "out of range"},
		{"nested float", "", `{"line_items":[{"quantity": 1.5}]}`, "invalid_type", "line_items[0].quantity", "line_items[0].quantity must be an integer, got a number with a fraction"},
		{"nested string amount", "", `{"line_items":[{"unit_amount": "5"}]}`, "invalid_type", "line_items[0].unit_amount", "(minor units)"},
		{"bool as string", "", `{"allow_tip": "yes"}`, "invalid_type", "allow_tip", "must be a boolean"},
		{"string as number", "", `{"currency": 840}`, "invalid_type", "currency", "must be a string, got a number"},
		{"object for array", "", `{"line_items": {}}`, "invalid_type", "line_items", "must be an array"},
		{"metadata value number", "", `{"metadata": {"a": 1}}`, "invalid_type", "metadata.a", ""},
		{"negative amount", "", `{"amount": -5}`, "invalid", "amount", "positive"},
		{"over cap amount", "", `{"amount": 100000000}`, "invalid", "amount", "at most"},
		{"unknown currency", "", `{"currency": "xts"}`, "invalid_currency", "currency", ""},
		{"uppercase currency", "", `{"currency": "USD"}`, "invalid_currency", "currency", ""},
		{"card in string", "", `{"customer_id": "` + card + `"}`, "raw_card_data", "customer_id", ""},
		{"card with spaces", "", `{"metadata": {"note": "pay with 4242 4242 4242 4242 thanks"}}`, "raw_card_data", "metadata.note", ""},
		{"card with dashes", "", `{"metadata": {"n": "5555-5555-5555-4444"}}`, "raw_card_data", "metadata.n", ""},
		{"card as number", "", `{"amount": ` + card + `}`, "raw_card_data", "amount", ""},
		{"card in nested array", "", `{"line_items":[{"description":"a"},{"description":"378282246310005"}]}`, "raw_card_data", "line_items[1].description", ""},
		{"card in unknown field", "", `{"card_number": "` + card + `"}`, "raw_card_data", "card_number", ""},
		{"card as field name", "", `{"` + card + `": 1}`, "raw_card_data", "", ""},
		{"card escaped", "", `{"customer_id": "\u0034242424242424242"}`, "raw_card_data", "customer_id", ""},
		{"card with trailing cvv", "", `{"customer_id": "4242 4242 4242 4242 123"}`, "raw_card_data", "customer_id", ""},
		{"card before a syntax error", "", `{"number": "4242424242424242", }`, "raw_card_data", "number", ""},
		{"card after a syntax error", "", `{"x": , "number": "4242424242424242"}`, "raw_card_data", "", ""},
		{"card before type error", "", `{"amount": "x", "metadata": {"n": "` + card + `"}}`, "raw_card_data", "metadata.n", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/v1/invoices", strings.NewReader(tc.body))
			if tc.ct != "" {
				r.Header.Set("Content-Type", tc.ct)
			} else if !strings.HasPrefix(tc.name, "missing") {
				r.Header.Set("Content-Type", "application/json")
			}
			var dst testInvoice
			err := Decode(httptest.NewRecorder(), r, &dst)
			var pe *paybridge.Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *paybridge.Error", err)
			}
			kind := paybridge.EINVALID // 400
			if tc.code == "unsupported_media_type" {
				kind = paybridge.EMEDIATYPE // 415
			}
			if pe.Kind != kind || paybridge.ErrorCode(pe) != tc.code || pe.Param != tc.param {
				t.Errorf("got kind %q code %q param %q, want %s/%q/%q (%s)", pe.Kind, paybridge.ErrorCode(pe), pe.Param, kind, tc.code, tc.param, pe.Message)
			}
			if !strings.Contains(pe.Message, tc.msg) {
				t.Errorf("message %q lacks %q", pe.Message, tc.msg)
			}
			for _, digits := range []string{card, "4242 4242", "5555-5555", "378282246310005"} {
				if strings.Contains(pe.Error(), digits) {
					t.Errorf("error %q contains card digits", pe.Error())
				}
			}
			if tc.code != "invalid" && tc.code != "invalid_currency" && (dst.Amount != 0 || dst.CustomerID != "" || dst.Lines != nil || dst.Metadata != nil) {
				t.Errorf("dst was written: %+v", dst)
			}
		})
	}
}

func TestDecodeOptional(t *testing.T) {
	t.Parallel()
	var dst struct {
		Amount *int64 `json:"amount"`
	}
	r := httptest.NewRequest("POST", "/v1/payments/pay_1/capture", nil)
	if err := DecodeOptional(httptest.NewRecorder(), r, &dst); err != nil || dst.Amount != nil {
		t.Fatalf("empty optional body: %v %+v", err, dst)
	}
	if err := DecodeOptional(httptest.NewRecorder(), jsonRequest(`{"amount": 500}`), &dst); err != nil || *dst.Amount != 500 {
		t.Fatalf("optional body: %v %+v", err, dst)
	}
	if err := Decode(httptest.NewRecorder(), httptest.NewRequest("POST", "/", nil), &dst); paybridge.ErrorCode(err) != "empty_body" {
		t.Errorf("Decode of no body = %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"amount": 12}`, `{"amount": 12.5}`, `{"line_items":[{"quantity":1}]}`,
		`{"metadata":{"a":"4242 4242 4242 4242"}}`, `[`, `{"a":`, `null`, `"x"`, `{"amount":1}{}`,
		`{"amount":1,"amount":2}`, `{"due_date":null}`, strings.Repeat("[", 100),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		var dst testInvoice
		err := Decode(httptest.NewRecorder(), r, &dst)
		if err == nil {
			return
		}
		var pe *paybridge.Error
		if !errors.As(err, &pe) || pe.Kind != paybridge.EINVALID {
			t.Fatalf("Decode(%q) = %#v, want nil or an EINVALID *paybridge.Error", body, err)
		}
	})
}

// TestDecodeRefusesBadUTF8: invalid UTF-8 and lone surrogate escapes are
// a 400 invalid_utf8 naming the offset, not text stored as U+FFFD; a
// proper surrogate pair and escaped backslashes pass.
func TestDecodeRefusesBadUTF8(t *testing.T) {
	t.Parallel()
	type in struct {
		Name string `json:"name"`
	}
	for body, want := range map[string]string{
		"{\"name\":\"a\xffb\"}":            "invalid_utf8",
		"{\"name\":\"\xc3\"}":              "invalid_utf8",
		`{"name":"\ud800"}`:                "invalid_utf8",
		`{"name":"\udc00x"}`:               "invalid_utf8",
		`{"name":"\ud800\u0041"}`:          "invalid_utf8",
		`{"name":"\ud83d\ude00"}`:          "",
		`{"name":"\\ud800"}`:               "", // a backslash, then text
		`{"name":"caf\u00e9 \"q\" \\ \/"}`: "",
	} {
		var dst in
		err := DecodeBytes([]byte(body), &dst)
		if got := paybridge.ErrorCode(err); got != want {
			t.Errorf("%q: code %q (%v), want %q", body, got, err, want)
		}
		if want != "" && dst.Name != "" {
			t.Errorf("%q: decoded %q despite the refusal", body, dst.Name)
		}
	}
}
