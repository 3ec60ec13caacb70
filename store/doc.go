// Package store persists paybridge's state in SQLite (the embedded default,
// pure Go) or PostgreSQL (for several instances), implementing
// paybridge.Store with one hand-written SQL text for both engines.
//
// Conventions shared by every table, chosen so the same statements run on
// both engines: times are BIGINT Unix microseconds (0 means unset),
// placeholders are $1…$n, every list is paginated on a per-table seq column
// (the cursor is its opaque base64), and money moves only through atomic
// UPDATE statements whose WHERE clause carries the invariant (a
// compare-and-set on status, or "captured − refunded − reserved ≥ amount"),
// which is correct under PostgreSQL's READ COMMITTED without SELECT … FOR
// UPDATE and trivially correct under SQLite's single writer.
//
// A payment's contribution to its invoice is (AmountCaptured, TipAmount)
// while its status is Settled, and nothing otherwise; ApplyPayment adds the
// difference between the stored row's contribution and the new one. A
// payment that becomes succeeded with AmountCaptured 0 captured its whole
// Amount, and the store records that. Refunds of a payment that belongs to an
// invoice, and returns, share one reservation on the invoice, so together
// they can never give back more than was paid.
//
// On SQLite every write goes through one connection. Transactions that
// queue up are committed together (groupcommit.go); the WAL is synced
// outside that connection before any commit is acknowledged (walsync.go);
// inside an idempotent API request writes wait for the disk only at the
// request's sync points (defer.go); and checkpoints run beside the writer
// rather than inside its commits (checkpoint.go). None of it changes what a
// caller is told: a write acknowledged as durable is on disk.
package store
