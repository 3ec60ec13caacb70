package clover

import (
	"net/http"
	"strings"
	"testing"
)

func TestParseError(t *testing.T) {
	t.Parallel()
	h := http.Header{"X-Clover-Request-Id": {"req-1"}}
	tests := []struct {
		name   string
		status int
		body   string
		want   Error
	}{
		{"full envelope", 400,
			`{"message":"400 Bad Request","error":{"type":"invalid_request_error","code":"invalid_charge_amount","message":"Please provide a valid amount.","param":"amount"}}`,
			Error{Status: 400, Type: "invalid_request_error", Code: "invalid_charge_amount", Message: "Please provide a valid amount.", Param: "amount", RequestID: "req-1"}},
		{"decline", 402,
			`{"message":"402 Payment Required","error":{"type":"card_error","code":"card_declined","message":"Declined","charge":"8CCA17W869QWY","decline_code":"do_not_honor"}}`,
			Error{Status: 402, Type: "card_error", Code: "card_declined", Message: "Declined", ChargeID: "8CCA17W869QWY", DeclineCode: "do_not_honor", RequestID: "req-1"}},
		{"bare 401", 401, `{"message":"401 Unauthorized"}`,
			Error{Status: 401, Message: "401 Unauthorized", RequestID: "req-1"}},
		{"no type", 400, `{"message":"400 Bad Request","error":{"code":"token_already_used","message":"You cannot use a clover token more than once unless it is marked as multipay."}}`,
			Error{Status: 400, Code: "token_already_used", Message: "You cannot use a clover token more than once unless it is marked as multipay.", RequestID: "req-1"}},
		{"platform v3", 404, `{"details":"Customer not found","message":"Not Found"}`,
			Error{Status: 404, Message: "Customer not found", RequestID: "req-1"}},
		{"not JSON", 502, `<html>Bad Gateway</html>`,
			Error{Status: 502, Message: "502 Bad Gateway", RequestID: "req-1"}},
		{"empty", 503, ``, Error{Status: 503, Message: "503 Service Unavailable", RequestID: "req-1"}},
		{"2xx names its status", 200, `{"message":"409 Conflict","error":{"code":"order_already_paid","message":"paid"}}`,
			Error{Status: 409, Code: "order_already_paid", Message: "paid", RequestID: "req-1"}},
		{"2xx message without a status keeps 200", 200, `{"message":"weird"}`,
			Error{Status: 200, Message: "weird", RequestID: "req-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := parseError(tt.status, h, []byte(tt.body)); *got != tt.want {
				t.Errorf("parseError =\n %+v\nwant\n %+v", *got, tt.want)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	e := &Error{Status: 402, Type: "card_error", Code: "card_declined", Message: "Card declined.", RequestID: "abc"}
	if got, want := e.Error(), "clover: 402 card_error/card_declined: Card declined. (request abc)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &Error{Status: 401, Message: "401 Unauthorized"}
	if got, want := e.Error(), "clover: 401: 401 Unauthorized"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseErrorScrubs(t *testing.T) {
	t.Parallel()
	body := `{"message":"400 Bad Request","error":{"message":"token s3cr3t-token-value and card 4242424242424242 and secret CLIENTSECRET99 rejected\nFAKE LOG LINE"}}`
	e := parseError(400, nil, []byte(body), "s3cr3t-token-value", "CLIENTSECRET99")
	for _, bad := range []string{"s3cr3t-token-value", "4242424242424242", "CLIENTSECRET99", "\n"} {
		if strings.Contains(e.Error(), bad) {
			t.Errorf("Error() %q contains %q", e.Error(), bad)
		}
	}
	if !strings.Contains(e.Message, "[REDACTED]") || !strings.Contains(e.Message, "[CARD]") {
		t.Errorf("Message %q: want redaction markers", e.Message)
	}
}

func FuzzParseError(f *testing.F) {
	f.Add(400, []byte(`{"message":"400 Bad Request","error":{"type":"invalid_request_error","code":"invalid_charge_amount","message":"Please provide a valid amount."}}`))
	f.Add(401, []byte(`{"message":"401 Unauthorized"}`))
	f.Add(404, []byte(`{"message":null,"error":null}`))
	f.Add(500, []byte(`[1,2,3]`))
	f.Add(429, []byte{0xff, 0xfe, '{'})
	f.Add(200, []byte(`{"message":"599 x"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		const secret = "fuzz-secret-token"
		e := parseError(status, http.Header{"X-Clover-Request-Id": {string(body)}}, body, secret)
		if e == nil {
			t.Fatal("nil *Error")
		}
		if (status < 200 || status > 299) && e.Status != status {
			t.Fatalf("Status = %d, want %d", e.Status, status)
		}
		if e.Status < 100 || e.Status > 599 {
			t.Fatalf("Status %d out of range", e.Status)
		}
		if e.Message == "" {
			t.Fatal("empty Message")
		}
		s := e.Error()
		if strings.Contains(e.Message, secret) || strings.ContainsAny(s, "\n\r") {
			t.Fatalf("unsafe Error(): %q", s)
		}
		if len(e.Message) > maxMessage {
			t.Fatalf("Message too long: %d", len(e.Message))
		}
	})
}
