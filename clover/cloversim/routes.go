package cloversim

import "net/http"

// routes registers every surface. Each surface file owns its register
// function; the ones here are the seams between them.
func (s *Sim) routes() {
	s.registerEcommerce()  // ecommerce.go & co: charges, orders, refunds, customers, tokens, pakms
	s.registerPlatformV3() // platform.go: merchant, payment, order, tax rate reads
	s.registerOAuth()      // oauth.go: authorize consent page, token, refresh
	s.registerRecurring()  // recurring.go: plans, subscriptions, billing on the test clock
	s.registerCheckout()   // checkout.go: hosted checkout create, hosted page, signed webhook
	s.registerSDK()        // sdk.go: sdk.js and the per-field iframes
	s.registerAdmin()      // admin.go: /_sim/ ledger, faults, merchants, clock, webhooks
	s.mux.HandleFunc("/", s.notFound)
}

// notFound answers unknown routes in Clover's envelope and says so loudly.
func (s *Sim) notFound(w http.ResponseWriter, r *http.Request) {
	s.log.Error("cloversim: unknown route", "method", r.Method, "path", r.URL.Path)
	writeError(w, http.StatusNotFound, "invalid_request_error", "resource_missing",
		"No route for "+r.Method+" "+r.URL.Path)
}
