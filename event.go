package paybridge

import (
	"context"
	"encoding/json"
	"time"
)

// EventType names what happened. Receivers switch on it; the object
// snapshot carries the details.
type EventType string

// Event types. The store derives the state-change ones inside the
// transaction that made the change, so no caller can forget one.
const (
	EventInvoiceCreated           EventType = "invoice.created"
	EventInvoicePaid              EventType = "invoice.paid"
	EventInvoicePartiallyPaid     EventType = "invoice.partially_paid"
	EventInvoicePartiallyRefunded EventType = "invoice.partially_refunded"
	EventInvoiceRefunded          EventType = "invoice.refunded"
	EventInvoiceVoided            EventType = "invoice.voided"
	EventInvoiceReopened          EventType = "invoice.reopened"
	// The invoice's Clover order was created (clover_order_id is set), or
	// its sync failed for good (clover_sync.error says why).
	EventInvoiceCloverSynced      EventType = "invoice.clover_synced"
	EventInvoiceCloverSyncFailed  EventType = "invoice.clover_sync_failed"
	EventPaymentSucceeded         EventType = "payment.succeeded"
	EventPaymentAuthorized        EventType = "payment.authorized"
	EventPaymentCaptured          EventType = "payment.captured"
	EventPaymentVoided            EventType = "payment.voided"
	EventPaymentFailed            EventType = "payment.failed"
	EventPaymentUnknown           EventType = "payment.unknown"
	EventPaymentRefunded          EventType = "payment.refunded"
	EventPaymentPartiallyRefunded EventType = "payment.partially_refunded"
	EventPaymentNeedsAttention    EventType = "payment.needs_attention"
	EventRefundSucceeded          EventType = "refund.succeeded"
	EventRefundFailed             EventType = "refund.failed"
	EventRefundUnknown            EventType = "refund.unknown"
	EventRefundNeedsAttention     EventType = "refund.needs_attention"
	EventReturnSucceeded          EventType = "return.succeeded"
	EventReturnFailed             EventType = "return.failed"
	EventMerchantReauthRequired   EventType = "merchant.reauthorization_required"
	EventMerchantReactivated      EventType = "merchant.reactivated"
	EventWebhookEndpointDisabled  EventType = "webhook_endpoint.disabled"
	EventReconciliationDrift      EventType = "reconciliation.drift"
	EventTest                     EventType = "test.ping"

	// Card on file, subscriptions and collection (issue 7).
	EventCardSaved                 EventType = "card.saved"
	EventCardRemoved               EventType = "card.removed"
	EventSubscriptionCreated       EventType = "subscription.created"
	EventSubscriptionUpdated       EventType = "subscription.updated"
	EventSubscriptionCanceled      EventType = "subscription.canceled"
	EventSubscriptionPaymentFailed EventType = "subscription.payment_failed"
	EventSubscriptionDeactivated   EventType = "subscription.deactivated"
	EventSubscriptionReactivated   EventType = "subscription.reactivated"
	EventInvoiceAutopayFailed      EventType = "invoice.autopay_failed"
	EventInvoiceReminderSent       EventType = "invoice.reminder_sent"
)

// EventTypes lists every type an endpoint may subscribe to (besides "*").
var EventTypes = []EventType{
	EventInvoiceCreated, EventInvoicePaid, EventInvoicePartiallyPaid, EventInvoicePartiallyRefunded,
	EventInvoiceRefunded, EventInvoiceVoided, EventInvoiceReopened,
	EventInvoiceCloverSynced, EventInvoiceCloverSyncFailed,
	EventPaymentSucceeded, EventPaymentAuthorized, EventPaymentCaptured, EventPaymentVoided,
	EventPaymentFailed, EventPaymentUnknown, EventPaymentRefunded, EventPaymentPartiallyRefunded,
	EventPaymentNeedsAttention, EventRefundSucceeded, EventRefundFailed, EventRefundUnknown,
	EventRefundNeedsAttention, EventReturnSucceeded, EventReturnFailed,
	EventMerchantReauthRequired, EventMerchantReactivated, EventWebhookEndpointDisabled,
	EventReconciliationDrift, EventTest,
	EventCardSaved, EventCardRemoved, EventSubscriptionCreated, EventSubscriptionUpdated,
	EventSubscriptionCanceled, EventSubscriptionPaymentFailed, EventSubscriptionDeactivated,
	EventSubscriptionReactivated, EventInvoiceAutopayFailed, EventInvoiceReminderSent,
}

// KnownEventType reports whether t is one of EventTypes.
func KnownEventType(t EventType) bool {
	for _, k := range EventTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Event is one thing that happened to a merchant's object. It is written
// in the same transaction as the change it reports, with the object as the
// API shows it and the object's version, so a receiver that gets events out
// of order (retries make that normal) keeps the one with the highest
// version.
type Event struct {
	ID            string          `json:"id"` // evt_…
	MerchantID    string          `json:"-"`
	Type          EventType       `json:"type"`
	ObjectType    string          `json:"object_type"` // invoice | payment | refund | return | merchant | …
	ObjectID      string          `json:"object_id"`
	ObjectVersion int64           `json:"object_version"`
	Data          json.RawMessage `json:"data"` // the object's API JSON at the time
	CreatedAt     time.Time       `json:"created_at"`
}

// EventFilter selects events in a list (oldest first by default).
type EventFilter struct {
	Type    EventType // "" = any
	Cursor  string
	Limit   int
	Order   Order     // "" = the list's default
	Created TimeRange // zero = any time
}

// WebhookEndpoint is a URL of the CRM's that receives a merchant's events,
// signed per Standard Webhooks with its secret.
type WebhookEndpoint struct {
	ID          string      `json:"id"` // we_…
	MerchantID  string      `json:"-"`
	URL         string      `json:"url"`
	Events      []EventType `json:"events"` // ["*"] = all
	Description string      `json:"description,omitempty"`
	Disabled    bool        `json:"disabled"`
	// FailingSince is when deliveries started failing without a success
	// since; an endpoint failing for DisableAfter is disabled.
	FailingSince *time.Time `json:"failing_since,omitempty"`
	// SealedSecret and SealedOldSecret are the signing secrets, sealed
	// (package seal). The old one still signs until OldSecretExpiresAt, so
	// a receiver can roll its configuration during the overlap.
	SealedSecret       []byte     `json:"-"`
	SealedOldSecret    []byte     `json:"-"`
	OldSecretExpiresAt *time.Time `json:"-"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// Wants reports whether the endpoint subscribes to t.
func (e *WebhookEndpoint) Wants(t EventType) bool {
	for _, w := range e.Events {
		if w == "*" || w == t {
			return true
		}
	}
	return false
}

// CloverNotice is one item of a Clover platform webhook (an object that
// changed), kept until a job has synced it.
type CloverNotice struct {
	CloverMerchantID string
	ObjectID         string // "P:ABC…", "O:…", "A:…"
	Type             string // CREATE | UPDATE | DELETE
	TS               int64  // Unix ms, Clover's
}

// EventStore keeps events, webhook endpoints and Clover's inbound
// notices. Implemented by package store.
type EventStore interface {
	// GetEvent returns one of the merchant's events.
	GetEvent(ctx context.Context, merchantID, id string) (*Event, error)
	// ListEvents returns a page of the merchant's events, oldest first, and
	// the next cursor ("" when none). A cursor of the last page is stable:
	// polling with it returns only newer events (how listen streams).
	ListEvents(ctx context.Context, merchantID string, f EventFilter) ([]*Event, string, error)
	// RecordEvent writes an event that reports no state change of its own
	// (drift found, an outcome still unknown after the horizon).
	RecordEvent(ctx context.Context, ev *Event) error

	CreateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error
	GetWebhookEndpoint(ctx context.Context, merchantID, id string) (*WebhookEndpoint, error)
	ListWebhookEndpoints(ctx context.Context, merchantID string) ([]*WebhookEndpoint, error)
	// UpdateWebhookEndpoint writes URL, Events, Description, Disabled and
	// the secrets.
	UpdateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error
	DeleteWebhookEndpoint(ctx context.Context, merchantID, id string) error
	// EndpointDelivered records a delivery's outcome: success clears
	// FailingSince; failure sets it if unset and, when it is older than
	// disableAfter, disables the endpoint and writes a
	// webhook_endpoint.disabled event in the same transaction. It reports
	// whether the endpoint was disabled now.
	EndpointDelivered(ctx context.Context, merchantID, id string, ok bool, now time.Time, disableAfter time.Duration) (bool, error)
}
