package web

import (
	"net/url"

	"github.com/paybridge/paybridge/billing"
)

// The pay page's "save this card" checkbox: offered on the iframe form of
// an invoice with a customer; ticked, the payment saves its card with the
// consent text shown next to the box (recorded by billing with who, when
// and the client address).

// OfferSave reports whether the form offers to save the card.
func (v *view) OfferSave() bool {
	return v.Kind == "form" && v.Inv != nil && v.Inv.CustomerID != ""
}

// SaveCardLabel is the checkbox's label.
func (v *view) SaveCardLabel() string { return cardMsg(v.Locale, "save_card") }

// SaveConsent is the consent wording shown under the checkbox; the same
// text is recorded with the card.
func (v *view) SaveConsent() string { return consentText(v.Locale, v.Merchant) }

// saveCard sets save_card and the consent text on a pay-page payment when
// the box was ticked. The text is the server's own rendering for the
// page's language, never the posted one, so what is recorded is what was
// shown.
func saveCard(in *billing.PayInput, f url.Values, locale string, lc *linkCtx) {
	if f.Get("save_card") != "yes" || lc.inv.CustomerID == "" {
		return
	}
	in.SaveCard, in.ConsentText = true, consentText(locale, lc.mer.Name)
}
