package cloversim

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// listCharges is GET /v1/charges: newest first, limit 1–100 (default 10),
// starting_after / ending_before cursors, created.gt|gte|lt|lte in ms or
// "yyyy-MM-dd HH:mm:ss" (UTC), and customer.
func (s *Sim) listCharges(r *http.Request, c *call) (int, any, *apiError) {
	q := r.URL.Query()
	limit, e := listLimit(q)
	if e != nil {
		return 0, nil, e
	}
	var bounds [4]int64 // gt, gte, lt, lte; 0 = unset
	for i, k := range []string{"created.gt", "created.gte", "created.lt", "created.lte"} {
		if v := q.Get(k); v != "" {
			ms, ok := parseCreated(v)
			if !ok {
				return 0, nil, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request",
					"Invalid value for "+k+".", k)}
			}
			bounds[i] = ms
		}
	}
	cust := q.Get("customer")
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*clover.Charge
	for i := len(c.M.ChargeOrder) - 1; i >= 0; i-- {
		ch := c.M.Charges[c.M.ChargeOrder[i]]
		if (cust != "" && ch.Customer != cust) ||
			(bounds[0] != 0 && ch.Created <= bounds[0]) || (bounds[1] != 0 && ch.Created < bounds[1]) ||
			(bounds[2] != 0 && ch.Created >= bounds[2]) || (bounds[3] != 0 && ch.Created > bounds[3]) {
			continue
		}
		cp := *ch
		all = append(all, &cp)
	}
	_, known := c.M.Charges[q.Get("starting_after")+q.Get("ending_before")]
	page, more, e := paginate(all, func(ch *clover.Charge) string { return ch.ID },
		q.Get("starting_after"), q.Get("ending_before"), limit, known)
	if e != nil {
		return 0, nil, e
	}
	return 200, &clover.List[*clover.Charge]{Object: "list", URL: "/v1/charges", Data: page, HasMore: more}, nil
}

// listLimit parses limit: 1–100, default 10.
func listLimit(q url.Values) (int, *apiError) {
	v := q.Get("limit")
	if v == "" {
		return 10, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request",
			"limit must be between 1 and 100.", "limit")}
	}
	return n, nil
}

// parseCreated reads a created bound: Unix ms or "yyyy-MM-dd HH:mm:ss" UTC.
func parseCreated(v string) (int64, bool) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms >= 0 {
		return ms, true
	}
	if t, err := time.Parse(time.DateTime, v); err == nil {
		return t.UnixMilli(), true
	}
	return 0, false
}

// paginate cuts a newest-first list at a cursor. A cursor must name an
// object of the merchant (known), else 400; both cursors at once is a 400.
func paginate[T any](all []T, id func(T) string, after, before string, limit int, known bool) ([]T, bool, *apiError) {
	if after != "" && before != "" {
		return nil, false, errf(400, "invalid_request_error", "invalid_request", "Use starting_after or ending_before, not both.")
	}
	cursor := after + before
	if cursor != "" && !known {
		return nil, false, errf(400, "invalid_request_error", "invalid_request", "No such object: %s", cursor)
	}
	at := -1
	for i, v := range all {
		if id(v) == cursor {
			at = i
			break
		}
	}
	switch {
	case after != "":
		if at < 0 { // filtered out: nothing is "after" it in this view
			return []T{}, false, nil
		}
		rest := all[at+1:]
		if len(rest) > limit {
			return rest[:limit], true, nil
		}
		return nonNil(rest), false, nil
	case before != "":
		if at < 0 {
			return []T{}, false, nil
		}
		head := all[:at]
		if len(head) > limit {
			return head[len(head)-limit:], true, nil
		}
		return nonNil(head), false, nil
	}
	if len(all) > limit {
		return all[:limit], true, nil
	}
	return nonNil(all), false, nil
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
