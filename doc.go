// Package paybridge holds the domain of paybridge: the types a CRM's payments
// revolve around (merchants, customers, invoices, payments, refunds), the one
// Error type with its codes, and Money. It imports only the standard library;
// every adapter (clover, store, httpapi, web, jobs) depends on it, never the
// other way round.
package paybridge
