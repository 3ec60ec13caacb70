package governor

import (
	"context"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// graceExtra is how long past one probe interval an instance that found
// Redis again keeps its local share as well: every other instance probes
// within ProbeEvery, and the rate slots they took locally free one second
// after their calls' release.
const graceExtra = 2 * time.Second

// Share returns 1/n of budget b for one of n instances that cannot reach the
// shared budget: each limit divided by n, merchants' overrides too,
// concurrency at least one call.
// n instances on their shares together stay within b.
func Share(b clover.Budget, n int) clover.Budget {
	b = normalize(b)
	if n <= 1 {
		return b
	}
	f := float64(n)
	share := clover.Budget{
		TokenRPS:        b.TokenRPS / f,
		TokenConcurrent: max(1, b.TokenConcurrent/n),
		AppRPS:          b.AppRPS / f,
		AppConcurrent:   max(1, b.AppConcurrent/n),
	}
	if len(b.Merchants) > 0 {
		share.Merchants = make(map[string]clover.TokenBudget, len(b.Merchants))
		for m := range b.Merchants {
			rps, conc := b.Token(m)
			share.Merchants[m] = clover.TokenBudget{RPS: rps / f, Concurrent: max(1, conc/n)}
		}
	}
	return share
}

// fallbackQuiet is how long after falling back an instance grants nothing
// locally: the rate slots other instances took through Redis in the last
// second are unknown to its Local, and are spent by then for calls that
// lasted under a second (its own calls are waited for exactly).
const fallbackQuiet = 2 * time.Second

// quiet waits until the fallback Local may grant: fallbackQuiet after the
// fall, and one second plus the arrival margin after this instance's last
// Redis-granted call was released.
func (g *Redis) quiet(ctx context.Context) error {
	for {
		g.mu.Lock()
		until := g.quietEnd
		if r := g.redisRelease.Add(time.Second + max(g.ArrivalMargin, 0) + g.ConcurrencyGrace); r.After(until) {
			until = r
		}
		busy := g.redisCalls > 0
		g.mu.Unlock()
		d := time.Until(until)
		if busy {
			d = max(d, g.PollEvery)
		} else if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// FallenBack reports whether the instance is on its local share because
// Redis cannot be reached.
func (g *Redis) FallenBack() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.down
}

// mode returns the local governor to pass first, if any, and whether Redis
// must be passed as well (the grace period after Redis came back). While
// down, one caller per ProbeEvery pings Redis.
func (g *Redis) mode(ctx context.Context) (fb *Local, grace bool) {
	now := time.Now()
	g.mu.Lock()
	if g.down {
		if now.Sub(g.lastProbe) < g.ProbeEvery {
			fb := g.fallback
			g.mu.Unlock()
			return fb, false
		}
		g.lastProbe = now
		fb := g.fallback
		g.mu.Unlock()
		pctx, cancel := context.WithTimeout(ctx, g.CallTimeout)
		err := g.client.Ping(pctx).Err()
		cancel()
		if err != nil {
			return fb, false
		}
		g.recovered()
		g.mu.Lock()
	}
	defer g.mu.Unlock()
	if g.fallback != nil && now.Before(g.graceEnd) {
		return g.fallback, true
	}
	g.fallback = nil
	return nil, false
}

// fallBack switches to the local share after Redis failed with err.
func (g *Redis) fallBack(err error) {
	g.mu.Lock()
	if g.down {
		g.mu.Unlock()
		return
	}
	now := time.Now()
	g.down, g.lastProbe = true, now
	g.quietEnd = now.Add(fallbackQuiet)
	n := max(g.instances, g.MinInstances, 1)
	share := Share(g.budget, n)
	if g.fallback == nil {
		// (In grace, the Local in use already holds this share and the
		// calls it granted: keep it.)
		g.fallback = NewLocal(share)
	}
	g.mu.Unlock()
	g.Logger.Warn("clover budget: redis unreachable, using this instance's local share",
		"instances", n, "token_rps", share.TokenRPS, "token_concurrent", share.TokenConcurrent,
		"app_rps", share.AppRPS, "app_concurrent", share.AppConcurrent, "err", err)
	if g.OnFallback != nil {
		g.OnFallback(true)
	}
}

// recovered switches back to Redis, keeping the local share for a grace
// period.
func (g *Redis) recovered() {
	g.mu.Lock()
	if !g.down {
		g.mu.Unlock()
		return
	}
	g.down = false
	g.graceEnd = time.Now().Add(g.ProbeEvery + graceExtra)
	g.mu.Unlock()
	g.Logger.Info("clover budget: redis reachable again, shared budget in use")
	if g.OnFallback != nil {
		g.OnFallback(false)
	}
}
