package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge/webhook"
)

// delivery is one webhook POST a receiver got.
type delivery struct {
	ID, TS, Sig string
	Body        []byte
	Type        string
	ObjectID    string
	OK          bool // the receiver answered 2xx
}

// receiver is the CRM's webhook endpoint: it records every POST and fails
// those fail(n) picks (n counts from 1).
type receiver struct {
	t    testing.TB
	srv  *httptest.Server
	mu   sync.Mutex
	got  []delivery
	fail func(n int) bool
	n    int
}

func newReceiver(t testing.TB, fail func(n int) bool) *receiver {
	rc := &receiver{t: t, fail: fail}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct {
			Type     string `json:"type"`
			ObjectID string `json:"object_id"`
		}
		_ = json.Unmarshal(body, &ev)
		rc.mu.Lock()
		rc.n++
		ok := rc.fail == nil || !rc.fail(rc.n)
		rc.got = append(rc.got, delivery{ID: r.Header.Get(webhook.HeaderID), TS: r.Header.Get(webhook.HeaderTimestamp),
			Sig: r.Header.Get(webhook.HeaderSignature), Body: body, Type: ev.Type, ObjectID: ev.ObjectID, OK: ok})
		rc.mu.Unlock()
		if !ok {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// delivered returns the first successful delivery of an event type for
// object id ("" = any object), or false.
func (rc *receiver) delivered(typ, objectID string) (delivery, bool) {
	for _, d := range rc.deliveries() {
		if d.OK && d.Type == typ && (objectID == "" || d.ObjectID == objectID) {
			return d, true
		}
	}
	return delivery{}, false
}

// waitDelivered polls until an event type was delivered for objectID.
func (rc *receiver) waitDelivered(typ, objectID string) delivery {
	rc.t.Helper()
	var d delivery
	eventually(rc.t, 30*time.Second, typ+" delivered for "+objectID, func() bool {
		var ok bool
		d, ok = rc.delivered(typ, objectID)
		return ok
	})
	return d
}

// eventually polls cond every 20 ms until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// fastWebhooks makes delivery retries quick for tests.
func fastWebhooks(c *Config) {
	c.Events.WebhookRetryBase = 20 * time.Millisecond
	c.Events.WebhookRetryCap = 200 * time.Millisecond
	c.Events.JobPollInterval = 20 * time.Millisecond
	c.Events.DriftInterval = 0
}

// endpoint registers a webhook endpoint for the receiver and returns its
// id and secret.
func (e *sbx) endpoint(rc *receiver, events ...string) (string, string) {
	e.t.Helper()
	if len(events) == 0 {
		events = []string{"*"}
	}
	out := e.must(201, "POST", "/v1/webhook-endpoints", map[string]any{"url": rc.srv.URL + "/hooks", "events": events})
	return out["id"].(string), out["secret"].(string)
}

// eventTypes lists the types of the merchant's events, oldest first.
func (e *sbx) eventTypes(objectID string) []string {
	e.t.Helper()
	var out []string
	cursor := ""
	for {
		path := "/v1/events?limit=100"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		page := e.must(200, "GET", path, nil)
		for _, raw := range page["data"].([]any) {
			ev := raw.(map[string]any)
			if objectID == "" || ev["object_id"] == objectID {
				out = append(out, ev["type"].(string))
			}
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
}
