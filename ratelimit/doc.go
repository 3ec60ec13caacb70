// Package ratelimit bounds each API key's request rate on paybridge's own
// API with GCRA (a token bucket kept as one timestamp per key): Local in
// process, Redis shared by every instance (on Redis's clock, so instances'
// clock skew does not matter). Both implement paybridge.RateLimiter.
package ratelimit
