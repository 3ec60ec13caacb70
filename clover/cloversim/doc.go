// Package cloversim is a stateful, strict emulator of the Clover APIs that
// paybridge uses: an http.Handler serving ecommerce, the tokenizer, OAuth v2,
// recurring, hosted checkout, platform v3 reads, the iframe sdk.js and
// webhooks, all on one base URL (their paths do not collide).
//
// Unlike a stateless mock it remembers: tokens are single-use, orders are paid
// once, refunds never exceed what was charged, idempotency keys replay, rate
// limits answer 429 at Clover's thresholds, and faults (latency, 5xx, timeout
// after commit, 429) are injected deterministically from a seed. Facts follow
// ../shared/CLOVER.md; where Clover's behaviour is UNCONFIRMED it is an Option
// with the documented default.
//
// Admin and inspection endpoints live under /_sim/ (ledger, faults, extra
// merchants, test clock). Unknown routes answer 404 in Clover's envelope and
// log loudly.
package cloversim
