package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/paybridge/paybridge"
)

// Local is the in-process limiter: one GCRA timestamp per key in a
// sharded map, so concurrent requests of different keys rarely share a
// lock. Keys whose budget is full again are swept as their shard grows.
type Local struct {
	Policy Policy
	Now    func() time.Time

	seed   maphash.Seed
	shards [64]shard
}

type shard struct {
	mu  sync.Mutex
	tat map[string]time.Time
}

// sweepAt is the shard size past which full budgets are forgotten.
const sweepAt = 4096

// NewLocal returns a Local limiter for p.
func NewLocal(p Policy) *Local {
	l := &Local{Policy: p, Now: time.Now, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].tat = map[string]time.Time{}
	}
	return l
}

// Allow implements paybridge.RateLimiter; it never fails.
func (l *Local) Allow(_ context.Context, key string) (paybridge.RateDecision, error) {
	s := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	now := l.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	d, tat := l.Policy.decide(now, s.tat[key])
	if len(s.tat) >= sweepAt {
		for k, t := range s.tat {
			if !t.After(now) {
				delete(s.tat, k)
			}
		}
	}
	s.tat[key] = tat
	return d, nil
}
