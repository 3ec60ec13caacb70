// Package billing is paybridge's payment engine: it turns invoices into
// Clover orders and moves money through Clover under DESIGN.md §4's rules.
//
// Every money movement follows one discipline: validate, persist the
// payment (refund, return) with the idempotency key Clover will see, call
// Clover outside any transaction, then compare-and-set the outcome. A
// definite answer settles the row; anything else (timeout, network error,
// 5xx) leaves it unknown, and the reconciler repeats the very same request
// with the very same key until Clover gives a definite answer. So a retry,
// a crash or a race can never charge twice.
package billing
