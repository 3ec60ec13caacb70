package paybridge

import (
	"errors"
	"fmt"
)

// Error kinds. Each maps to exactly one HTTP status in httpapi; everything
// else about an error travels in Code and Message.
const (
	EINVALID       = "invalid"       // 400: the request is wrong; nothing changed
	EUNAUTHORIZED  = "unauthorized"  // 401: no or bad credentials
	EDECLINED      = "declined"      // 402: the card was declined
	EFORBIDDEN     = "forbidden"     // 403: credentials valid, action refused
	ENOTFOUND      = "not_found"     // 404: absent, or another merchant's
	EMETHOD        = "method"        // 405: the path exists, the method does not
	EMEDIATYPE     = "media_type"    // 415: the body is not in a type the endpoint takes
	ECONFLICT      = "conflict"      // 409: state forbids it now (in flight, already paid)
	EUNPROCESSABLE = "unprocessable" // 422: idempotency key reused with another body
	ERATELIMIT     = "rate_limited"  // 429
	EUNAVAILABLE   = "unavailable"   // 503: upstream (Clover) unavailable; retry later
	EINTERNAL      = "internal"      // 500: a bug or an unexpected failure
)

// Error is paybridge's one application error. Kind picks the HTTP status;
// Code is the machine-readable code a CRM branches on (e.g. "card_declined",
// "raw_card_data"; defaults to Kind); Param names the offending field.
// Message is safe to show: it never holds secrets or card data.
type Error struct {
	Kind    string
	Code    string
	Param   string
	Message string
}

func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("paybridge: %s (%s): %s", e.code(), e.Param, e.Message)
	}
	return fmt.Sprintf("paybridge: %s: %s", e.code(), e.Message)
}

func (e *Error) code() string {
	if e.Code != "" {
		return e.Code
	}
	return e.Kind
}

// Errorf returns an *Error of kind with param and a formatted message.
func Errorf(kind, param, format string, args ...any) *Error {
	return &Error{Kind: kind, Param: param, Message: fmt.Sprintf(format, args...)}
}

// WithCode returns a copy of e carrying code.
func (e *Error) WithCode(code string) *Error {
	c := *e
	c.Code = code
	return &c
}

// ErrorKind returns the kind of the first *Error in err's chain, or EINTERNAL.
func ErrorKind(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return EINTERNAL
}

// ErrorCode returns the code of the first *Error in err's chain ("" for nil,
// "internal" for an error that is not an *Error).
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.code()
	}
	return EINTERNAL
}

// ErrorMessage returns the safe message of err: an *Error's Message, or a
// generic text for anything else, so internal details never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred."
}
