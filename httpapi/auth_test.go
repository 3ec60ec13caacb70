package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/apikey"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	kr, err := apikey.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	good, _ := kr.Issue(apikey.Claims{MerchantID: "mer_a"}, time.Hour)
	short, _ := kr.Issue(apikey.Claims{MerchantID: "mer_a"}, time.Second)
	kr.Now = func() time.Time { return time.Now().Add(time.Minute) } // short has expired
	revokedErr := errors.New("db down")
	h := Authenticate(kr, func(_ context.Context, c *apikey.Claims) (bool, error) {
		if c.ID == "" {
			return false, revokedErr
		}
		return false, nil
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := ClaimsFrom(r.Context())
		if !ok {
			t.Error("no claims in context")
			return
		}
		w.Write([]byte(c.MerchantID))
	}))
	cases := []struct {
		name, header string
		status       int
		code         string
	}{
		{"valid", "Bearer " + good, 200, ""},
		{"lowercase scheme", "bearer " + good, 200, ""},
		{"missing", "", 401, "missing_api_key"},
		{"basic", "Basic dXNlcjpwYXNz", 401, "missing_api_key"},
		{"empty bearer", "Bearer ", 401, "missing_api_key"},
		{"garbage", "Bearer abc.def.ghi", 401, "invalid_api_key"},
		{"expired", "Bearer " + short, 401, "api_key_expired"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/v1/customers", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status == 200 {
				if w.Body.String() != "mer_a" {
					t.Errorf("body %q", w.Body)
				}
				return
			}
			if !strings.Contains(w.Body.String(), `"code":"`+tc.code+`"`) {
				t.Errorf("body %s lacks code %s", w.Body, tc.code)
			}
			if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), `Bearer realm="paybridge"`) {
				t.Errorf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
			}
			if strings.Contains(w.Body.String(), good) || strings.Contains(w.Body.String(), short) {
				t.Error("response echoes the token")
			}
		})
	}
}
