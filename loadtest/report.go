package loadtest

import (
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report is the load tool's JSON output. Latencies are in milliseconds; the
// bare p50/p90/p99 are the time paybridge itself added (response time less
// Clover calls and the budget wait), with the budget wait and the whole
// response time reported beside them.
type Report struct {
	Scenario  string  `json:"scenario"`
	Mode      string  `json:"mode"` // paybridge | naive
	Rate      float64 `json:"rate"`
	DurationS float64 `json:"duration_s"`
	Setup     Setup   `json:"setup"`

	Arrivals   int            `json:"arrivals"`
	Completed  int            `json:"completed"`
	Errors     int            `json:"errors"`
	ErrorKinds map[string]int `json:"error_kinds,omitempty"`
	Throughput float64        `json:"throughput"` // completed per second of the run

	Latency

	Clover429s            int            `json:"clover_429s"`
	Clover429Kinds        map[string]int `json:"clover_429_kinds,omitempty"`
	CloverCallsPerPayment float64        `json:"clover_calls_per_payment"`
	DoubleCharges         int            `json:"double_charges"`
	// BudgetUtilization is the hot token's Clover requests that arrived
	// during the run over its budget for the run (rate × duration).
	BudgetUtilization float64 `json:"budget_utilization"`
	// MaxPerSecond is the most requests that arrived at Clover in any one
	// second, for the hot token and for the app.
	MaxPerSecondToken int `json:"max_per_second_token"`
	MaxPerSecondApp   int `json:"max_per_second_app"`
	// RSSMB is the peak resident memory of the process that ran paybridge
	// (in-process runs: the whole load tool, cloversim and load generator
	// included, so an upper bound on paybridge's).
	RSSMB float64 `json:"rss_mb"`
	// CPUMSPerCompleted is paybridge's process's CPU time over the run per
	// completed arrival (in-process runs: paybridge, cloversim and the load
	// generator together; --target: the target's, from its /metrics).
	CPUMSPerCompleted float64 `json:"cpu_ms_per_completed,omitempty"`
	// HostCPUBusy is the share of all the host's CPUs busy during the run,
	// whoever used them (a database on the same host included): near 1,
	// the latencies measure a queue for the CPU.
	HostCPUBusy float64 `json:"host_cpu_busy,omitempty"`

	// Groups splits latency by stream ("hot", "others") when there are
	// several.
	Groups map[string]Latency `json:"groups,omitempty"`

	Baseline *Report            `json:"baseline,omitempty"`
	Ratios   map[string]float64 `json:"ratios_paybridge_over_naive,omitempty"`
	Notes    []string           `json:"notes,omitempty"`
}

// Setup describes what was measured.
type Setup struct {
	Target        string  `json:"target"` // "in-process" or the URL
	Store         string  `json:"store,omitempty"`
	Governor      string  `json:"governor,omitempty"`
	Instances     int     `json:"instances,omitempty"`
	Merchants     int     `json:"merchants"`
	CloverLimits  bool    `json:"clover_limits"`
	CloverP50MS   float64 `json:"clover_latency_p50_ms"`
	CloverP99MS   float64 `json:"clover_latency_p99_ms"`
	TokenRPS      float64 `json:"token_rps,omitempty"`
	Machine       string  `json:"machine"`
	GoVersion     string  `json:"go_version"`
	RequestTimout float64 `json:"request_timeout_s"`
}

// Latency is a set of percentiles over completed arrivals, in ms.
type Latency struct {
	Count              int     `json:"count"`
	P50                float64 `json:"p50_ms"`
	P90                float64 `json:"p90_ms"`
	P99                float64 `json:"p99_ms"`
	BudgetWaitP50      float64 `json:"budget_wait_p50_ms"`
	BudgetWaitP99      float64 `json:"budget_wait_p99_ms"`
	AddedWithBudgetP99 float64 `json:"added_with_budget_wait_p99_ms"`
	TotalP50           float64 `json:"total_p50_ms"`
	TotalP99           float64 `json:"total_p99_ms"`
	CloverP50          float64 `json:"clover_p50_ms"`
}

// Summarize fills the arrival counts, throughput and latencies of r from
// samples of a run that lasted d.
func (r *Report) Summarize(samples []Sample, d time.Duration) {
	r.DurationS = d.Seconds()
	r.Arrivals = len(samples)
	r.ErrorKinds = map[string]int{}
	var ok []Sample
	groups := map[string][]Sample{}
	for _, s := range samples {
		if !s.OK {
			r.Errors++
			r.ErrorKinds[s.Err]++
			continue
		}
		ok = append(ok, s)
		groups[s.Group] = append(groups[s.Group], s)
	}
	if len(r.ErrorKinds) == 0 {
		r.ErrorKinds = nil
	}
	r.Completed = len(ok)
	r.Throughput = round(float64(len(ok))/d.Seconds(), 2)
	r.Latency = latency(ok)
	if len(groups) > 1 {
		r.Groups = map[string]Latency{}
		for g, ss := range groups {
			r.Groups[g] = latency(ss)
		}
	}
}

func latency(ss []Sample) Latency {
	pick := func(f func(Sample) time.Duration) []time.Duration {
		out := make([]time.Duration, len(ss))
		for i, s := range ss {
			out[i] = f(s)
		}
		slices.Sort(out)
		return out
	}
	added := pick(Sample.Added)
	budget := pick(func(s Sample) time.Duration { return s.Budget })
	total := pick(func(s Sample) time.Duration { return s.Total })
	clover := pick(func(s Sample) time.Duration { return s.Clover })
	withBudget := pick(func(s Sample) time.Duration { return s.Added() + s.Budget })
	return Latency{
		Count: len(ss),
		P50:   ms(pct(added, 50)), P90: ms(pct(added, 90)), P99: ms(pct(added, 99)),
		BudgetWaitP50: ms(pct(budget, 50)), BudgetWaitP99: ms(pct(budget, 99)),
		AddedWithBudgetP99: ms(pct(withBudget, 99)),
		TotalP50:           ms(pct(total, 50)), TotalP99: ms(pct(total, 99)), CloverP50: ms(pct(clover, 50)),
	}
}

// pct is the nearest-rank percentile of sorted ds (0 for none).
func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(ds)))) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 2) }

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// Compare fills r.Ratios with paybridge ÷ naive for the headline figures
// (a ratio with a zero denominator is left out).
func (r *Report) Compare(naive *Report) {
	r.Baseline = naive
	r.Ratios = map[string]float64{}
	for name, v := range map[string][2]float64{
		"throughput":               {r.Throughput, naive.Throughput},
		"clover_429s":              {float64(r.Clover429s), float64(naive.Clover429s)},
		"clover_calls_per_payment": {r.CloverCallsPerPayment, naive.CloverCallsPerPayment},
		"budget_utilization":       {r.BudgetUtilization, naive.BudgetUtilization},
		"total_p50":                {r.TotalP50, naive.TotalP50},
		"total_p99":                {r.TotalP99, naive.TotalP99},
		"errors":                   {float64(r.Errors), float64(naive.Errors)},
	} {
		if v[1] != 0 {
			r.Ratios[name] = round(v[0]/v[1], 3)
		}
	}
}

// PeakRSSMB is this process's peak resident memory (VmHWM) in MB, or 0
// where /proc is not available.
func PeakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return round(kb/1024, 1)
		}
	}
	return 0
}

// Machine describes the host for the report.
func Machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				if _, v, ok := strings.Cut(line, ":"); ok {
					model = strings.TrimSpace(v)
					break
				}
			}
		}
	}
	return strings.TrimSpace(runtime.GOOS + "/" + runtime.GOARCH + " " + strconv.Itoa(runtime.NumCPU()) + " CPU " + model)
}
