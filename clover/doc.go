// Package clover is a typed client for the Clover APIs paybridge uses:
// ecommerce (charges, orders, refunds, customers, PAKMS key), the card
// tokenizer, OAuth v2, recurring plans and subscriptions, hosted checkout and
// platform v3 reads.
//
// Every write carries an idempotency key that is reused on every retry, so a
// retried charge can never charge twice. Retries happen only where they are
// safe (network errors, 429 honouring retry-after, 5xx), with capped, jittered
// backoff that stops when the context ends. Every call first passes a
// Governor, which keeps paybridge inside Clover's rate budget so callers wait
// instead of drawing 429s. Errors from Clover are *Error values that never
// print tokens or secrets.
package clover
