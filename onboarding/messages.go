package onboarding

import (
	"net/http"
	"strings"
)

// lang picks the page language: ?lang=fr|en, else the first of fr or en in
// Accept-Language, else English.
func lang(r *http.Request) string {
	switch l := r.URL.Query().Get("lang"); l {
	case "fr", "en":
		return l
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "fr"):
			return "fr"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "en"
}

// messages are the connect pages' texts by language and key.
var messages = map[string]map[string]string{
	"en": {
		"title":                 "Connect your Clover account",
		"intro":                 "Your business software uses paybridge to take card payments through your Clover account.",
		"scopes_heading":        "What you are authorizing",
		"scope_payments":        "Take card payments, refunds and returns on your behalf",
		"scope_orders":          "Create orders for the invoices you send",
		"scope_customers":       "Save customers and, with their consent, their cards",
		"scope_never":           "paybridge never sees card numbers: Clover's own fields collect them.",
		"status_heading":        "Status",
		"status_new":            "Not connected yet.",
		"status_active":         "Connected to a Clover merchant.",
		"status_reauth":         "The connected merchant must reconnect: Clover no longer accepts paybridge's access. Payments are paused until you reconnect.",
		"connect":               "Connect with Clover",
		"reconnect":             "Reconnect with Clover",
		"error_title":           "The connection could not be completed",
		"again":                 "Start again from your business software.",
		"state_invalid":         "This connection link is invalid or was already used, or it was opened in another browser.",
		"state_expired":         "This connection attempt expired.",
		"access_denied":         "Clover did not grant access.",
		"binding_refused":       "This integration is already connected to another Clover merchant. It cannot be connected to a second one; ask your paybridge operator to unlink it first.",
		"clover_error":          "Clover could not complete the connection. Please try again in a moment.",
		"integration_not_found": "This connection link does not exist.",
		"bad_request":           "This connection link is malformed.",
		"internal":              "Something went wrong on our side. Please try again.",
	},
	"fr": {
		"title":                 "Connectez votre compte Clover",
		"intro":                 "Votre logiciel de gestion utilise paybridge pour encaisser des paiements par carte avec votre compte Clover.",
		"scopes_heading":        "Ce que vous autorisez",
		"scope_payments":        "Encaisser des paiements par carte, des remboursements et des retours en votre nom",
		"scope_orders":          "Créer des commandes pour les factures que vous envoyez",
		"scope_customers":       "Enregistrer des clients et, avec leur consentement, leurs cartes",
		"scope_never":           "paybridge ne voit jamais les numéros de carte : ce sont les champs de Clover qui les recueillent.",
		"status_heading":        "État",
		"status_new":            "Pas encore connecté.",
		"status_active":         "Connecté à un marchand Clover.",
		"status_reauth":         "Le marchand connecté doit se reconnecter : Clover n’accepte plus l’accès de paybridge. Les paiements sont suspendus jusqu’à la reconnexion.",
		"connect":               "Se connecter avec Clover",
		"reconnect":             "Se reconnecter avec Clover",
		"error_title":           "La connexion n’a pas pu aboutir",
		"again":                 "Recommencez depuis votre logiciel de gestion.",
		"state_invalid":         "Ce lien de connexion est invalide ou a déjà servi, ou il a été ouvert dans un autre navigateur.",
		"state_expired":         "Cette tentative de connexion a expiré.",
		"access_denied":         "Clover n’a pas accordé l’accès.",
		"binding_refused":       "Cette intégration est déjà connectée à un autre marchand Clover. Elle ne peut pas être connectée à un second ; demandez d’abord à l’exploitant de paybridge de la délier.",
		"clover_error":          "Clover n’a pas pu terminer la connexion. Réessayez dans un instant.",
		"integration_not_found": "Ce lien de connexion n’existe pas.",
		"bad_request":           "Ce lien de connexion est mal formé.",
		"internal":              "Une erreur s’est produite de notre côté. Réessayez.",
	},
}

// msg returns the text of key in language l (English when missing).
func msg(l, key string) string {
	if s, ok := messages[l][key]; ok {
		return s
	}
	return messages["en"][key]
}
