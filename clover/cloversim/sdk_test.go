package cloversim

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestSDKScriptServed(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	r := e.do("GET", "/sdk.js", nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/javascript; charset=utf-8" {
		t.Fatalf("sdk.js: status %d type %q", r.Status, r.Header.Get("Content-Type"))
	}
	if !strings.Contains(r.Header.Get("Cache-Control"), "max-age") || r.Header.Get("ETag") == "" {
		t.Errorf("sdk.js is not cacheable: %v", r.Header)
	}
	js := string(r.Body)
	for _, want := range []string{"createToken", "elements", "mount", "addEventListener", "clover-footer", "/sdk/field?", "postMessage", "e.origin !== ORIGIN"} {
		if !strings.Contains(js, want) {
			t.Errorf("sdk.js lacks %q", want)
		}
	}
	if r := e.do("GET", "/sdk.js", nil, "If-None-Match", r.Header.Get("ETag")); r.Status != 304 {
		t.Errorf("conditional GET: status %d", r.Status)
	}
	f := e.do("GET", "/sdk/field.js", nil)
	if f.Status != 200 || !strings.HasPrefix(f.Header.Get("Content-Type"), "application/javascript") {
		t.Errorf("field.js: status %d type %q", f.Status, f.Header.Get("Content-Type"))
	}
	if !strings.Contains(string(f.Body), "'/v1/tokens'") || !strings.Contains(string(f.Body), "e.origin === PARENT") {
		t.Error("field.js does not tokenize itself or check origins")
	}
	// 8 KiB for the card fields, and a little more for the wallet button.
	if n := len(r.Body) + len(f.Body); n >= 9*1024 {
		t.Errorf("SDK JavaScript is %d bytes, budget 9 KiB", n)
	}
}

// scriptTag finds every <script> tag, its attributes and its content.
var scriptTag = regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`)

func TestSDKFieldPageIsStrict(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t)
	q := url.Values{"type": {"CARD_NUMBER"}, "key": {e.pakms}, "group": {"abc123"}, "origin": {"https://shop.example"}, "merchantId": {e.mid}}
	r := e.do("GET", "/sdk/field?"+q.Encode(), nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("field: status %d %s", r.Status, r.Body)
	}
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	page := string(r.Body)
	tags := scriptTag.FindAllStringSubmatch(page, -1)
	if len(tags) == 0 {
		t.Fatal("field page loads no script")
	}
	for _, tag := range tags {
		if strings.TrimSpace(tag[2]) != "" {
			t.Errorf("inline script: %q", tag[0])
		}
		src := regexp.MustCompile(`src="([^"]+)"`).FindStringSubmatch(tag[1])
		if src == nil || !strings.HasPrefix(src[1], "/") || strings.HasPrefix(src[1], "//") {
			t.Errorf("script not from the Sim's own origin: %q", tag[0])
		}
	}
	if strings.Contains(page, "style=") || strings.Contains(page, "<style") || regexp.MustCompile(`\son\w+=`).MatchString(page) {
		t.Error("field page has inline style or event handlers")
	}
	if !strings.Contains(page, `autocomplete="cc-number"`) {
		t.Error("card number field lacks cc-number autocomplete")
	}
	for name, bad := range map[string]url.Values{
		"unknown type":  {"type": {"CARD_PIN"}, "key": {e.pakms}, "group": {"abc"}, "origin": {"https://shop.example"}},
		"unknown key":   {"type": {"CARD_CVV"}, "key": {"nope"}, "group": {"abc"}, "origin": {"https://shop.example"}},
		"no origin":     {"type": {"CARD_CVV"}, "key": {e.pakms}, "group": {"abc"}},
		"origin w/path": {"type": {"CARD_CVV"}, "key": {e.pakms}, "group": {"abc"}, "origin": {"https://shop.example/pay"}},
		"no group":      {"type": {"CARD_CVV"}, "key": {e.pakms}, "origin": {"https://shop.example"}},
	} {
		if r := e.do("GET", "/sdk/field?"+bad.Encode(), nil); r.Status != 400 {
			t.Errorf("%s: status %d", name, r.Status)
		}
	}
}

// TestSDKJavaScriptParses syntax-checks the embedded scripts with Node when
// it is installed (browser tests come with the pay page).
func TestSDKJavaScriptParses(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: JavaScript syntax not checked")
	}
	for _, f := range []string{"sdk.js", "field.js"} {
		out, err := exec.Command(node, "--check", filepath.Join("assets", f)).CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
	if _, err := os.Stat(filepath.Join("assets", "field.css")); err != nil {
		t.Error(err)
	}
}
