package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// WriteJSON writes v as an application/json response with status. A value
// that cannot be marshalled is a bug: the client gets a 500 problem instead.
func WriteJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// List is the envelope of every list response (DESIGN.md §5). NextCursor is
// empty when HasMore is false.
type List[T any] struct {
	Data       []T    `json:"data"`
	HasMore    bool   `json:"has_more"`
	NextCursor string `json:"next_cursor"`
}

// NewList returns a list envelope whose Data is never null in JSON.
func NewList[T any](data []T, nextCursor string) List[T] {
	if data == nil {
		data = []T{}
	}
	return List[T]{Data: data, HasMore: nextCursor != "", NextCursor: nextCursor}
}
