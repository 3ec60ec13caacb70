package paybridge

import "strings"

// EventTypeInfo describes one event type for the catalogue a CRM developer
// reads (GET /v1/event-types, and the EventType enum in openapi.yaml,
// which a test holds to this list).
type EventTypeInfo struct {
	Type        EventType `json:"type"`
	ObjectType  string    `json:"object_type"` // what data holds
	Description string    `json:"description"`
}

// eventDescriptions says when each of EventTypes happens.
var eventDescriptions = map[EventType]string{
	EventInvoiceCreated:            "An invoice was created (it is open).",
	EventInvoicePaid:               "An invoice's amount due reached zero.",
	EventInvoicePartiallyPaid:      "A payment toward an invoice succeeded and some is still due (once per such payment).",
	EventInvoicePartiallyRefunded:  "Part of what an invoice's payments took was refunded (once per refund).",
	EventInvoiceRefunded:           "All an invoice's payments took was refunded.",
	EventInvoiceVoided:             "An invoice was voided; it can no longer be paid.",
	EventInvoiceReopened:           "An invoice became open again (a payment it counted on failed or was voided).",
	EventInvoiceCloverSynced:       "An invoice's Clover order was created (clover_order_id is set).",
	EventInvoiceCloverSyncFailed:   "An invoice's Clover order could not be created: Clover refused it or retries ran out (clover_sync.error says why).",
	EventPaymentSucceeded:          "A payment took money.",
	EventPaymentAuthorized:         "A payment made with capture false was authorized; capture or void it.",
	EventPaymentCaptured:           "An authorized payment was captured (fully or in part).",
	EventPaymentVoided:             "An authorized payment was voided; nothing was taken.",
	EventPaymentFailed:             "A payment failed definitely (a decline or a refused request); nothing was taken.",
	EventPaymentUnknown:            "Clover's answer to a payment was lost (timeout, network, 5xx); reconciliation retries it with the same idempotency key until the outcome is known.",
	EventPaymentRefunded:           "All of a payment was refunded.",
	EventPaymentPartiallyRefunded:  "Part of a payment was refunded (once per refund).",
	EventPaymentNeedsAttention:     "Reconciliation could not settle a payment's outcome within its attempts; a person should look at it in Clover.",
	EventRefundSucceeded:           "A refund returned money.",
	EventRefundFailed:              "A refund failed definitely; nothing was returned.",
	EventRefundUnknown:             "Clover's answer to a refund was lost; reconciliation retries it with the same idempotency key.",
	EventRefundNeedsAttention:      "Reconciliation could not settle a refund's outcome within its attempts; a person should look at it in Clover.",
	EventReturnSucceeded:           "An item-level return went through (its refund with it).",
	EventReturnFailed:              "An item-level return failed definitely.",
	EventMerchantReauthRequired:    "Clover no longer accepts the merchant's authorization (refresh failed, app uninstalled); writes stop until the merchant reconnects.",
	EventMerchantReactivated:       "A merchant that needed reauthorization reconnected; writes work again.",
	EventWebhookEndpointDisabled:   "A webhook endpoint failed for days and was disabled.",
	EventReconciliationDrift:       "Clover's records and paybridge's disagree in a way reconciliation will not fix by itself (data holds the kind).",
	EventTest:                      "Reserved for test deliveries; paybridge does not emit it yet.",
	EventCardSaved:                 "A customer's card was saved, with the customer's consent.",
	EventCardRemoved:               "A saved card was removed.",
	EventSubscriptionCreated:       "A subscription was created.",
	EventSubscriptionUpdated:       "A subscription changed (its amount, or its state as Clover reports it).",
	EventSubscriptionCanceled:      "A subscription was canceled.",
	EventSubscriptionPaymentFailed: "A subscription's charge failed (Clover deactivates it after 5).",
	EventSubscriptionDeactivated:   "Clover deactivated a subscription after repeated failed charges.",
	EventSubscriptionReactivated:   "A deactivated subscription was reactivated (e.g. after the card was updated).",
	EventInvoiceAutopayFailed:      "Autopay could not pay an invoice with the customer's saved card.",
	EventInvoiceReminderSent:       "A payment reminder for an invoice was emailed.",
}

// eventObjects names the object of the types not named after it.
var eventObjects = map[EventType]string{
	EventReconciliationDrift: "charge", // a Clover charge id
	EventTest:                "test",
}

// EventTypeInfos returns the catalogue of event types, in EventTypes' order.
func EventTypeInfos() []EventTypeInfo {
	out := make([]EventTypeInfo, len(EventTypes))
	for i, t := range EventTypes {
		obj, ok := eventObjects[t]
		if !ok {
			obj, _, _ = strings.Cut(string(t), ".")
		}
		out[i] = EventTypeInfo{Type: t, ObjectType: obj, Description: eventDescriptions[t]}
	}
	return out
}
