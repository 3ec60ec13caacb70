package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paybridge/paybridge"
)

func TestWriteErrorMapsEveryKind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind   string
		status int
	}{
		{paybridge.EINVALID, 400}, {paybridge.EUNAUTHORIZED, 401}, {paybridge.EDECLINED, 402},
		{paybridge.EFORBIDDEN, 403}, {paybridge.ENOTFOUND, 404}, {paybridge.ECONFLICT, 409},
		{paybridge.EUNPROCESSABLE, 422}, {paybridge.ERATELIMIT, 429}, {paybridge.EUNAVAILABLE, 503},
		{paybridge.EINTERNAL, 500},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			err := fmt.Errorf("wrapped: %w", &paybridge.Error{Kind: tc.kind, Code: "some_code", Param: "amount", Message: "safe words"})
			w := httptest.NewRecorder()
			WriteError(w, httptest.NewRequest("GET", "/", nil), err)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			if ct := w.Header().Get("Content-Type"); ct != ProblemContentType {
				t.Errorf("content type %q", ct)
			}
			var p map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"type": ProblemTypeBase + "some_code", "status": float64(tc.status), "detail": "safe words",
				"code": "some_code", "param": "amount", "request_id": ""}
			for k, v := range want {
				if p[k] != v {
					t.Errorf("%s = %v, want %v", k, p[k], v)
				}
			}
			if p["title"] == "" || p["title"] == nil {
				t.Error("no title")
			}
		})
	}
}

func TestWriteErrorHidesUnknownErrors(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		errors.New("pq: password authentication failed for user secret"),
		&paybridge.Error{Kind: "bogus", Message: "leak"},
	} {
		w := httptest.NewRecorder()
		WriteError(w, httptest.NewRequest("GET", "/", nil), err)
		if w.Code != 500 {
			t.Errorf("status %d", w.Code)
		}
		body := w.Body.String()
		if strings.Contains(body, "secret") || strings.Contains(body, "leak") {
			t.Errorf("body leaks the error: %s", body)
		}
		if !strings.Contains(body, `"code":"internal"`) {
			t.Errorf("body %s lacks code internal", body)
		}
	}
}

func TestWriteErrorWithExtensions(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	err := &paybridge.Error{Kind: paybridge.EDECLINED, Code: "card_declined", Message: "The card was declined."}
	WriteErrorWith(w, httptest.NewRequest("POST", "/", nil), err, map[string]any{"payment_id": "pay_1", "status": 200, "code": "x"})
	var p map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if w.Code != 402 || p["payment_id"] != "pay_1" || p["code"] != "card_declined" || p["status"] != float64(402) {
		t.Errorf("got %d %v", w.Code, p)
	}
	if _, ok := p["param"]; ok {
		t.Error("empty param present")
	}
}
