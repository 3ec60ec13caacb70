package main

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// TestMerchantBudgetKeepsAHandMadeToken: Clover allows one merchant's token
// 4 requests a second and 2 in flight (tokens made by hand in the
// dashboard get less, CLOVER.md §12). Told so by
// PAYBRIDGE_CLOVER_MERCHANT_BUDGETS, paybridge keeps that merchant within
// it under overload: no 429, no second above 4. Not told, it spends the
// documented 16 and draws 429s, which shows the check can fail.
func TestMerchantBudgetKeepsAHandMadeToken(t *testing.T) {
	t.Parallel()
	limits := clover.TokenBudget{RPS: 4, Concurrent: 2}
	for name, told := range map[string]bool{"configured": true, "not configured": false} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cl, err := startCluster(ctx, clusterOptions{
				Instances: 1, Dir: t.TempDir(), CloverLimits: true, Merchants: 1, HotLimits: limits,
				LatencyP50: 30 * time.Millisecond, LatencyP99: 120 * time.Millisecond, Margin: 250 * time.Millisecond,
				Tweak: func(c *Config) {
					if told {
						env, err := loadConfig(map[string]string{"PAYBRIDGE_CLOVER_MERCHANT_BUDGETS": hotMerchantID + "=4/2"})
						if err != nil {
							t.Fatal(err)
						}
						c.Scale.MerchantBudgets = env.Scale.MerchantBudgets
					}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cl.Close)
			overload(t, cl, 8, 3*time.Second) // 16 Clover calls a second wanted
			tok := cl.Meter.Token(cl.Merchants[0].Token, time.Time{}, time.Now())
			t.Logf("at cloversim: %d requests, %d × 429, busiest second %d", tok.Admitted, tok.Limited, tok.MaxPerSecond)
			if !told {
				if tok.Limited == 0 {
					t.Errorf("without the override cloversim answered no 429 (%d a second at most): the test cannot fail", tok.MaxPerSecond)
				}
				return
			}
			if tok.Limited != 0 {
				t.Errorf("cloversim answered %d × 429 (%v)", tok.Limited, cl.Meter.LimitKinds())
			}
			if tok.MaxPerSecond > int(limits.RPS) {
				t.Errorf("%d requests arrived in one second, the merchant's budget %v", tok.MaxPerSecond, limits.RPS)
			}
			if tok.Admitted < 4 {
				t.Errorf("only %d requests reached Clover: the load did not run", tok.Admitted)
			}
		})
	}
}

// TestMerchantBudgetsConfig: PAYBRIDGE_CLOVER_MERCHANT_BUDGETS reaches the
// budget, and a malformed value stops start-up naming the variable.
func TestMerchantBudgetsConfig(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(map[string]string{"PAYBRIDGE_CLOVER_MERCHANT_BUDGETS": "AAA=4/2, BBB=32/"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]clover.TokenBudget{"AAA": {RPS: 4, Concurrent: 2}, "BBB": {RPS: 32}}
	if got := c.Scale.budget().Merchants; !maps.Equal(got, want) {
		t.Errorf("merchant budgets %v, want %v", got, want)
	}
	_, err = loadConfig(map[string]string{"PAYBRIDGE_CLOVER_MERCHANT_BUDGETS": "AAA=4"})
	if err == nil || !strings.Contains(err.Error(), "PAYBRIDGE_CLOVER_MERCHANT_BUDGETS") || !strings.Contains(err.Error(), "MERCHANT=RPS/CONCURRENT") {
		t.Errorf("malformed value: error %v, want one naming the variable and the format", err)
	}
}
