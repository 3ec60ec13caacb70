package email

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP sends mail through an SMTP server with go-mail. Fill the fields and
// call Send; it dials once per message, which is plenty for links and
// receipts (a busy deployment puts a relay next to paybridge).
type SMTP struct {
	Host     string
	Port     int    // default 587
	Username string // empty: no authentication
	Password string
	From     string // "Shop <billing@example.com>"
	// TLS is "mandatory" (STARTTLS required, the default), "opportunistic",
	// "tls" (implicit TLS, e.g. port 465) or "none" (local relays and tests).
	TLS     string
	Timeout time.Duration // per message; default 15s
}

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if s.Host == "" {
		return errors.New("email: SMTP host is not configured")
	}
	if _, err := mail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("email: bad recipient address: %w", err)
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.From); err != nil {
		return fmt.Errorf("email: bad From address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("email: bad recipient address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("email: send %s via %s: %w", m.Kind, s.Host, err)
	}
	return nil
}

func (s *SMTP) client() (*gomail.Client, error) {
	port := s.Port
	if port == 0 {
		port = 587
	}
	opts := []gomail.Option{gomail.WithPort(port)}
	switch s.TLS {
	case "", "mandatory":
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSMandatory))
	case "opportunistic":
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSOpportunistic))
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("email: unknown TLS mode %q (mandatory, opportunistic, tls, none)", s.TLS)
	}
	// WithTLSPortPolicy/WithSSL pick a default port: pin the configured one.
	opts = append(opts, gomail.WithPort(port))
	if s.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(s.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	return c, nil
}
