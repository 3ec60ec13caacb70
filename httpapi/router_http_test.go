package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paybridge/paybridge"
)

// send issues a raw request (these are the ones a spec-checking client
// refuses to send) and returns the response and its problem, if any.
func send(t *testing.T, method, url, ct, version, body string, tok string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if version != "" {
		req.Header.Set("Paybridge-Version", version)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p map[string]any
	_ = json.Unmarshal(b, &p)
	return resp, p
}

// TestMethodsMediaTypesAndVersions: a path served for other methods is a
// 405 naming them in Allow (not a 404), a body that is not JSON a 415, and
// every answer carries Paybridge-Version; an unknown version is a 400.
func TestMethodsMediaTypesAndVersions(t *testing.T) {
	t.Parallel()
	b := setup(t, customerRoutes)
	tok, _ := b.token(t, "mer_a")
	u := b.srv.URL

	resp, p := send(t, "DELETE", u+"/v1/customers/cus_1", "", "", "", tok)
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" || p["code"] != "method_not_allowed" {
		t.Errorf("DELETE a customer = %d Allow %q %v, want 405 Allow GET, HEAD", resp.StatusCode, resp.Header.Get("Allow"), p)
	}
	resp, _ = send(t, "PUT", u+"/v1/customers", "", "", "", tok)
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("PUT /v1/customers = %d Allow %q, want 405 Allow POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if resp, p = send(t, "GET", u+"/v1/nothing-here", "", "", "", tok); resp.StatusCode != 404 || p["code"] != "route_not_found" {
		t.Errorf("GET an unknown path = %d %v, want 404", resp.StatusCode, p)
	}
	resp, p = send(t, "POST", u+"/v1/customers", "application/x-www-form-urlencoded", "", "email=a@example.com", tok)
	if resp.StatusCode != 415 || p["code"] != "unsupported_media_type" || p["param"] != "Content-Type" {
		t.Errorf("a form body = %d %v, want 415 unsupported_media_type", resp.StatusCode, p)
	}
	if got := resp.Header.Get("Paybridge-Version"); got != paybridge.APIVersion {
		t.Errorf("a problem's Paybridge-Version = %q, want %s", got, paybridge.APIVersion)
	}
	resp, _ = send(t, "POST", u+"/v1/customers", "application/json", paybridge.APIVersion, `{"email":"a@example.com"}`, tok)
	if resp.StatusCode != 201 || resp.Header.Get("Paybridge-Version") != paybridge.APIVersion {
		t.Errorf("pinned current version = %d %q", resp.StatusCode, resp.Header.Get("Paybridge-Version"))
	}
	resp, p = send(t, "POST", u+"/v1/customers", "application/json", "2020-01-01", `{"email":"a@example.com"}`, tok)
	if resp.StatusCode != 400 || p["code"] != "unknown_api_version" || p["param"] != "Paybridge-Version" {
		t.Errorf("unknown version = %d %v, want 400 unknown_api_version", resp.StatusCode, p)
	}
}
