package clover

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// Error is an answer from Clover that is not a success: any non-2xx status,
// or a 2xx body carrying a top-level "message" (Clover's own SDK treats those
// as errors too). Its text never holds tokens, secrets, keys or bodies: the
// message Clover sent is scrubbed of the call's credentials and anything that
// looks like a card number before it is stored here.
type Error struct {
	Status      int    // HTTP status (or the one named in a 2xx body's message)
	Type        string // error.type, e.g. card_error, invalid_request_error; may be ""
	Code        string // error.code, e.g. card_declined, token_already_used
	Message     string // error.message, else the top-level message; scrubbed
	DeclineCode string // error.decline_code on declines
	ChargeID    string // error.charge: the failed charge's id
	RequestID   string // X-Clover-Request-Id response header
	Param       string // error.param

	// unknown marks an answer that leaves the write's outcome unknown (5xx
	// after retries, or a 429 after an earlier attempt may have committed).
	unknown bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "clover: %d", e.Status)
	switch {
	case e.Type != "" && e.Code != "":
		b.WriteString(" " + e.Type + "/" + e.Code)
	case e.Type != "":
		b.WriteString(" " + e.Type)
	case e.Code != "":
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	return b.String()
}

// LogValue logs an Error as structured fields (all already scrubbed).
func (e *Error) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("status", e.Status),
		slog.String("type", e.Type),
		slog.String("code", e.Code),
		slog.String("decline_code", e.DeclineCode),
		slog.String("request_id", e.RequestID),
	)
}

// IsDecline reports whether err is a card decline: a 402, or a card_error.
func IsDecline(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusPaymentRequired || e.Type == "card_error")
}

// IsUnauthorized reports whether Clover refused the access token (401). The
// token is dead (re-authentication elsewhere, uninstall, lost permissions):
// the caller starts the reauthorization flow; the client never retries it.
func IsUnauthorized(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusUnauthorized
}

// IsUnknownOutcome reports whether a write may or may not have happened at
// Clover: a network error or timeout after the request could have been sent,
// a 5xx after all retries, or the context ending mid-request or while waiting
// to retry such an attempt. The caller must reconcile (repeat the same call
// with the same idempotency key until the answer is definite), never start a
// new attempt. It is false for any definite 4xx answer and for failures
// before anything was sent.
func IsUnknownOutcome(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.unknown || e.Status >= 500
	}
	var t *TransportError
	return errors.As(err, &t) && t.Sent
}

// TransportError is a call that got no HTTP answer: a network failure, a
// timeout, or the context ending. Sent says whether the request may have
// reached Clover (a connection was obtained for it, or an earlier attempt of
// the same call may have been committed); when false, nothing happened.
type TransportError struct {
	Method string
	Path   string // path template, e.g. /v1/charges/{id}
	Sent   bool
	Err    error
}

func (e *TransportError) Error() string {
	state := "not sent"
	if e.Sent {
		state = "outcome unknown"
	}
	return fmt.Sprintf("clover: %s %s: %s: %v", e.Method, e.Path, state, e.Err)
}

// Unwrap exposes the cause (context.Canceled, a net.Error, ...).
func (e *TransportError) Unwrap() error { return e.Err }

// Timeout reports whether the call ended by a timeout or deadline.
func (e *TransportError) Timeout() bool {
	var ne interface{ Timeout() bool }
	return errors.Is(e.Err, context.DeadlineExceeded) || (errors.As(e.Err, &ne) && ne.Timeout())
}

// maxMessage bounds the stored message so a hostile body cannot bloat logs.
const maxMessage = 300

// parseError turns an HTTP answer into an *Error. It never fails or panics:
// a body that is not Clover's envelope yields an Error with the status and
// the status text. secrets are scrubbed from the message.
func parseError(status int, h http.Header, body []byte, secrets ...string) *Error {
	e := &Error{Status: status}
	if h != nil {
		e.RequestID = clean(h.Get("X-Clover-Request-Id"), 100)
	}
	var env struct {
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
		Details json.RawMessage `json:"details"` // platform v3: {"details","message"}
	}
	if json.Unmarshal(bytes.TrimSpace(body), &env) == nil {
		var top string
		_ = json.Unmarshal(env.Message, &top)
		var d ErrorDetail
		if json.Unmarshal(env.Error, &d) != nil {
			// Some bodies carry "error" as a bare string.
			var s string
			if json.Unmarshal(env.Error, &s) == nil {
				d.Message = s
			}
		}
		e.Type, e.Code, e.DeclineCode = clean(d.Type, 64), clean(d.Code, 64), clean(d.DeclineCode, 64)
		e.ChargeID, e.Param = clean(d.Charge, 64), clean(d.Param, 64)
		e.Message = d.Message
		if e.Message == "" {
			_ = json.Unmarshal(env.Details, &e.Message)
		}
		if e.Message == "" {
			e.Message = top
		}
		if status >= 200 && status < 300 {
			// A success status with an error envelope: trust the status the
			// message names ("400 Bad Request"), if it names one.
			if n, err := strconv.Atoi(strings.SplitN(strings.TrimSpace(top), " ", 2)[0]); err == nil && n >= 400 && n <= 599 {
				e.Status = n
			}
		}
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("%d %s", status, http.StatusText(status))
	}
	e.Message = clean(scrub(e.Message, secrets...), maxMessage)
	return e
}

// hasTopLevelMessage reports whether a 2xx body is really an error envelope.
func hasTopLevelMessage(body []byte) bool {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return false
	}
	var probe struct {
		Message json.RawMessage `json:"message"`
	}
	if json.Unmarshal(body, &probe) != nil {
		return false
	}
	return len(probe.Message) > 0 && string(probe.Message) != "null"
}

// scrub removes the given secrets and any run of 13–19 digits (a possible
// card number) from s.
func scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	var b strings.Builder
	run := 0
	flush := func(digits string) {
		if len(digits) >= 13 && len(digits) <= 19 {
			b.WriteString("[CARD]")
		} else {
			b.WriteString(digits)
		}
	}
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run == 0 {
				start = i
			}
			run++
			continue
		}
		if run > 0 {
			flush(s[start:i])
			run = 0
		}
		b.WriteByte(s[i])
	}
	if run > 0 {
		flush(s[start:])
	}
	return b.String()
}

// clean bounds s to n bytes and drops control characters, so a header or
// message cannot forge log lines.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}
