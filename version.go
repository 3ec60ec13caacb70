package paybridge

// APIVersion is the /v1 API's version, a date as Stripe's are. Additive
// changes (a new endpoint, field, optional parameter, event type or enum
// value on a response) keep it; a breaking change (a field removed,
// renamed or retyped, a new required parameter, changed semantics) gets a
// new date, and a request naming an older version keeps being answered
// the old way for at least 12 months (docs/API-VERSIONS.md).
const APIVersion = "2026-12-08"

// APIVersions are the versions this build serves, oldest first.
var APIVersions = []string{APIVersion}

// KnownAPIVersion reports whether v is one of APIVersions.
func KnownAPIVersion(v string) bool {
	for _, k := range APIVersions {
		if k == v {
			return true
		}
	}
	return false
}
