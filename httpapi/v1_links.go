package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// LinkService makes, emails and revokes payment links (package web).
type LinkService interface {
	CreateLink(ctx context.Context, c billing.Caller, invoiceID string, expiresIn time.Duration) (string, *paybridge.PaymentLink, error)
	SendLink(ctx context.Context, c billing.Caller, invoiceID, to, locale string) (url string, expiresAt time.Time, sentTo string, err error)
	RevokeLinks(ctx context.Context, c billing.Caller, invoiceID string) (int, error)
}

// PaySettingsService reads and changes a merchant's pay-page settings
// (package web).
type PaySettingsService interface {
	PaySettings(ctx context.Context, c billing.Caller) (mode string, secretSet bool, err error)
	SetPaySettings(ctx context.Context, c billing.Caller, mode, secret *string) (string, bool, error)
}

// V1Links serves the payment-link and pay-page settings endpoints of /v1.
type V1Links struct {
	Links LinkService
	// Settings serves /v1/pay-page-settings (not registered when nil).
	Settings PaySettingsService
}

// Routes registers:
//
//	POST /v1/invoices/{id}/payment-link          {expires_in?} → 201 {id, url, expires_at}
//	POST /v1/invoices/{id}/payment-link/revoke   → 200 {revoked}
//	POST /v1/invoices/{id}/send                  {to?, locale?} → 200 {url, expires_at, to}
//	GET  /v1/pay-page-settings                   → 200 {checkout_mode, hosted_checkout_secret_set}
//	POST /v1/pay-page-settings                   {checkout_mode?, hosted_checkout_secret?} → 200 (same)
func (v *V1Links) Routes(rt *Router) {
	rt.HandleFunc("POST /v1/invoices/{id}/payment-link", v.create)
	rt.HandleFunc("POST /v1/invoices/{id}/payment-link/revoke", v.revoke)
	rt.HandleFunc("POST /v1/invoices/{id}/send", v.send)
	if v.Settings != nil {
		rt.HandleFunc("GET /v1/pay-page-settings", v.getSettings)
		rt.HandleFunc("POST /v1/pay-page-settings", v.setSettings)
	}
}

type paySettingsJSON struct {
	CheckoutMode            string `json:"checkout_mode"`
	HostedCheckoutSecretSet bool   `json:"hosted_checkout_secret_set"`
}

func (v *V1Links) getSettings(w http.ResponseWriter, r *http.Request) {
	mode, set, err := v.Settings.PaySettings(r.Context(), caller(r))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, paySettingsJSON{mode, set})
}

func (v *V1Links) setSettings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CheckoutMode         *string `json:"checkout_mode"`
		HostedCheckoutSecret *string `json:"hosted_checkout_secret"`
	}
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	mode, set, err := v.Settings.SetPaySettings(r.Context(), caller(r), in.CheckoutMode, in.HostedCheckoutSecret)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, paySettingsJSON{mode, set})
}

type linkJSON struct {
	ID        string    `json:"id"`
	InvoiceID string    `json:"invoice_id"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (v *V1Links) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ExpiresIn *int64 `json:"expires_in"`
	}
	if err := DecodeOptional(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	var ttl time.Duration
	if in.ExpiresIn != nil {
		if *in.ExpiresIn < 60 || *in.ExpiresIn > 90*24*3600 { // also keeps the Duration below from overflowing
			WriteError(w, r, paybridge.Errorf(paybridge.EINVALID, "expires_in", "expires_in must be between 60 and %d seconds", 90*24*3600).WithCode("invalid_expires_in"))
			return
		}
		ttl = time.Duration(*in.ExpiresIn) * time.Second
	}
	u, l, err := v.Links.CreateLink(r.Context(), caller(r), r.PathValue("id"), ttl)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusCreated, linkJSON{ID: l.ID, InvoiceID: l.InvoiceID, URL: u, ExpiresAt: l.ExpiresAt})
}

func (v *V1Links) revoke(w http.ResponseWriter, r *http.Request) {
	if err := DecodeOptional(w, r, &struct{}{}); err != nil {
		WriteError(w, r, err)
		return
	}
	n, err := v.Links.RevokeLinks(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, map[string]int{"revoked": n})
}

func (v *V1Links) send(w http.ResponseWriter, r *http.Request) {
	var in struct {
		To     string `json:"to"`
		Locale string `json:"locale"`
	}
	if err := DecodeOptional(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	u, exp, to, err := v.Links.SendLink(r.Context(), caller(r), r.PathValue("id"), in.To, in.Locale)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, map[string]any{"url": u, "expires_at": exp, "to": to})
}
