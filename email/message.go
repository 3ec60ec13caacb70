package email

import (
	"context"
	"time"
)

// Message is one email. Text is required (every client can show it); HTML
// is its optional alternative. Neither may carry secrets or card numbers:
// the pay page only ever knows a brand and the last four digits.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// Kind labels the message for the outbox and logs ("payment_link",
	// "receipt").
	Kind string
	// SentAt is stamped by the sender.
	SentAt time.Time
}

// Sender delivers a Message. Send returns once the message was accepted
// (by the SMTP server, or the outbox); a failure is the caller's to log or
// retry: a receipt that cannot be mailed never undoes a payment.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SyncFirst sends through Sender once Sync has returned. paybridge makes
// the writes a mail refers to (the link it carries) durable there
// (store.DB.Sync): nothing leaves before what it points to is on disk.
type SyncFirst struct {
	Sender
	Sync func(ctx context.Context) error
}

// Send syncs, then sends; a failed sync sends nothing.
func (s SyncFirst) Send(ctx context.Context, m Message) error {
	if err := s.Sync(ctx); err != nil {
		return err
	}
	return s.Sender.Send(ctx, m)
}

// SenderFunc adapts a function to Sender (tests, fan-out).
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }
