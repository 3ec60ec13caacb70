package cloversim

import (
	"net/http"
	"net/netip"
	"strings"
)

// forwardedFor enforces the x-forwarded-for header Clover requires on
// charge create and order pay since fall 2023: "Requests that don't
// include the header will be unsuccessful" (CLOVER.md §13.1). The value is
// the customer's IP address; the first entry of a comma-separated list
// must parse as one. The docs give no error body: the sim answers 400
// invalid_request_error/parameter_missing (or parameter_invalid) naming
// the header, as it does for other missing parameters. Capture does not
// need it (§13.1 corrects §1.1). Options.ForwardedForOptional relaxes the
// check (paybridge sandbox --forwarded-for=optional).
func (s *Sim) forwardedFor(r *http.Request) *apiError {
	if s.opts.ForwardedForOptional || !needsForwardedFor(r.Pattern) {
		return nil
	}
	v := strings.TrimSpace(r.Header.Get("X-Forwarded-For"))
	if v == "" {
		return &apiError{Status: http.StatusBadRequest, Detail: detail("invalid_request_error", "parameter_missing",
			"The x-forwarded-for header is required: send the customer's IP address.", "x-forwarded-for")}
	}
	first, _, _ := strings.Cut(v, ",")
	if _, err := netip.ParseAddr(strings.TrimSpace(first)); err != nil {
		return &apiError{Status: http.StatusBadRequest, Detail: detail("invalid_request_error", "parameter_invalid_string",
			"The x-forwarded-for header must be the customer's IP address.", "x-forwarded-for")}
	}
	return nil
}

// needsForwardedFor reports whether a route pattern is one of the two
// Clover requires x-forwarded-for on.
func needsForwardedFor(pattern string) bool {
	return pattern == "POST /v1/charges" || pattern == "POST /v1/orders/{id}/pay"
}
