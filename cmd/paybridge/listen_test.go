package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybridge/paybridge/webhook"
)

// syncBuffer is a bytes.Buffer safe for the listener's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// listen streams events that happen after it starts to the developer's
// URL, signed, printing a line per event.
func TestListenForwardsSignedEvents(t *testing.T) {
	t.Parallel()
	e := startSandbox(t, fastWebhooks)
	rc := newReceiver(t, nil)
	out := &syncBuffer{}
	l := &listener{APIURL: e.m.URL, APIKey: e.key, ForwardTo: rc.srv.URL, Out: out, Wait: 2 * time.Second,
		Events: map[string]bool{"invoice.paid": true, "payment.succeeded": true}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	eventually(t, 10*time.Second, "listen ready", func() bool { return strings.Contains(out.String(), "Ready!") })
	// listen starts at the newest event, and its first poll may land after
	// a payment made now: pay again every half second until one arrives.
	var d delivery
	var last time.Time
	var invoices []string
	eventually(t, 20*time.Second, "an event forwarded", func() bool {
		for _, id := range invoices {
			var ok bool
			if d, ok = rc.delivered("invoice.paid", id); ok {
				return true
			}
		}
		if time.Since(last) > 500*time.Millisecond {
			last = time.Now()
			inv := e.invoice(nil)
			invoices = append(invoices, inv["id"].(string))
			e.must(201, "POST", "/v1/invoices/"+inv["id"].(string)+"/payments", map[string]any{"source": e.token(visaOK)})
		}
		return false
	})
	if err := webhook.Verify(l.Secret, d.ID, d.TS, d.Sig, d.Body, time.Now(), time.Minute); err != nil {
		t.Fatalf("signature: %v", err)
	}
	eventually(t, 10*time.Second, "printed line", func() bool {
		return strings.Contains(out.String(), "--> invoice.paid ["+d.ID+"]")
	})
	for _, d := range rc.deliveries() {
		if d.Type != "invoice.paid" && d.Type != "payment.succeeded" {
			t.Fatalf("forwarded %s despite --events", d.Type)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	// A bad key stops listen with an error.
	bad := &listener{APIURL: e.m.URL, APIKey: "nope", ForwardTo: rc.srv.URL, Out: &syncBuffer{}}
	if err := bad.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("bad key: %v", err)
	}
}
