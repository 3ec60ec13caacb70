package cloversim

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/paybridge/paybridge/clover"
)

// jsonType is the Content-Type of every JSON answer, as recorded from
// Clover's sandbox (CLOVER.md §13.10).
const jsonType = "application/json; charset=utf-8"

// apiError is a Clover error answer: status plus the `error` object.
type apiError struct {
	Status int
	Detail clover.ErrorDetail
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Detail.Message) }

func errf(status int, typ, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Detail: clover.ErrorDetail{Type: typ, Code: code, Message: fmt.Sprintf(format, args...)}}
}

// envelope renders Clover's error body: {"message":"<status> <reason>","error":{…}}.
func envelope(status int, d *clover.ErrorDetail) []byte {
	b, _ := json.Marshal(clover.ErrorBody{Message: fmt.Sprintf("%d %s", status, http.StatusText(status)), Error: d})
	return b
}

// v3Error renders a platform v3 error as recorded (CLOVER.md §13.6):
// {"details":"Customer not found","message":"Not Found"}.
func v3Error(e *apiError) []byte {
	b, _ := json.Marshal(clover.V3ErrorBody{Details: e.Detail.Message, Message: http.StatusText(e.Status)})
	return b
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	writeAPIError(w, &apiError{Status: status, Detail: clover.ErrorDetail{Type: typ, Code: code, Message: msg}})
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", jsonType)
	w.WriteHeader(e.Status)
	_, _ = w.Write(envelope(e.Status, &e.Detail))
}

// writeUnauthorized is Clover's bare 401: {"message":"401 Unauthorized"}.
func writeUnauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", jsonType)
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(`{"message":"401 Unauthorized"}`))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", jsonType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
