package onboarding

import (
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestCheckReturnURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url      string
		sandbox  bool
		accepted bool
	}{
		{"https://crm.example/return", false, true},
		{"https://crm.example:8443/r?tenant=7", false, true},
		{"http://crm.example/return", false, false},
		{"http://crm.example/return", true, false}, // http only on loopback, even in sandbox
		{"http://127.0.0.1:3000/return", true, true},
		{"http://localhost:3000/return", true, true},
		{"http://[::1]:3000/return", true, true},
		{"http://127.0.0.1:3000/return", false, false},
		{"javascript:alert(1)", true, false},
		{"data:text/html,hi", true, false},
		{"//crm.example/r", false, false},
		{"/relative", false, false},
		{"https://user:pw@crm.example/r", false, false},
		{"https://crm.example/r#x", false, false},
		{"https://crm.example/r#", false, false},
		{"https://crm.example/a b", false, false},
		{"https://crm.example\\@evil.example/", false, false},
		{"ftp://crm.example/r", false, false},
		{"https:crm.example", false, false},
		{"", false, false},
	} {
		s := &Service{AllowLoopbackHTTP: tc.sandbox}
		err := s.checkReturnURL(tc.url)
		if (err == nil) != tc.accepted {
			t.Errorf("checkReturnURL(%q, sandbox %t) = %v, want accepted %t", tc.url, tc.sandbox, err, tc.accepted)
		}
	}
}

// TestReturnURL: the hand-off goes to exactly the registered URL, with only
// code (and the CRM's state) set.
func TestReturnURL(t *testing.T) {
	t.Parallel()
	got, err := returnURL("https://crm.example/return?tenant=7&code=old", "abc", "s1")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	if u.Scheme != "https" || u.Host != "crm.example" || u.Path != "/return" {
		t.Fatalf("redirect = %q, not the registered URL", got)
	}
	want := url.Values{"tenant": {"7"}, "code": {"abc"}, "state": {"s1"}}
	if u.Query().Encode() != want.Encode() {
		t.Fatalf("query = %q, want %q", u.Query().Encode(), want.Encode())
	}
	got, _ = returnURL("https://crm.example/return", "abc", "")
	if got != "https://crm.example/return?code=abc" {
		t.Fatalf("redirect without CRM state = %q", got)
	}
}

func TestLang(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ query, accept, want string }{
		{"", "", "en"},
		{"", "fr-CA,fr;q=0.9", "fr"},
		{"", "de-DE,fr;q=0.5", "fr"},
		{"", "en-US,fr;q=0.5", "en"},
		{"?lang=en", "fr", "en"},
		{"?lang=fr", "en", "fr"},
		{"?lang=xx", "fr", "fr"},
	} {
		r := httptest.NewRequest("GET", "/connect/x"+tc.query, nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if got := lang(r); got != tc.want {
			t.Errorf("lang(%q, %q) = %s, want %s", tc.query, tc.accept, got, tc.want)
		}
	}
	for key := range messages["en"] {
		if messages["fr"][key] == "" {
			t.Errorf("French text missing for %q", key)
		}
	}
}
