package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/loadtest"
)

// loadTarget runs the scenario against a running paybridge sandbox. Without
// access to its internals, Clover's share of each response time is unknown
// (latencies are whole response times), and Clover calls, 429s and memory
// come from the target's /metrics.
func loadTarget(ctx context.Context, o loadOptions) (*loadtest.Report, error) {
	b, err := os.ReadFile(o.SandboxFile)
	if err != nil {
		return nil, fmt.Errorf("--target needs the sandbox's sandbox.json: %w", err)
	}
	var sb SandboxInfo
	if err := json.Unmarshal(b, &sb); err != nil {
		return nil, fmt.Errorf("%s: %w", o.SandboxFile, err)
	}
	if err := loopbackOnly(sb.CloverURL); err != nil {
		return nil, err
	}
	api := loadtest.NewAPI(o.Target, nil)
	m := &loadtest.Merchant{Key: sb.APIKey, PAKMS: sb.PAKMSKey}
	var cu struct {
		ID string `json:"id"`
	}
	if st, _, err := api.Call(ctx, m.Key, "POST", "/v1/customers", map[string]any{"email": "load@example.com"}, &cu); err != nil || st != http.StatusCreated {
		return nil, fmt.Errorf("create customer at %s: status %d: %v", o.Target, st, err)
	}
	m.CustomerID = cu.ID
	var do func(context.Context, int) loadtest.Sample
	switch o.Scenario {
	case "pay":
		do = loadtest.Pay(api, loadtest.NewTokenizer(sb.CloverURL), m)
	case "read":
		ids, _, err := seedInvoices(ctx, api, m, 20)
		if err != nil {
			return nil, err
		}
		do = loadtest.Read(api, m, ids)
	case "webhooks":
		return nil, fmt.Errorf("--scenario webhooks needs the in-process set-up (the Clover webhook auth code)")
	}
	rep := newReport(o, "paybridge")
	rep.Setup.Target = o.Target
	rep.Setup.CloverLimits, rep.Setup.CloverP50MS, rep.Setup.CloverP99MS = false, 0, 0 // the target's own
	rep.Notes = append(rep.Notes, "external target: latencies are whole response times (Clover's share unknown); Clover figures from the target's /metrics")
	before, cpu0 := scrape(ctx, o.Target), loadtest.ReadCPU()
	samples := loadtest.Run(ctx, loadtest.RunOptions{Duration: o.Duration, Timeout: o.Timeout},
		loadtest.Arrivals{Group: "hot", Rate: o.Rate, Do: do})
	after, cpu1 := scrape(ctx, o.Target), loadtest.ReadCPU()
	rep.Summarize(samples, o.Duration)
	cpu0.Process, cpu1.Process = before.cpu, after.cpu // the target's, not the load tool's
	rep.RecordCPU(cpu0, cpu1)
	rep.Clover429s = int(after.limited - before.limited)
	calls := after.calls - before.calls
	rep.BudgetUtilization = round3((calls - (after.limited - before.limited)) / (clover.DefaultBudget.TokenRPS * o.Duration.Seconds()))
	if rep.Completed > 0 && o.Scenario == "pay" {
		rep.CloverCallsPerPayment = round3(calls / float64(rep.Completed))
		rep.DoubleCharges = targetDoubles(ctx, api, m, sb.CloverURL)
	}
	rep.RSSMB = round3(after.rss / (1 << 20))
	return rep, nil
}

// metricsSnapshot is what the load tool reads from /metrics.
type metricsSnapshot struct {
	calls, limited, rss float64
	cpu                 time.Duration
}

// scrape reads Clover attempts (all and 429), excluding the tokenizer,
// resident memory and CPU time from base's /metrics (zeros if
// unreachable).
func scrape(ctx context.Context, base string) metricsSnapshot {
	var s metricsSnapshot
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(base, "/")+"/metrics", nil)
	if err != nil {
		return s
	}
	if tok := os.Getenv("PAYBRIDGE_METRICS_TOKEN"); tok != "" { // a production target's /metrics
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if i < 0 || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "clover_calls_total{") && !strings.Contains(line, `endpoint="/v1/tokens"`):
			s.calls += v
			if strings.Contains(line, `status="429"`) {
				s.limited += v
			}
		case strings.HasPrefix(line, "process_resident_memory_bytes "):
			s.rss = v
		case strings.HasPrefix(line, "process_cpu_seconds_total "):
			s.cpu = time.Duration(v * float64(time.Second))
		}
	}
	return s
}

// targetDoubles compares the target cloversim's ledger (all merchants: a
// sandbox has one) with the merchant's succeeded payments.
func targetDoubles(ctx context.Context, api *loadtest.API, m *loadtest.Merchant, cloverURL string) int {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(cloverURL, "/")+"/_sim/ledger", nil)
	if err != nil {
		return -1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var l struct {
		Totals struct {
			Count map[string]int `json:"count"`
		} `json:"totals"`
	}
	if json.NewDecoder(resp.Body).Decode(&l) != nil {
		return -1
	}
	deadline := time.Now().Add(30 * time.Second)
	for countPayments(ctx, api, m, "unknown") > 0 && time.Now().Before(deadline) {
		t := time.NewTimer(200 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return -1
		case <-t.C:
		}
	}
	return max(0, l.Totals.Count["charge"]-countPayments(ctx, api, m, "succeeded"))
}
