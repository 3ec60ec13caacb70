package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
)

// Page sizes of every list (DESIGN.md §5).
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// micros encodes t as Unix microseconds; the zero time is 0 so "unset"
// survives a round trip.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros decodes micros.
func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// microsPtr encodes an optional time.
func microsPtr(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return micros(*t)
}

// fromMicrosPtr decodes microsPtr.
func fromMicrosPtr(v int64) *time.Time {
	if v == 0 {
		return nil
	}
	t := fromMicros(v)
	return &t
}

// trunc drops what the database cannot keep, so the caller's struct equals
// what a later read returns.
func trunc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}

// encodeMeta stores metadata as JSON text; nil and empty are both "{}".
func encodeMeta(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // a map[string]string always marshals
	return string(b)
}

// decodeMeta reverses encodeMeta; an empty map comes back as nil.
func decodeMeta(s string) (map[string]string, error) {
	if s == "" || s == "{}" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("decode metadata: %w", err)
	}
	return m, nil
}

// encodeCursor makes the opaque cursor of the row with sequence seq.
func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(seq, 10)))
}

// decodeCursor reverses encodeCursor; "" is the start.
func decodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		var seq int64
		if seq, err = strconv.ParseInt(string(b), 10, 64); err == nil && seq > 0 {
			return seq, nil
		}
	}
	return 0, paybridge.Errorf(paybridge.EINVALID, "cursor", "cursor is not valid").WithCode("invalid_cursor")
}

// pageLimit applies the default and the cap.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// appendScan is a scanner whose rows have more columns than the wrapped
// scan function reads: tail receives the rest.
type appendScan struct {
	s    scanner
	tail []any
}

func (a appendScan) Scan(dest ...any) error { return a.s.Scan(append(dest, a.tail...)...) }

// prefixCols qualifies each column of a comma-separated list ("a, b" with
// "t." is "t.a, t.b").
func prefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// skip returns destinations that discard as many columns as cols lists.
func skip(cols string) []any {
	dest := make([]any, strings.Count(cols, ",")+1)
	for i := range dest {
		dest[i] = new(any)
	}
	return dest
}
