package cloversim

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
)

// sdkAssets are the iframe SDK's files. sdk.js runs in the merchant's page;
// field.js and field.css run in the per-field iframes on the Sim's origin,
// which collect the card data, tokenize it at /v1/tokens and post only the
// token back to the page (postMessage, origins checked both ways).
// elements().create('PAYMENT_REQUEST_BUTTON', …) is accepted, as Clover's
// SDK lists it (CLOVER.md §10, §13.12): its button mounts and says that
// cloversim has no wallet, and card fields work beside it.
//
//go:embed assets/sdk.js assets/field.js assets/field.css
var sdkAssets embed.FS

// sdkField describes one iframe field type.
type sdkField struct {
	Label, Placeholder, Autocomplete, InputMode string
}

var sdkFields = map[string]sdkField{
	"CARD_NUMBER":         {"Card number", "1234 1234 1234 1234", "cc-number", "numeric"},
	"CARD_DATE":           {"Expiration date", "MM/YY", "cc-exp", "numeric"},
	"CARD_CVV":            {"CVV", "CVV", "cc-csc", "numeric"},
	"CARD_POSTAL_CODE":    {"Postal code", "ZIP", "postal-code", "text"},
	"CARD_NAME":           {"Name on card", "Name on card", "cc-name", "text"},
	"CARD_STREET_ADDRESS": {"Street address", "Street address", "address-line1", "text"},
}

// sdkFieldPage has no inline script or style, so the strict CSP below holds.
var sdkFieldPage = template.Must(template.New("field").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Label}}</title>
<link rel="stylesheet" href="/sdk/field.css"><script src="/sdk/field.js" defer></script></head>
<body><input id="f" aria-label="{{.Label}}" placeholder="{{.Placeholder}}" autocomplete="{{.Autocomplete}}" inputmode="{{.InputMode}}"></body></html>`))

// sdkFieldCSP allows only the Sim's own script, style and /v1/tokens.
const sdkFieldCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'"

var sdkGroupRe = regexp.MustCompile(`^[a-z0-9]{1,40}$`)

// registerSDK serves /sdk.js and the field iframes.
func (s *Sim) registerSDK() {
	s.mux.HandleFunc("GET /sdk.js", s.sdkAsset("assets/sdk.js", "application/javascript; charset=utf-8"))
	s.mux.HandleFunc("GET /sdk/field.js", s.sdkAsset("assets/field.js", "application/javascript; charset=utf-8"))
	s.mux.HandleFunc("GET /sdk/field.css", s.sdkAsset("assets/field.css", "text/css; charset=utf-8"))
	s.mux.HandleFunc("GET /sdk/field", s.sdkField)
}

// sdkAsset serves an embedded file, cacheable, with an ETag.
func (s *Sim) sdkAsset(name, ctype string) http.HandlerFunc {
	b, err := sdkAssets.ReadFile(name)
	if err != nil {
		panic("cloversim: missing embedded " + name)
	}
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("ETag", etag)
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write(b)
	}
}

// sdkField serves one field iframe: type, a known public (PAKMS) key, the
// SDK instance's group and the embedding page's origin are required.
func (s *Sim) sdkField(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, ok := sdkFields[q.Get("type")]
	s.mu.Lock()
	_, known := s.pakms[q.Get("key")]
	s.mu.Unlock()
	origin, err := url.Parse(q.Get("origin"))
	bad := ""
	switch {
	case !ok:
		bad = "unknown field type"
	case !known:
		bad = "unknown public key"
	case !sdkGroupRe.MatchString(q.Get("group")):
		bad = "missing group"
	case err != nil || (origin.Scheme != "http" && origin.Scheme != "https") || origin.Host == "" || origin.Path != "":
		bad = "origin must be the embedding page's origin"
	}
	if bad != "" {
		http.Error(w, "cloversim sdk field: "+bad, http.StatusBadRequest)
		return
	}
	lang := "en"
	if l := q.Get("locale"); l == "fr-CA" {
		lang = "fr"
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", sdkFieldCSP)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	_ = sdkFieldPage.Execute(w, struct {
		sdkField
		Lang string
	}{f, lang})
}
