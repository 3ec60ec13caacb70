package main

// Wiring of the scale-out issue: the Clover budget governor, in-process or
// shared through Redis by every instance (docs/SCALING.md).

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/governor"
)

// ScaleConfig is what several instances need to share: Redis for the
// Clover budget. (The database is PAYBRIDGE_DATABASE_URL; jobs and
// idempotency keys are shared through it.)
type ScaleConfig struct {
	// RedisURL (redis://…) shares the Clover budget across instances;
	// without it each instance governs alone (one instance only).
	RedisURL string `env:"PAYBRIDGE_REDIS_URL"`
	// Instances is how many instances share the budget, for the local
	// share each falls back to when Redis is unreachable before it has
	// seen the others in Redis (it then uses the count Redis reported).
	Instances int `env:"PAYBRIDGE_INSTANCES" envDefault:"1"`
	// ArrivalMargin bounds how long after being written a request may
	// arrive at Clover; a call's rate slot is held until one second after
	// write + margin (or its release, if earlier). 0 counts from the
	// release only.
	ArrivalMargin time.Duration `env:"PAYBRIDGE_GOVERNOR_ARRIVAL_MARGIN" envDefault:"50ms"`
	// The Clover budget per token and per app (CLOVER.md §8 and §12:
	// Clover raises it on request; hand-made tokens get less). Zero keeps
	// Clover's documented value; +Inf means no limit.
	TokenRPS        float64 `env:"PAYBRIDGE_CLOVER_TOKEN_RPS"`
	TokenConcurrent int     `env:"PAYBRIDGE_CLOVER_TOKEN_CONCURRENT"`
	AppRPS          float64 `env:"PAYBRIDGE_CLOVER_APP_RPS"`
	AppConcurrent   int     `env:"PAYBRIDGE_CLOVER_APP_CONCURRENT"`
	// MerchantBudgets overrides the per-token budget of some merchants,
	// by Clover merchant id: "MID=RPS/CONCURRENT,…", either number
	// optional ("MID=4/" keeps the default concurrency). For a merchant
	// whose token Clover gave less (made by hand in its dashboard) or
	// more (raised on request).
	MerchantBudgets merchantBudgets `env:"PAYBRIDGE_CLOVER_MERCHANT_BUDGETS"`

	// WrapGovernor, if set, wraps the governor before the Clover client
	// uses it (the load tool's time attribution). Not configurable from the
	// environment.
	WrapGovernor func(clover.Governor) clover.Governor
}

// budget is the configured Clover budget (zero fields: Clover's defaults).
func (sc ScaleConfig) budget() clover.Budget {
	return clover.Budget{TokenRPS: sc.TokenRPS, TokenConcurrent: sc.TokenConcurrent,
		AppRPS: sc.AppRPS, AppConcurrent: sc.AppConcurrent, Merchants: sc.MerchantBudgets}
}

// merchantBudgets is PAYBRIDGE_CLOVER_MERCHANT_BUDGETS, parsed.
type merchantBudgets map[string]clover.TokenBudget

func (m *merchantBudgets) UnmarshalText(b []byte) error {
	v, err := clover.ParseMerchantBudgets(string(b))
	if err != nil {
		return fmt.Errorf("PAYBRIDGE_CLOVER_MERCHANT_BUDGETS: %w", err)
	}
	*m = v
	return nil
}

// concurrencyGrace is how long after its release a call still counts as in
// flight for the governor: Clover stops counting it when its handler
// returns, a moment after paybridge has read the answer.
const concurrencyGrace = 25 * time.Millisecond

// newGovernor builds the governor: Redis-shared when PAYBRIDGE_REDIS_URL
// is set, else in-process (a *governor.Local inside a *governor.Lagged).
// Both report waits to the metrics.
func (m *Main) newGovernor(ctx context.Context) (clover.Governor, error) {
	g, err := m.baseGovernor(ctx)
	if err != nil || m.Config.Scale.WrapGovernor == nil {
		return g, err
	}
	return m.Config.Scale.WrapGovernor(g), nil
}

func (m *Main) baseGovernor(ctx context.Context) (clover.Governor, error) {
	onWait := func(k clover.BudgetKey, d time.Duration) { m.Metrics.ObserveGovernorWait(k.Priority.String(), d) }
	sc := m.Config.Scale
	if sc.RedisURL == "" {
		g := governor.NewLocal(sc.budget())
		g.OnWait = onWait
		g.Logger = m.Logger
		g.ArrivalMargin = sc.ArrivalMargin
		return &governor.Lagged{Governor: g, Grace: concurrencyGrace}, nil
	}
	opts, err := redis.ParseURL(sc.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("PAYBRIDGE_REDIS_URL: %w", err)
	}
	// Fail fast: a dead Redis must send calls to the local share within
	// a fraction of a second, not after go-redis's retries.
	opts.MaxRetries = -1
	opts.DialTimeout = 300 * time.Millisecond
	opts.ReadTimeout = 300 * time.Millisecond
	opts.WriteTimeout = 300 * time.Millisecond
	rc := redis.NewClient(opts)
	m.redis = rc
	g := governor.NewRedis(rc, sc.budget())
	g.Logger = m.Logger.With("component", "governor")
	g.OnWait = onWait
	g.MinInstances = max(1, sc.Instances)
	g.ArrivalMargin = sc.ArrivalMargin
	g.ConcurrencyGrace = concurrencyGrace
	g.LeaseTTL = max(m.Config.CloverTimeout, 100*time.Millisecond) + 30*time.Second
	fallback := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "governor_fallback",
		Help: "1 while this instance cannot reach Redis and spends only its local share of the Clover budget.",
	})
	fallbacks := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "governor_fallbacks_total",
		Help: "Times this instance fell back to its local share of the Clover budget.",
	})
	m.Metrics.Registerer().MustRegister(fallback, fallbacks)
	g.OnFallback = func(on bool) {
		if on {
			fallback.Set(1)
			fallbacks.Inc()
		} else {
			fallback.Set(0)
		}
	}
	if err := rc.Ping(ctx).Err(); err != nil {
		// Start anyway, on the local share: Redis may come back.
		m.Logger.Warn("redis unreachable at start; the Clover budget falls back to this instance's share",
			"instances", g.MinInstances, "err", err)
	}
	return g, nil
}

// closeScale closes what newGovernor opened.
func (m *Main) closeScale() {
	if m.redis != nil {
		_ = m.redis.Close()
	}
}
