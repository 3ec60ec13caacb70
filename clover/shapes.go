package clover

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Clover answers the same thing in more than one shape (CLOVER.md §13):
// lists as an envelope or a bare array, currencies in either case, times
// as milliseconds or ISO-8601 strings. The client accepts every shape seen
// and hands paybridge one.

// UnmarshalJSON accepts the documented envelope {"object":"list","data":[…]}
// and the bare array that recorded client mocks show for GET /v1/charges
// and /v1/refunds and that the recurring API answers (CLOVER.md §13.8, §9).
func (l *List[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var data []T
		if err := json.Unmarshal(b, &data); err != nil {
			return err
		}
		*l = List[T]{Object: "list", Data: data}
		return nil
	}
	var env struct {
		Object  string `json:"object"`
		URL     string `json:"url"`
		Data    []T    `json:"data"`
		HasMore bool   `json:"has_more"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return err
	}
	*l = List[T]{Object: env.Object, URL: env.URL, Data: env.Data, HasMore: env.HasMore}
	return nil
}

// Millis is a time in Unix milliseconds that Clover may send as a number
// or as an ISO-8601 string: the docs call Hosted Checkout's times Unix time,
// a third party saw "2025-07-04T23:57:25.541+0000" (CLOVER.md §13.5). It
// encodes as a number; zero means absent.
type Millis int64

// millisLayouts are the string forms seen: Clover's recurring and hosted
// checkout format, RFC 3339, and the older recurring "date@time" form.
var millisLayouts = []string{
	"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano, "2006-01-02@15:04:05.000-0700",
}

// UnmarshalJSON accepts a number of milliseconds, a string of digits, an
// ISO-8601 string, or null.
func (m *Millis) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*m = 0
		return nil
	}
	if len(b) == 0 || b[0] != '"' {
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return fmt.Errorf("clover: time %s is neither milliseconds nor a string", b)
		}
		*m = Millis(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		*m = 0
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*m = Millis(n)
		return nil
	}
	t, ok := ParseTime(s)
	if !ok {
		return fmt.Errorf("clover: time %q is not ISO-8601", s)
	}
	*m = Millis(t.UnixMilli())
	return nil
}

// ParseTime reads a time string as Clover writes them
// ("2023-09-19T10:02:59.476+0000", RFC 3339, "2021-12-24@19:08:56.235+0000").
func ParseTime(s string) (time.Time, bool) {
	for _, l := range millisLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Time is m as a time.Time (the zero Time when m is zero).
func (m Millis) Time() time.Time {
	if m == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(m)).UTC()
}

// normalizer is a wire type that tidies itself after decoding.
type normalizer interface{ normalize() }

// normalize hands v's fields over in one form (get calls it on every
// decoded answer).
func normalize(v any) {
	if n, ok := v.(normalizer); ok {
		n.normalize()
	}
}

// lowerCurrency lower-cases a currency code: Clover's examples use "usd"
// for charges and orders but answer "USD" for customers, returns and v3
// orders (CLOVER.md §0, §13.6); paybridge's Money is lower case.
func lowerCurrency(c *string) { *c = strings.ToLower(*c) }

func (l *List[T]) normalize() {
	for i := range l.Data {
		normalize(&l.Data[i])
	}
}

func (c *Charge) normalize()      { lowerCurrency(&c.Currency) }
func (r *Refund) normalize()      { lowerCurrency(&r.Currency) }
func (c *Customer) normalize()    { lowerCurrency(&c.Currency) }
func (r *OrderReturn) normalize() { lowerCurrency(&r.Currency) }
func (o *V3Order) normalize()     { lowerCurrency(&o.Currency) }

func (o *Order) normalize() {
	lowerCurrency(&o.Currency)
	for i := range o.Items {
		lowerCurrency(&o.Items[i].Currency)
	}
}
