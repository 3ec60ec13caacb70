package main

// STUB seam of the pay-page issue (payment links, pay page, emails,
// receipts, hosted checkout): its helper replaces this file.

import "github.com/paybridge/paybridge/httpapi"

// webRoutes registers the pay-page issue's routes: authenticated /v1 ones
// with rt.Handle, customer-facing pages with rt.HandlePublic.
func (m *Main) webRoutes(rt *httpapi.Router) {}
