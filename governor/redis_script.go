package governor

import "github.com/redis/go-redis/v9"

// The budget in Redis, per app (one hash slot, thanks to the {app} tag):
//
//	<prefix>:{app}:t:<token>:slots   ZSET lease → when its rate slot frees (µs, Redis TIME)
//	<prefix>:{app}:t:<token>:calls   ZSET lease → lease deadline (a call in flight)
//	<prefix>:{app}:slots / :calls    the same for the whole app
//	<prefix>:{app}:waiting           ZSET token → until when it waits for the app budget
//	<prefix>:{app}:instances         ZSET instance → heartbeat deadline
//
// A granted call adds its lease to all four call and slot sets. While in
// flight its rate slot's score is its lease deadline plus the span, so it
// can never free early; its release rewrites the score to "reference time +
// span", the reference being its release or its request's write time plus a
// margin (see Redis.ArrivalMargin). A lease whose instance died before
// releasing expires at its deadline. Every time is Redis's own TIME, so the
// instances' clocks never matter.

// acquireScript grants one call if the token's and the app's budgets allow it.
//
// KEYS: 1 token slots, 2 token calls, 3 app slots, 4 app calls, 5 waiting,
// 6 instances. ARGV: 1 lease, 2 token slots (0 = no rate limit), 3 token
// concurrency (0 = none), 4 token span µs, 5 app slots, 6 app concurrency,
// 7 app span µs, 8 lease TTL µs, 9 instance id, 10 token, 11 waiter TTL µs,
// 12 keep (1: the call is not money, and leaves one slot of each limit
// above one free for money; 0: money).
//
// Returns {granted (1|0), hint µs until a rate slot frees (-1: only a
// release helps), live instances, reason (0 granted, 1 token budget, 2 app
// budget, 3 yielding the app budget to waiting tokens)}.
//
// Fairness: a token refused because the APP budget is full registers as
// waiting. While others wait, a token may take app budget only below its
// fair share (budget ÷ tokens waiting, itself included), so a busy merchant
// hands freed app capacity to the others instead of grabbing it first.
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local lease = ARGV[1]
local tn, tc, tspan = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local an, ac, aspan = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local ttl, tok, wttl = tonumber(ARGV[8]), ARGV[10], tonumber(ARGV[11])
local keep = tonumber(ARGV[12])
local function lim(n) if keep > 0 and n > 1 then return n - 1 end return n end
local etc, etn, eac, ean = lim(tc), lim(tn), lim(ac), lim(an)
redis.call('ZADD', KEYS[6], now + 15000000, ARGV[9])
redis.call('PEXPIRE', KEYS[6], 30000)
for i = 1, 6 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
local ninst = redis.call('ZCARD', KEYS[6])
local function nextfree(key, held, n, span)
  local r = redis.call('ZRANGE', key, held - n, held - n, 'WITHSCORES')
  local s = tonumber(r[2])
  if s > now + span then return -1 end
  return s - now
end
local tin, tsl = redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[1])
if etc > 0 and tin >= etc then return {0, -1, ninst, 1} end
if etn > 0 and tsl >= etn then return {0, nextfree(KEYS[1], tsl, etn, tspan), ninst, 1} end
local ain, asl = redis.call('ZCARD', KEYS[4]), redis.call('ZCARD', KEYS[3])
local hint = nil
if eac > 0 and ain >= eac then hint = -1
elseif ean > 0 and asl >= ean then hint = nextfree(KEYS[3], asl, ean, aspan) end
if hint then
  redis.call('ZADD', KEYS[5], now + wttl, tok)
  redis.call('PEXPIRE', KEYS[5], 5000)
  return {0, hint, ninst, 2}
end
local others = redis.call('ZCARD', KEYS[5])
if redis.call('ZSCORE', KEYS[5], tok) then others = others - 1 end
if others > 0 then
  local sn = math.max(1, math.floor(an / (others + 1)))
  local sc = math.max(1, math.floor(ac / (others + 1)))
  if (an > 0 and tsl >= sn) or (ac > 0 and tin >= sc) then return {0, -1, ninst, 3} end
end
redis.call('ZREM', KEYS[5], tok)
local dl = now + ttl
redis.call('ZADD', KEYS[2], dl, lease)
redis.call('ZADD', KEYS[4], dl, lease)
redis.call('ZADD', KEYS[1], dl + tspan, lease)
redis.call('ZADD', KEYS[3], dl + aspan, lease)
local keep = math.floor((ttl + math.max(tspan, aspan)) / 1000) + 1000
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], keep) end
return {1, 0, ninst, 0}
`)

// releaseScript ends a call: its concurrency slots free after a grace
// (Clover stops counting a request once its handler has finished, a moment
// after the client has read the answer), its rate slots at reference +
// span, the reference being backdate µs before now.
//
// KEYS: 1 token slots, 2 token calls, 3 app slots, 4 app calls.
// ARGV: 1 lease, 2 token span µs, 3 app span µs, 4 backdate µs, 5 grace µs.
var releaseScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ref = now - tonumber(ARGV[4])
local free = now + tonumber(ARGV[5])
redis.call('ZADD', KEYS[2], 'XX', free, ARGV[1])
redis.call('ZADD', KEYS[4], 'XX', free, ARGV[1])
redis.call('ZADD', KEYS[1], 'XX', ref + tonumber(ARGV[2]), ARGV[1])
redis.call('ZADD', KEYS[3], 'XX', ref + tonumber(ARGV[3]), ARGV[1])
return 1
`)

// unstartScript gives back everything a grant took, for a call granted as
// its context ended: it is never made, so no request arrives.
//
// KEYS: 1 token slots, 2 token calls, 3 app slots, 4 app calls. ARGV: 1 lease.
var unstartScript = redis.NewScript(`
for i = 1, 4 do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 1
`)
