package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
)

// cardMessages are the update-card page's own strings; anything else
// (card field labels, errors) comes from the pay page's messages. en-CA
// falls back to en-US key by key; TestCardMessagesComplete checks fr-CA
// defines every key.
var cardMessages = map[string]map[string]string{
	"en-US": {
		"uc_title":       "Update your card",
		"uc_intro":       "Enter the card you want us to charge for your invoices and subscription from now on.",
		"uc_current":     "Card on file now:",
		"uc_save":        "Save card",
		"uc_saving":      "Saving…",
		"uc_consent":     "I authorize %s to save this card and charge it for my invoices and subscription payments, including automatic payments, until I remove it.",
		"uc_consent_req": "Please tick the box to allow us to save your card.",
		"uc_done_title":  "Card saved",
		"uc_done":        "Thank you! Your new card is on file:",
		"uc_done_next":   "Your open invoices and subscription will be charged to this card. You can close this page.",
		"uc_used_title":  "Link already used",
		"uc_used_text":   "A card was already saved with this link. Please ask the business for a new link if you need to change it again.",
		"uc_nf_title":    "Link not found",
		"uc_nf_text":     "This link is not valid or has expired. Please ask the business for a new link.",
		"uc_page_title":  "Update your card — %s",
		"save_card":      "Save this card for future payments",
	},
	"en-CA": {},
	"fr-CA": {
		"uc_title":       "Mettre à jour votre carte",
		"uc_intro":       "Entrez la carte que nous débiterons désormais pour vos factures et votre abonnement.",
		"uc_current":     "Carte enregistrée actuellement :",
		"uc_save":        "Enregistrer la carte",
		"uc_saving":      "Enregistrement…",
		"uc_consent":     "J'autorise %s à enregistrer cette carte et à la débiter pour mes factures et les paiements de mon abonnement, y compris les paiements automatiques, jusqu'à ce que je la retire.",
		"uc_consent_req": "Veuillez cocher la case pour nous permettre d'enregistrer votre carte.",
		"uc_done_title":  "Carte enregistrée",
		"uc_done":        "Merci! Votre nouvelle carte est enregistrée :",
		"uc_done_next":   "Vos factures impayées et votre abonnement seront débités sur cette carte. Vous pouvez fermer cette page.",
		"uc_used_title":  "Lien déjà utilisé",
		"uc_used_text":   "Une carte a déjà été enregistrée avec ce lien. Demandez un nouveau lien à l'entreprise pour la changer de nouveau.",
		"uc_nf_title":    "Lien introuvable",
		"uc_nf_text":     "Ce lien n'est pas valide ou a expiré. Veuillez demander un nouveau lien à l'entreprise.",
		"uc_page_title":  "Mettre à jour votre carte — %s",
		"save_card":      "Enregistrer cette carte pour mes prochains paiements",
	},
}

// cardMsg is a key of the update-card page in locale, falling back to
// en-US and then to the pay page's messages.
func cardMsg(locale, key string) string {
	if s, ok := cardMessages[locale][key]; ok {
		return s
	}
	if s, ok := cardMessages["en-US"][key]; ok {
		return s
	}
	return msg(locale, key)
}

// cardView is one render of the update-card page.
type cardView struct {
	Kind        string // form, done, notice
	Locale      string
	Title, Text string // notice: message keys
	Error       string // localized
	Merchant    string
	Token       string
	Current     string // "Visa •••• 4242"
	Consent     string // the exact consent text shown (and recorded)
	Attempt     string
	CSRF        string
	PAKMS       string
	CloverMID   string
	SDK         template.URL
	CSS, JS     assetRef
	Icon        template.URL
}

// T translates a key.
func (v *cardView) T(key string) string { return cardMsg(v.Locale, key) }

// Langs are the language switch links.
func (v *cardView) Langs() []langLink { return (&view{Locale: v.Locale}).Langs() }

// PageTitle is the document title.
func (v *cardView) PageTitle() string {
	if v.Merchant != "" {
		return fmt.Sprintf(v.T("uc_page_title"), v.Merchant)
	}
	if v.Title != "" {
		return v.T(v.Title)
	}
	return "paybridge"
}

// consentText is the wording shown next to the checkbox, in locale.
func consentText(locale, merchant string) string {
	return fmt.Sprintf(cardMsg(locale, "uc_consent"), merchant)
}

// renderCard writes the update-card page with the pay page's assets (its
// stylesheet, and pay.js, which mounts the same Clover iframe fields on a
// form#pay and submits the token once).
func (s *Server) renderCard(w http.ResponseWriter, status int, v *cardView) {
	s.fillCardAssets(v)
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "card_layout", v); err != nil {
		s.Logger.Error("render update-card page", "kind", v.Kind, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writePage(w, status, v.Locale, buf.Bytes())
}

// fillCardAssets sets the page's script and stylesheet references.
func (s *Server) fillCardAssets(v *cardView) {
	css, js := s.assets["pay.css"], s.assets["pay.js"]
	v.CSS = assetRef{css.src("pay.css"), css.integrity}
	v.JS = assetRef{js.src("pay.js"), js.integrity}
	v.SDK = template.URL(s.SDKURL)
	v.Icon = s.assets["favicon.svg"].src("favicon.svg")
}
