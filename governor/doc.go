// Package governor keeps paybridge inside Clover's rate budget (CLOVER.md §8):
// requests per second and requests in flight, per access token and per app.
// Callers wait in a fair queue instead of drawing 429s.
//
// Local is the in-process governor, for a single paybridge instance.
//
// # Why a call holds its rate slot until one second after its release
//
// Clover counts a request when it ARRIVES, in a sliding one-second window.
// The governor cannot see arrivals; it sees when it grants a call (start) and
// when the caller releases it after reading the response. Between the two
// lies a delay nobody controls: dialing a new connection, TLS, the scheduler
// on a loaded machine, the network. A window over start times therefore
// bounds starts, not arrivals: calls started a whole second apart can arrive
// closer together, and against cloversim 16 starts per second showed up as
// 17 to 19 arrivals in some second, drawing 429s.
//
// What always holds is start <= arrival <= release: a request cannot arrive
// before it is sent, nor its response be read before it arrived. So each
// call holds one of the budget's N rate slots from its start until one
// second after its release, and a call may start only while a slot is free.
// Any request arriving in a second (t-1s, t] started by t and was released
// after t-1s, so its call still holds its slot at t; at most N slots are
// held, so at most N requests arrive in any one second, whatever the network
// does. A call granted as its context ended is never made and holds nothing.
//
// The cost is throughput: a call's latency is added to the time its slot is
// held. With Clover's 16 per second and calls taking 120 ms, a slot is busy
// 1.12 s per call, so a token makes about 16/1.12 ≈ 14.3 calls per second
// rather than 16; calls slower than a second cut it further. That is the
// price of never drawing a 429 without knowing when requests arrive. With no
// latency at all the limit is exact: N calls in any one second.
//
// # Freeing a slot sooner: the write time
//
// When the client reports when a call's request was written
// (clover.SentGovernor, which the clover client uses), the reference is the
// earlier of the release and write + ArrivalMargin (50 ms by default): a
// request arrives within the margin of its write on any sane network, long
// before its response is read. A slot then costs one second plus the margin
// rather than one second plus the call's latency: about 97% of the budget
// under overload instead of 89% (docs/PERFORMANCE.md). A margin of zero
// restores the strict release bound.
//
// Redis is the same governor shared by several instances through Redis
// (docs/SCALING.md).
//
// A token bucket or GCRA with a burst of N would let up to 2N-1 calls start
// inside one second (a full burst, then one refill per 1/N s), so it is not
// used. The limit on calls in flight is counted separately, from start to
// release, as Clover counts it.
package governor
