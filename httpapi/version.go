package httpapi

import (
	"net/http"
	"strings"

	"github.com/paybridge/paybridge"
)

// VersionHeader names the API version of a request and of its response.
const VersionHeader = "Paybridge-Version"

// currentVersion is the header value of the current version.
var currentVersion = []string{paybridge.APIVersion}

// Versioned answers every response with the API version it was served at:
// the request's Paybridge-Version when it names one this build serves,
// else the current one. A version it does not serve is a 400
// unknown_api_version, not a guess.
func Versioned(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := r.Header.Get(VersionHeader)
		switch {
		case v == "":
			v = paybridge.APIVersion
		case !paybridge.KnownAPIVersion(v):
			w.Header().Set(VersionHeader, paybridge.APIVersion)
			WriteError(w, r, paybridge.Errorf(paybridge.EINVALID, VersionHeader,
				"%s %q is not a version this server serves (%s)", VersionHeader, truncateName(v),
				strings.Join(paybridge.APIVersions, ", ")).WithCode("unknown_api_version"))
			return
		}
		if v == paybridge.APIVersion {
			w.Header()[VersionHeader] = currentVersion // shared: no allocation per request
		} else {
			w.Header().Set(VersionHeader, v)
		}
		next.ServeHTTP(w, r)
	})
}
