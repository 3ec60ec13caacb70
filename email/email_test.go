package email_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/email"
	"github.com/paybridge/paybridge/email/emailtest"
)

func TestSMTPDelivers(t *testing.T) {
	t.Parallel()
	srv := emailtest.Start(t)
	s := &email.SMTP{Host: srv.Host, Port: srv.Port, From: "Sandbox Plumbing <billing@example.com>", TLS: "none"}
	err := s.Send(context.Background(), email.Message{To: "jordan@example.com", Subject: "Reçu INV-000001",
		Text: "Total: 10,00 $\nMerci", HTML: "<p>Total</p>", Kind: "receipt"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-srv.C:
		if m.From != "billing@example.com" || len(m.To) != 1 || m.To[0] != "jordan@example.com" {
			t.Fatalf("envelope %q → %q", m.From, m.To)
		}
		if m.Subject != "Reçu INV-000001" || !strings.Contains(m.Text, "10,00 $") || !strings.Contains(m.HTML, "<p>Total</p>") {
			t.Fatalf("subject %q text %q html %q", m.Subject, m.Text, m.HTML)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no mail arrived")
	}
}

func TestSMTPRefusesBadInput(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		s  email.SMTP
		to string
	}{
		"no host":      {email.SMTP{From: "a@example.com"}, "b@example.com"},
		"bad to":       {email.SMTP{Host: "127.0.0.1", From: "a@example.com", TLS: "none"}, "not an address"},
		"bad from":     {email.SMTP{Host: "127.0.0.1", From: "nope", TLS: "none"}, "b@example.com"},
		"bad tls mode": {email.SMTP{Host: "127.0.0.1", From: "a@example.com", TLS: "sometimes"}, "b@example.com"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := tc.s.Send(context.Background(), email.Message{To: tc.to, Subject: "x", Text: "x"}); err == nil {
				t.Fatal("Send succeeded")
			}
		})
	}
}

func TestSMTPServerDown(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	srv.Close() // nothing listens there now
	s := &email.SMTP{Host: "127.0.0.1", Port: port, From: "a@example.com", TLS: "none", Timeout: 5 * time.Second}
	if err := s.Send(context.Background(), email.Message{To: "b@example.com", Subject: "x", Text: "x"}); err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
}

func TestOutbox(t *testing.T) {
	t.Parallel()
	o := &email.Outbox{Max: 2}
	sub := o.Subscribe()
	for _, s := range []string{"one", "two <b>", "three"} {
		if err := o.Send(context.Background(), email.Message{To: "x@example.com", Subject: s, Text: "body " + s, Kind: "receipt"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := (<-sub).Subject; got != "one" {
		t.Fatalf("first subscribed message %q", got)
	}
	msgs := o.Messages()
	if len(msgs) != 2 || msgs[0].Subject != "two <b>" || msgs[1].Subject != "three" || msgs[1].SentAt.IsZero() {
		t.Fatalf("messages %+v: want the last two, stamped", msgs)
	}
	if err := o.Send(context.Background(), email.Message{To: "x@example.com", Subject: "four", Kind: "payment_link",
		Text: "Pay: http://127.0.0.1:8080/pay/abc?lang=fr-CA\n", HTML: "<html><head></head><body><a href=\"http://127.0.0.1:8080/pay/abc\">Pay</a></body></html>"}); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string, http.Header) {
		rec := httptest.NewRecorder()
		o.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String(), rec.Header()
	}
	// The list: newest first, subjects escaped, each mail's link clickable.
	code, body, h := get("/sandbox/outbox")
	four, three := strings.Index(body, "four"), strings.Index(body, "three")
	if code != 200 || four < 0 || three < 0 || four > three || strings.Contains(body, "two") {
		t.Fatalf("list page %d, want four before three and two gone: %s", code, body)
	}
	if !strings.Contains(body, `<a href="http://127.0.0.1:8080/pay/abc?lang=fr-CA">open its link</a>`) {
		t.Fatalf("list page without the mail's link: %s", body)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("CSP %q", csp)
	}
	// One message: the plain part with its link clickable, the HTML part
	// framed under its own sandboxing CSP.
	if _, body, _ := get("/sandbox/outbox?m=3"); !strings.Contains(body, "body three") {
		t.Fatalf("message page: %s", body)
	}
	_, body, _ = get("/sandbox/outbox?m=4")
	if !strings.Contains(body, `Pay: <a href="http://127.0.0.1:8080/pay/abc?lang=fr-CA">`) || !strings.Contains(body, `src="?m=4&amp;part=html"`) {
		t.Fatalf("message page: %s", body)
	}
	_, body, h = get("/sandbox/outbox?m=4&part=html")
	if !strings.Contains(body, `<head><base target="_top"></head>`) || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("HTML part %v: %s", h, body)
	}
	if code, _, _ := get("/sandbox/outbox?m=9"); code != 404 {
		t.Fatalf("unknown message: %d", code)
	}
}

// TestSyncFirst: the sync runs before the send, and a failed sync sends
// nothing.
func TestSyncFirst(t *testing.T) {
	t.Parallel()
	var log []string
	inner := email.SenderFunc(func(context.Context, email.Message) error { log = append(log, "send"); return nil })
	s := email.SyncFirst{Sender: inner, Sync: func(context.Context) error { log = append(log, "sync"); return nil }}
	if err := s.Send(context.Background(), email.Message{To: "a@example.com"}); err != nil || strings.Join(log, ",") != "sync,send" {
		t.Fatalf("err %v, order %v", err, log)
	}
	log = nil
	boom := errors.New("disk gone")
	s.Sync = func(context.Context) error { return boom }
	if err := s.Send(context.Background(), email.Message{}); !errors.Is(err, boom) || len(log) != 0 {
		t.Fatalf("err %v, %v happened; want the sync's error and no send", err, log)
	}
}
