// Package httpapi is the foundation of paybridge's /v1 JSON API for CRMs:
// RFC 9457 problem responses (one place maps error kinds to statuses),
// strict request decoding that refuses raw card data before a handler sees
// it, bearer API-key authentication, Idempotency-Key handling, request ids,
// access logs, panic recovery, Prometheus metrics and the embedded OpenAPI
// spec. Resource handlers (customers, invoices, payments, …) are built on
// top of it and live beside it.
package httpapi
