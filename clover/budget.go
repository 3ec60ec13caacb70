package clover

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// TokenBudget is one merchant's per-token budget. A zero field keeps the
// Budget's own value for it.
type TokenBudget struct {
	RPS        float64
	Concurrent int
}

// Token is the per-token budget of merchant's tokens: its override's
// fields where set, else b's.
func (b Budget) Token(merchant string) (rps float64, concurrent int) {
	rps, concurrent = b.TokenRPS, b.TokenConcurrent
	if o, ok := b.Merchants[merchant]; ok {
		if o.RPS > 0 {
			rps = o.RPS
		}
		if o.Concurrent > 0 {
			concurrent = o.Concurrent
		}
	}
	return rps, concurrent
}

// IsZero reports whether b sets nothing.
func (b Budget) IsZero() bool {
	return b.TokenRPS == 0 && b.TokenConcurrent == 0 && b.AppRPS == 0 && b.AppConcurrent == 0 && len(b.Merchants) == 0
}

// ParseMerchantBudgets reads per-merchant token budgets written as
// "MERCHANT=RPS/CONCURRENT" pairs separated by commas, e.g.
// "X6DSQ9TQ1MEW1=4/2,ABCDEF123456=32/10"; either number may be left
// empty to keep the default ("X6DSQ9TQ1MEW1=4/"). Whitespace around items
// is ignored; an empty string is no overrides.
func ParseMerchantBudgets(s string) (map[string]TokenBudget, error) {
	out := map[string]TokenBudget{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		m, v, ok := strings.Cut(item, "=")
		rpsText, concText, ok2 := strings.Cut(v, "/")
		m = strings.TrimSpace(m)
		if !ok || !ok2 || m == "" {
			return nil, fmt.Errorf("merchant budget %q: want MERCHANT=RPS/CONCURRENT", item)
		}
		if _, dup := out[m]; dup {
			return nil, fmt.Errorf("merchant budget for %s given twice", m)
		}
		var tb TokenBudget
		if t := strings.TrimSpace(rpsText); t != "" {
			f, err := strconv.ParseFloat(t, 64)
			if err != nil || !(f > 0) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("merchant budget %q: requests per second must be a positive number", item)
			}
			tb.RPS = f
		}
		if t := strings.TrimSpace(concText); t != "" {
			n, err := strconv.Atoi(t)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("merchant budget %q: concurrent requests must be a positive whole number", item)
			}
			tb.Concurrent = n
		}
		if tb == (TokenBudget{}) {
			return nil, fmt.Errorf("merchant budget %q sets nothing", item)
		}
		out[m] = tb
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
