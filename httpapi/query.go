package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/paybridge/paybridge"
)

// listQuery is what every list request shares (Stripe's list parameters):
// a cursor and a limit, order=asc|desc, and created[gt|gte|lt|lte].
type listQuery struct {
	Cursor  string
	Limit   int
	Order   paybridge.Order
	Created paybridge.TimeRange
}

// parseList reads a list request's common parameters: limit 1–100
// (default 20), order asc or desc (default: the list's own), and created
// bounds, each a Unix time in seconds or an RFC 3339 timestamp.
func parseList(r *http.Request) (listQuery, error) {
	q := r.URL.Query()
	lq := listQuery{Cursor: q.Get("cursor"), Limit: 20}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return lq, paybridge.Errorf(paybridge.EINVALID, "limit", "limit must be an integer between 1 and 100").WithCode("invalid_limit")
		}
		lq.Limit = n
	}
	switch o := paybridge.Order(q.Get("order")); o {
	case "", paybridge.OrderAsc, paybridge.OrderDesc:
		lq.Order = o
	default:
		return lq, paybridge.Errorf(paybridge.EINVALID, "order", "order must be asc or desc").WithCode("invalid_order")
	}
	for _, b := range []struct {
		key   string
		until bool          // an upper bound
		add   time.Duration // to make the bound inclusive-from / exclusive-until
	}{{"created[gte]", false, 0}, {"created[gt]", false, time.Microsecond},
		{"created[lt]", true, 0}, {"created[lte]", true, time.Microsecond}} {
		s := q.Get(b.key)
		if s == "" {
			continue
		}
		t, err := parseTime(s)
		if err != nil {
			return lq, paybridge.Errorf(paybridge.EINVALID, b.key,
				"%s must be a Unix time in seconds or an RFC 3339 timestamp", b.key).WithCode("invalid_timestamp")
		}
		t = t.Add(b.add)
		switch {
		case b.until && (lq.Created.Until.IsZero() || t.Before(lq.Created.Until)):
			lq.Created.Until = t
		case !b.until && t.After(lq.Created.From):
			lq.Created.From = t
		}
	}
	return lq, nil
}

// parseTime reads a Unix time in seconds (Stripe's form) or an RFC 3339
// timestamp (the form paybridge writes created_at in).
func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > 1<<40 {
			return time.Time{}, strconv.ErrRange
		}
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// queryNames maps each query parameter an operation declares in the spec
// to the schema of one of its values: plain names, deepObject names with
// their properties (created → created[gte], …), and arrays by their items
// (expand[] is repeated). A nil schema accepts any value.
type queryNames map[string]*openapi3.Schema

// checkQuery refuses a query parameter the operation does not declare, as
// Decode refuses an unknown body field (a misspelt filter must not return
// an unfiltered list), and a value its schema refuses (a status that does
// not exist, a customer_id that is not a cus_ id): 400 unknown_parameter
// or invalid_parameter, param the parameter.
func checkQuery(allowed queryNames, raw string) error {
	if raw == "" {
		return nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return paybridge.Errorf(paybridge.EINVALID, "", "the query string is malformed").WithCode("malformed_query")
	}
	var unknown []string
	for k, vs := range q {
		s, ok := allowed[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		for _, v := range vs {
			if err := checkQueryValue(k, v, s); err != nil {
				return err
			}
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	names := make([]string, 0, len(allowed))
	for k := range allowed {
		names = append(names, k)
	}
	sort.Strings(names)
	hint := "this endpoint takes no query parameters"
	if len(names) > 0 {
		hint = "this endpoint takes " + strings.Join(names, ", ")
	}
	return paybridge.Errorf(paybridge.EINVALID, truncateName(unknown[0]), "unknown query parameter %q: %s",
		truncateName(unknown[0]), hint).WithCode("unknown_parameter")
}

// checkQueryValue checks one value against its schema in the spec.
func checkQueryValue(name, v string, s *openapi3.Schema) error {
	if s == nil {
		return nil
	}
	var value any = v
	switch {
	case s.Type.Is(openapi3.TypeInteger):
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return invalidParameter(name, "%s must be an integer", name)
		}
		value = float64(n)
	case s.Type.Is(openapi3.TypeBoolean):
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalidParameter(name, "%s must be true or false", name)
		}
		value = b
	}
	err := s.VisitJSON(value)
	if err == nil {
		return nil
	}
	if len(s.Enum) > 0 {
		allowed := make([]string, len(s.Enum))
		for i, e := range s.Enum {
			allowed[i] = fmt.Sprint(e)
		}
		return invalidParameter(name, "%s must be one of %s", name, strings.Join(allowed, ", "))
	}
	reason := "it does not match the API's schema"
	var se *openapi3.SchemaError
	if errors.As(err, &se) && se.Reason != "" {
		reason = se.Reason
	}
	return invalidParameter(name, "%s is invalid: %s", name, reason)
}

func invalidParameter(name, format string, args ...any) error {
	return paybridge.Errorf(paybridge.EINVALID, name, format, args...).WithCode("invalid_parameter")
}
