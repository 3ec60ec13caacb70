package web

import (
	"bytes"
	"strings"
	"testing"
)

// TestCardMessagesComplete: every update-card key resolves in every
// locale, fr-CA defines all its own, and the consent names the merchant.
func TestCardMessagesComplete(t *testing.T) {
	t.Parallel()
	for key := range cardMessages["en-US"] {
		if _, ok := cardMessages["fr-CA"][key]; !ok {
			t.Errorf("fr-CA lacks %q", key)
		}
		for _, l := range Locales {
			if cardMsg(l, key) == key {
				t.Errorf("%s: %q unresolved", l, key)
			}
		}
	}
	for _, l := range Locales {
		if c := consentText(l, "Acme Plumbing"); !strings.Contains(c, "Acme Plumbing") || strings.Contains(c, "%") {
			t.Errorf("%s consent %q", l, c)
		}
	}
}

// TestCardPageRenders: the form carries what pay.js needs (form#pay and
// its data attributes), the consent box, and no inline script; the other
// states render without a form.
func TestCardPageRenders(t *testing.T) {
	t.Parallel()
	s := New(nil, nil)
	s.init()
	s.SDKURL = "https://checkout.example/sdk.js"
	for _, v := range []*cardView{
		{Kind: "form", Locale: "fr-CA", Merchant: "Acme", Token: "T", Consent: consentText("fr-CA", "Acme"), Attempt: "A", CSRF: "1.x", Current: "VISA •••• 4242"},
		{Kind: "done", Locale: "en-US", Merchant: "Acme", Current: "VISA •••• 4242"},
		{Kind: "notice", Locale: "en-US", Title: "uc_nf_title", Text: "uc_nf_text"},
	} {
		var buf bytes.Buffer
		s.fillCardAssets(v)
		if err := tmpl.ExecuteTemplate(&buf, "card_layout", v); err != nil {
			t.Fatal(err)
		}
		html := buf.String()
		form := strings.Contains(html, `<form id="pay"`)
		if form != (v.Kind == "form") || strings.Contains(html, "<script>") {
			t.Fatalf("%s page:\n%s", v.Kind, html)
		}
		if v.Kind == "form" {
			for _, want := range []string{`data-key=`, `data-merchant=`, `name="token"`, `name="consent" value="yes"`, `required`,
				"J&#39;autorise Acme", `integrity="sha384-`, "Enregistrer la carte"} {
				if !strings.Contains(html, want) {
					t.Errorf("form lacks %q", want)
				}
			}
		}
	}
}
