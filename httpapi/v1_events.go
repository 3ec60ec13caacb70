package httpapi

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/seal"
	"github.com/paybridge/paybridge/webhook"
)

// EventStore is what the events API reads and writes (package store).
type EventStore interface {
	paybridge.EventStore
	// ListEventsAfter returns events after cursor and the cursor of the
	// last one (the same cursor when none), for long polling.
	ListEventsAfter(ctx context.Context, merchantID, cursor string, limit int) ([]*paybridge.Event, string, error)
}

// Redeliverer queues an event again (package jobs).
type Redeliverer interface {
	Redeliver(ctx context.Context, merchantID, eventID, endpointID string) (int, error)
}

// Events serves /v1/events and /v1/webhook-endpoints.
type Events struct {
	Store       EventStore
	Sealer      *seal.Sealer
	Redeliverer Redeliverer
	// AllowPrivate lets endpoint URLs target loopback and private
	// addresses: sandbox mode only (SSRF).
	AllowPrivate bool
	// Ports are the ports endpoint URLs may name outside sandbox mode
	// (nil: webhook.DefaultPorts, 443 and 80).
	Ports []int
	// Resolver resolves endpoint host names when they are created or
	// changed (outside sandbox mode), so a name that points at a private
	// address is refused then; default net.DefaultResolver.
	Resolver webhook.Resolver
	// SecretOverlap is how long a rotated-out secret keeps signing
	// (default 24 h).
	SecretOverlap time.Duration
	// PollEvery is how often a long poll looks for new events (default
	// 200 ms).
	PollEvery time.Duration
	Now       func() time.Time
	Logger    *slog.Logger
}

// Routes registers the events API on rt (all authenticated).
func (v *Events) Routes(rt *Router) {
	if v.Now == nil {
		v.Now = time.Now
	}
	if v.Resolver == nil {
		v.Resolver = net.DefaultResolver
	}
	if v.SecretOverlap == 0 {
		v.SecretOverlap = 24 * time.Hour
	}
	if v.PollEvery == 0 {
		v.PollEvery = 200 * time.Millisecond
	}
	rt.HandleFunc("GET /v1/events", v.listEvents)
	rt.HandleFunc("GET /v1/events/feed", v.feed)
	rt.HandleFunc("GET /v1/event-types", listEventTypes)
	rt.HandleFunc("GET /v1/events/{id}", v.getEvent)
	rt.HandleFunc("POST /v1/events/{id}/redeliver", v.redeliver)
	rt.HandleFunc("POST /v1/webhook-endpoints", v.createEndpoint)
	rt.HandleFunc("GET /v1/webhook-endpoints", v.listEndpoints)
	rt.HandleFunc("GET /v1/webhook-endpoints/{id}", v.getEndpoint)
	rt.HandleFunc("POST /v1/webhook-endpoints/{id}", v.updateEndpoint)
	rt.HandleFunc("DELETE /v1/webhook-endpoints/{id}", v.deleteEndpoint)
	rt.HandleFunc("POST /v1/webhook-endpoints/{id}/rotate-secret", v.rotateSecret)
}

func merchantOf(r *http.Request) string { return caller(r).MerchantID }

// listEventTypes answers the catalogue of event types (the same for every
// merchant), so a CRM can discover what it may subscribe to.
func listEventTypes(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, r, http.StatusOK, NewList(paybridge.EventTypeInfos(), ""))
}

func (v *Events) listEvents(w http.ResponseWriter, r *http.Request) {
	lq, err := parseList(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	t := paybridge.EventType(r.URL.Query().Get("type"))
	if t != "" && !paybridge.KnownEventType(t) {
		WriteError(w, r, paybridge.Errorf(paybridge.EINVALID, "type", "unknown event type %q", string(t)).WithCode("invalid_event_type"))
		return
	}
	list, next, err := v.Store.ListEvents(r.Context(), merchantOf(r), paybridge.EventFilter{Type: t,
		Cursor: lq.Cursor, Limit: lq.Limit, Order: lq.Order, Created: lq.Created})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, NewList(list, next))
}

// feedJSON is a long-poll answer: events after the cursor, and the cursor
// to ask with next (unchanged when none came).
type feedJSON struct {
	Data   []*paybridge.Event `json:"data"`
	Cursor string             `json:"cursor"`
}

// feed long-polls: it answers as soon as events after `cursor` exist, or
// after wait seconds (default 25, at most 60) with none. Without a cursor
// it starts at the newest event, like `stripe listen`, unless
// from=beginning.
func (v *Events) feed(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	wait := 25 * time.Second
	if s := q.Get("wait"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 60 {
			WriteError(w, r, paybridge.Errorf(paybridge.EINVALID, "wait", "wait must be 0–60 seconds").WithCode("invalid_wait"))
			return
		}
		wait = time.Duration(n) * time.Second
	}
	ctx, mid, cursor := r.Context(), merchantOf(r), q.Get("cursor")
	if cursor == "" && q.Get("from") != "beginning" {
		// Skip to the end: page until the last cursor.
		for {
			evs, next, err := v.Store.ListEventsAfter(ctx, mid, cursor, 100)
			if err != nil {
				WriteError(w, r, err)
				return
			}
			cursor = next
			if len(evs) < 100 {
				break
			}
		}
		WriteJSON(w, r, http.StatusOK, feedJSON{Data: []*paybridge.Event{}, Cursor: cursor})
		return
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(v.PollEvery)
	defer tick.Stop()
	for {
		evs, next, err := v.Store.ListEventsAfter(ctx, mid, cursor, 100)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		if len(evs) > 0 {
			WriteJSON(w, r, http.StatusOK, feedJSON{Data: evs, Cursor: next})
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			WriteJSON(w, r, http.StatusOK, feedJSON{Data: []*paybridge.Event{}, Cursor: next})
			return
		case <-tick.C:
		}
	}
}

func (v *Events) getEvent(w http.ResponseWriter, r *http.Request) {
	ev, err := v.Store.GetEvent(r.Context(), merchantOf(r), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusOK, ev)
}

type redeliverInput struct {
	EndpointID string `json:"endpoint_id"`
}

func (v *Events) redeliver(w http.ResponseWriter, r *http.Request) {
	var in redeliverInput
	if err := DecodeOptional(w, r, &in); err != nil {
		WriteError(w, r, err)
		return
	}
	if in.EndpointID != "" { // an unknown endpoint is a 404, not 0 deliveries queued
		if _, err := v.Store.GetWebhookEndpoint(r.Context(), merchantOf(r), in.EndpointID); err != nil {
			WriteError(w, r, err)
			return
		}
	}
	n, err := v.Redeliverer.Redeliver(r.Context(), merchantOf(r), r.PathValue("id"), in.EndpointID)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, r, http.StatusAccepted, map[string]any{"event_id": r.PathValue("id"), "deliveries_queued": n})
}
