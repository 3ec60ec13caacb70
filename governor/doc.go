// Package governor keeps paybridge inside Clover's rate budget (CLOVER.md §8):
// requests per second and requests in flight, per access token and per app.
// Callers wait in a fair queue instead of drawing 429s.
//
// Local is the in-process governor, for a single paybridge instance. Its
// rate limit is a strict sliding window: in any one-second window no more
// than the budget's N calls start, which is how Clover counts. A token bucket
// or GCRA with a burst of N would let up to 2N-1 calls start inside one
// second (a full burst, then one refill per 1/N s), so it is not used.
package governor
