package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/paybridge/paybridge"
)

// ProblemContentType is the media type of every error response (RFC 9457).
const ProblemContentType = "application/problem+json"

// ProblemTypeBase prefixes an error code to form the problem's type URI, so
// a CRM can link each code to its documentation.
const ProblemTypeBase = "https://paybridge.dev/errors/"

// Problem is the body of an error response: RFC 9457's members plus the
// code a CRM branches on, the offending parameter and the request id that
// ties the response to paybridge's logs.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	Param     string `json:"param,omitempty"`
	RequestID string `json:"request_id"`
}

// kindStatus is the one mapping of paybridge error kinds to HTTP statuses.
var kindStatus = map[string]int{
	paybridge.EINVALID:       http.StatusBadRequest,
	paybridge.EUNAUTHORIZED:  http.StatusUnauthorized,
	paybridge.EDECLINED:      http.StatusPaymentRequired,
	paybridge.EFORBIDDEN:     http.StatusForbidden,
	paybridge.ENOTFOUND:      http.StatusNotFound,
	paybridge.EMETHOD:        http.StatusMethodNotAllowed,
	paybridge.EMEDIATYPE:     http.StatusUnsupportedMediaType,
	paybridge.ECONFLICT:      http.StatusConflict,
	paybridge.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	paybridge.ERATELIMIT:     http.StatusTooManyRequests,
	paybridge.EUNAVAILABLE:   http.StatusServiceUnavailable,
	paybridge.EINTERNAL:      http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for err: its paybridge kind's status, or
// 500 for anything that is not a *paybridge.Error (or has an unknown kind).
func StatusOf(err error) int {
	if s, ok := kindStatus[paybridge.ErrorKind(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ProblemFor builds the problem body for err. Errors that are not a
// *paybridge.Error become a generic 500 whose detail reveals nothing.
func ProblemFor(err error, requestID string) Problem {
	status := StatusOf(err)
	p := Problem{Status: status, Title: http.StatusText(status), RequestID: requestID}
	var pe *paybridge.Error
	if errors.As(err, &pe) && kindStatus[pe.Kind] != 0 {
		// An *Error's message and param are written to be safe to show.
		p.Code = paybridge.ErrorCode(pe)
		p.Detail = pe.Message
		p.Param = pe.Param
	} else {
		p.Code = paybridge.EINTERNAL
		p.Detail = paybridge.ErrorMessage(nil)
	}
	if p.Detail == "" {
		p.Detail = p.Title
	}
	p.Type = ProblemTypeBase + p.Code
	return p
}

// WriteError writes err as an application/problem+json response. It is the
// only way handlers report failures, so every error has the same shape.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	WriteErrorWith(w, r, err, nil)
}

// WriteErrorWith is WriteError with extension members added to the problem
// (RFC 9457 §3.2), e.g. the payment_id of a declined payment. Extensions
// never override the standard members.
func WriteErrorWith(w http.ResponseWriter, r *http.Request, err error, ext map[string]any) {
	reqID := RequestIDFrom(r.Context())
	p := ProblemFor(err, reqID)
	if p.Status == http.StatusInternalServerError {
		// The real error goes to the log, never to the client.
		loggerFrom(r.Context()).ErrorContext(r.Context(), "request failed",
			slog.String("request_id", reqID), slog.String("error", errString(err)))
	}
	body, mErr := problemJSON(p, ext)
	if mErr != nil {
		body, _ = problemJSON(p, nil)
	}
	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	if p.Status == http.StatusTooManyRequests && h.Get("Retry-After") == "" {
		h.Set("Retry-After", "2") // Clover's budget frees within about a second
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// problemJSON marshals p with ext merged in, standard members winning.
func problemJSON(p Problem, ext map[string]any) ([]byte, error) {
	if len(ext) == 0 {
		return json.Marshal(p)
	}
	m := make(map[string]any, len(ext)+7)
	for k, v := range ext {
		m[k] = v
	}
	m["type"], m["title"], m["status"], m["detail"] = p.Type, p.Title, p.Status, p.Detail
	m["code"], m["request_id"] = p.Code, p.RequestID
	if p.Param != "" {
		m["param"] = p.Param
	} else {
		delete(m, "param")
	}
	return json.Marshal(m)
}
