package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/webhook"
)

// endpointJSON is an endpoint as the API shows it; Secret only in the
// answers that create or rotate it.
type endpointJSON struct {
	*paybridge.WebhookEndpoint
	Secret             string `json:"secret,omitempty"`
	OldSecretExpiresAt *int64 `json:"old_secret_expires_at,omitempty"`
}

type endpointInput struct {
	URL         *string                `json:"url"`
	Events      *[]paybridge.EventType `json:"events"`
	Description *string                `json:"description"`
	Disabled    *bool                  `json:"disabled"`
}

// apply validates in and writes it onto e.
func (v *Events) apply(ctx context.Context, in endpointInput, e *paybridge.WebhookEndpoint) error {
	if in.URL != nil {
		err := webhook.CheckURL(*in.URL, v.AllowPrivate)
		code := "invalid_url"
		if err == webhook.ErrForbiddenTarget {
			code = "url_not_allowed"
		}
		if err == nil && !v.AllowPrivate { // a well-formed URL: its port, then its addresses
			if err = webhook.CheckPort(*in.URL, v.Ports); err == nil {
				err = webhook.CheckHost(ctx, *in.URL, v.Resolver)
			}
			code = "url_not_allowed"
		}
		if err != nil {
			return paybridge.Errorf(paybridge.EINVALID, "url", "%s", err.Error()).WithCode(code)
		}
		e.URL = *in.URL
	}
	if in.Events != nil {
		if len(*in.Events) == 0 {
			return paybridge.Errorf(paybridge.EINVALID, "events", "events must list at least one type, or \"*\"").WithCode("invalid_events")
		}
		for _, t := range *in.Events {
			if t != "*" && !paybridge.KnownEventType(t) {
				return paybridge.Errorf(paybridge.EINVALID, "events", "unknown event type %q", string(t)).WithCode("invalid_events")
			}
		}
		e.Events = *in.Events
	}
	if in.Description != nil {
		if len(*in.Description) > 500 {
			return paybridge.Errorf(paybridge.EINVALID, "description", "description is at most 500 characters")
		}
		e.Description = *in.Description
	}
	if in.Disabled != nil {
		e.Disabled = *in.Disabled
		if !e.Disabled {
			e.FailingSince = nil
		}
	}
	return nil
}

func (v *Events) createEndpoint(w http.ResponseWriter, r *http.Request) {
	var in endpointInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	if in.URL == nil {
		WriteError(w, r, paybridge.Errorf(paybridge.EINVALID, "url", "url is required").WithCode("parameter_missing"))
		return
	}
	if in.Events == nil {
		in.Events = &[]paybridge.EventType{"*"}
	}
	e := &paybridge.WebhookEndpoint{ID: paybridge.NewID(paybridge.PrefixEndpoint), MerchantID: merchantOf(r)}
	if err := v.apply(r.Context(), in, e); err != nil {
		WriteError(w, r, err)
		return
	}
	secret := webhook.NewSecret()
	sealed, err := v.Sealer.Seal([]byte(secret), webhook.SecretAAD(e.ID))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	e.SealedSecret = sealed
	if err := v.Store.CreateWebhookEndpoint(r.Context(), e); err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusCreated, endpointJSON{WebhookEndpoint: e, Secret: secret})
}

func (v *Events) listEndpoints(w http.ResponseWriter, r *http.Request) {
	eps, err := v.Store.ListWebhookEndpoints(r.Context(), merchantOf(r))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	out := make([]endpointJSON, len(eps))
	for i, e := range eps {
		out[i] = endpointJSON{WebhookEndpoint: e}
	}
	WriteJSON(w, r, http.StatusOK, NewList(out, ""))
}

func (v *Events) getEndpoint(w http.ResponseWriter, r *http.Request) {
	e, err := v.Store.GetWebhookEndpoint(r.Context(), merchantOf(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, endpointJSON{WebhookEndpoint: e})
}

func (v *Events) updateEndpoint(w http.ResponseWriter, r *http.Request) {
	var in endpointInput
	if err := Decode(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	e, err := v.Store.GetWebhookEndpoint(r.Context(), merchantOf(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if err := v.apply(r.Context(), in, e); err != nil {
		WriteError(w, r, err)
		return
	}
	if err := v.Store.UpdateWebhookEndpoint(r.Context(), e); err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, endpointJSON{WebhookEndpoint: e})
}

func (v *Events) deleteEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := v.Store.DeleteWebhookEndpoint(r.Context(), merchantOf(r), r.PathValue("id")); err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, map[string]any{"id": r.PathValue("id"), "deleted": true})
}

type rotateInput struct {
	// OverlapSeconds is how long the old secret keeps signing (default
	// the server's overlap; 0 ends it at once).
	OverlapSeconds *int64 `json:"overlap_seconds"`
}

// rotateSecret makes a new secret; the old one keeps signing (both
// signatures in webhook-signature) until the overlap ends.
func (v *Events) rotateSecret(w http.ResponseWriter, r *http.Request) {
	var in rotateInput
	if err := DecodeOptional(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	overlap := v.SecretOverlap
	if in.OverlapSeconds != nil {
		if *in.OverlapSeconds < 0 || *in.OverlapSeconds > 7*24*3600 {
			WriteError(w, r, paybridge.Errorf(paybridge.EINVALID, "overlap_seconds", "overlap_seconds must be 0–604800"))
			return
		}
		overlap = secondsDuration(*in.OverlapSeconds)
	}
	e, err := v.Store.GetWebhookEndpoint(r.Context(), merchantOf(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	secret := webhook.NewSecret()
	sealed, err := v.Sealer.Seal([]byte(secret), webhook.SecretAAD(e.ID))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	expires := v.Now().Add(overlap).UTC()
	e.SealedOldSecret, e.SealedSecret, e.OldSecretExpiresAt = e.SealedSecret, sealed, &expires
	if err := v.Store.UpdateWebhookEndpoint(r.Context(), e); err != nil {
		WriteError(w, r, err)
		return
	}
	unix := expires.Unix()
	WriteJSON(w, r, http.StatusOK, endpointJSON{WebhookEndpoint: e, Secret: secret, OldSecretExpiresAt: &unix})
}

func secondsDuration(s int64) time.Duration { return time.Duration(s) * time.Second }
