package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"time"

	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/clover/cloversim"
	"github.com/paybridge/paybridge/loadtest"
)

// loadOptions are the loadtest command's flags.
type loadOptions struct {
	Scenario     string
	Rate         float64
	OthersRate   float64
	Duration     time.Duration
	Timeout      time.Duration
	Target       string
	SandboxFile  string
	Baseline     string
	JSON         bool
	Merchants    int
	Instances    int
	CloverLimits bool
	P50, P99     time.Duration
	DatabaseURL  string
	RedisURL     string
	Margin       time.Duration
	Trace        string // runtime trace of the measured run ("" = none)
}

// runLoadtest is `paybridge loadtest`: an open-model load at a fixed
// arrival rate, against an in-process paybridge on a metered cloversim
// (default) or a running sandbox (--target), with an optional naive
// baseline, printing a report. It is bounded: it stops after --duration
// plus --timeout, and talks to loopback only.
func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("loadtest", "Drive paybridge at a fixed arrival rate and report latency added by paybridge,\n"+
		"Clover 429s, Clover calls per payment, double charges and Clover budget use.\n"+
		"Without --target it starts its own paybridge and a metered cloversim with Clover's\n"+
		"limits and latency (p50 120 ms, p99 400 ms).", stderr)
	var o loadOptions
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	fs.StringVar(&o.Trace, "trace", "", "write a Go runtime trace of the measured run to this file, each API request a task (go tool trace; in-process only)")
	fs.StringVar(&o.Scenario, "scenario", "pay", "pay | read | webhooks")
	fs.Float64Var(&o.Rate, "rate", 10, "arrivals per second (of the first, hot merchant when --merchants > 1)")
	fs.Float64Var(&o.OthersRate, "others-rate", 0.5, "arrivals per second of each other merchant (--merchants > 1)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long arrivals are scheduled")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "per-arrival timeout (the run ends within duration + timeout)")
	fs.StringVar(&o.Target, "target", "", "URL of a running paybridge sandbox on loopback (reads --sandbox-file)")
	fs.StringVar(&o.SandboxFile, "sandbox-file", "./paybridge-data/sandbox.json", "the target's sandbox.json")
	fs.StringVar(&o.Baseline, "baseline", "", `"naive": also run a CRM calling Clover itself and print paybridge ÷ naive`)
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON")
	fs.IntVar(&o.Merchants, "merchants", 1, "merchants (the first at --rate, the others at --others-rate)")
	fs.IntVar(&o.Instances, "instances", 1, "paybridge instances in-process (> 1 needs --database-url and --redis-url)")
	fs.BoolVar(&o.CloverLimits, "clover-limits", true, "cloversim enforces Clover's rate limits (and paybridge governs)")
	fs.DurationVar(&o.P50, "clover-p50", 120*time.Millisecond, "cloversim's median latency")
	fs.DurationVar(&o.P99, "clover-p99", 400*time.Millisecond, "cloversim's 99th-percentile latency")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "postgres://… (default: SQLite in a temporary directory)")
	fs.StringVar(&o.RedisURL, "redis-url", "", "redis://… to share the Clover budget through Redis")
	fs.DurationVar(&o.Margin, "arrival-margin", 50*time.Millisecond, "governor arrival margin (PAYBRIDGE_GOVERNOR_ARRIVAL_MARGIN)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case o.Scenario != "pay" && o.Scenario != "read" && o.Scenario != "webhooks":
		return fmt.Errorf("--scenario %q: want pay, read or webhooks", o.Scenario)
	case o.Rate <= 0 || o.Duration <= 0 || o.Duration > time.Hour:
		return errors.New("--rate must be positive and --duration within (0, 1h]")
	case o.Baseline != "" && o.Baseline != "naive":
		return fmt.Errorf("--baseline %q: only naive", o.Baseline)
	case o.Baseline != "" && (o.Target != "" || o.Scenario != "pay"):
		return errors.New("--baseline naive needs the in-process set-up and --scenario pay")
	case o.Trace != "" && o.Target != "":
		return errors.New("--trace traces the in-process paybridge; it cannot trace a --target")
	case o.Instances > 1 && (o.RedisURL == "" || !strings.HasPrefix(o.DatabaseURL, "postgres")):
		return errors.New("--instances > 1 needs --redis-url and a postgres --database-url")
	}
	for _, u := range []string{o.Target, o.DatabaseURL, o.RedisURL} {
		if err := loopbackOnly(u); err != nil {
			return err
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var rep *loadtest.Report
	var err error
	if o.Target != "" {
		rep, err = loadTarget(ctx, o)
	} else {
		rep, err = loadInProcess(ctx, o)
	}
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(stdout, rep)
	return nil
}

// startTrace starts a runtime trace to path (nothing without one) and
// returns what stops it. The trace shows, for every API request (a task,
// see traceRequests), where its goroutine waited: the writer's queue, the
// disk, the CPU, Clover.
func startTrace(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--trace: %w", err)
	}
	return func() error {
		trace.Stop()
		return f.Close()
	}, nil
}

// loopbackOnly refuses URLs whose host is not a loopback address or a Unix
// socket (postgres://u@/db?host=/var/run/postgresql): the load tool must
// never load someone else's service.
func loopbackOnly(raw string) error {
	if raw == "" || !strings.Contains(raw, "://") {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad URL: %w", err)
	}
	h := u.Hostname()
	if h == "" {
		h = u.Query().Get("host")
	}
	if h == "localhost" || strings.HasPrefix(h, "/") {
		return nil
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s: the load tool only talks to loopback", u.Redacted())
}

// loadInProcess starts a cluster, runs the scenario (and the naive
// baseline) and builds the report.
func loadInProcess(ctx context.Context, o loadOptions) (*loadtest.Report, error) {
	dir, err := os.MkdirTemp("", "paybridge-loadtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	attrib := loadtest.NewAttribution()
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cl, err := startCluster(sctx, clusterOptions{
		Instances: o.Instances, DatabaseURL: o.DatabaseURL, RedisURL: o.RedisURL, Dir: dir,
		CloverLimits: o.CloverLimits, LatencyP50: o.P50, LatencyP99: o.P99, Margin: o.Margin,
		Merchants: o.Merchants, Attribution: attrib, TraceRequests: o.Trace != "",
	})
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	rep := newReport(o, "paybridge")
	rep.Setup.Target = "in-process"
	rep.Setup.Store = "sqlite"
	if o.DatabaseURL != "" {
		rep.Setup.Store = "postgres"
	}
	rep.Setup.Governor = "local"
	if o.RedisURL != "" {
		rep.Setup.Governor = "redis"
	}
	var apis []*loadtest.API
	for _, m := range cl.Mains {
		apis = append(apis, loadtest.NewAPI(m.URL, attrib))
	}
	tz := loadtest.NewTokenizer(cl.SimURL)
	streams, err := scenarioStreams(sctx, o, cl, apis, tz)
	if err != nil {
		return nil, err
	}
	stopTrace, err := startTrace(o.Trace)
	if err != nil {
		return nil, err
	}
	measureCluster(ctx, o, cl, rep, streams)
	if err := stopTrace(); err != nil {
		return nil, err
	}

	if o.Baseline == "naive" {
		// Let every budget window of the paybridge run close first.
		t := time.NewTimer(1100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		nv := loadtest.NewNaive(cl.SimURL)
		var ns []loadtest.Arrivals
		for i, m := range cl.Merchants {
			g, rate := "hot", o.Rate
			if i > 0 {
				g, rate = "others", o.OthersRate
			}
			ns = append(ns, loadtest.Arrivals{Group: g, Rate: rate, Do: nv.Pay(tz, m, cl.Tokens[i])})
		}
		naive := newReport(o, "naive")
		naive.Setup.Target = "in-process"
		measureCluster(ctx, o, cl, naive, ns)
		rep.Compare(naive)
	}
	rep.RSSMB = loadtest.PeakRSSMB()
	return rep, nil
}

// scenarioStreams builds the arrivals of o.Scenario, spreading them over
// the instances in turn.
func scenarioStreams(ctx context.Context, o loadOptions, cl *cluster, apis []*loadtest.API, tz *loadtest.Tokenizer) ([]loadtest.Arrivals, error) {
	var out []loadtest.Arrivals
	for i, m := range cl.Merchants {
		g, rate := "hot", o.Rate
		if i > 0 {
			g, rate = "others", o.OthersRate
		}
		api := apis[i%len(apis)]
		var do func(context.Context, int) loadtest.Sample
		switch o.Scenario {
		case "pay":
			per := make([]func(context.Context, int) loadtest.Sample, len(apis))
			for k, a := range apis {
				per[k] = loadtest.Pay(a, tz, m)
			}
			do = func(ctx context.Context, n int) loadtest.Sample { return per[n%len(per)](ctx, n) }
		case "read", "webhooks":
			ids, orders, err := seedInvoices(ctx, api, m, 20)
			if err != nil {
				return nil, err
			}
			if o.Scenario == "read" {
				do = loadtest.Read(api, m, ids)
			} else {
				do = loadtest.Webhook(api, cl.Mains[0].Config.Events.CloverWebhookAuthCode, cl.Mains[0].Config.Clover.AppID, m, orders)
			}
		}
		out = append(out, loadtest.Arrivals{Group: g, Rate: rate, Do: do})
	}
	return out, nil
}

// seedInvoices creates n open invoices for m and returns their ids and
// Clover order ids, once their orders are made.
func seedInvoices(ctx context.Context, api *loadtest.API, m *loadtest.Merchant, n int) (ids, orders []string, err error) {
	for i := range n {
		var inv struct {
			ID string `json:"id"`
		}
		st, _, err := api.Call(ctx, m.Key, "POST", "/v1/invoices", map[string]any{
			"customer_id": m.CustomerID, "currency": "usd",
			"line_items": []map[string]any{{"description": "Seed", "quantity": 1, "unit_amount": 1000 + i}},
		}, &inv)
		if err != nil || st != http.StatusCreated {
			return nil, nil, fmt.Errorf("seed invoice: status %d: %v", st, err)
		}
		ids = append(ids, inv.ID)
	}
	// Local first: each invoice's Clover order is made by a job.
	deadline := time.Now().Add(2 * time.Minute)
	for _, id := range ids {
		for {
			var inv struct {
				CloverOrderID string `json:"clover_order_id"`
			}
			st, _, err := api.Call(ctx, m.Key, "GET", "/v1/invoices/"+id, nil, &inv)
			if err != nil || st != http.StatusOK {
				return nil, nil, fmt.Errorf("seed invoice %s: status %d: %v", id, st, err)
			}
			if inv.CloverOrderID != "" {
				orders = append(orders, inv.CloverOrderID)
				break
			}
			if time.Now().After(deadline) {
				return nil, nil, fmt.Errorf("seed invoice %s: no Clover order after 2 minutes", id)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return ids, orders, nil
}

// measureCluster runs streams and fills rep from the samples and the Meter.
//
// Double charges are orders paid by more than one distinct Clover charge,
// from cloversim's answers as the Meter saw them; the ledger check below
// makes sure every charge cloversim booked was one of those answers.
func measureCluster(ctx context.Context, o loadOptions, cl *cluster, rep *loadtest.Report, streams []loadtest.Arrivals) {
	hot := cl.Merchants[0].Token
	limited0 := cl.Meter.App(time.Time{}, time.Time{}).Limited
	kinds0 := cl.Meter.LimitKinds()
	orders0, doubles0 := cl.Meter.OrderCharges()
	ledger0 := len(cl.Sim.Ledger(""))
	t0, cpu0 := time.Now(), loadtest.ReadCPU()
	samples := loadtest.Run(ctx, loadtest.RunOptions{Duration: o.Duration, Timeout: o.Timeout}, streams...)
	end, cpu1 := time.Now(), loadtest.ReadCPU()
	rep.Summarize(samples, o.Duration)
	rep.RecordCPU(cpu0, cpu1)
	app := cl.Meter.App(t0, end)
	rep.Clover429s = app.Limited - limited0
	for k, v := range cl.Meter.LimitKinds() {
		if d := v - kinds0[k]; d > 0 {
			if rep.Clover429Kinds == nil {
				rep.Clover429Kinds = map[string]int{}
			}
			rep.Clover429Kinds[k] = d
		}
	}
	rep.MaxPerSecondApp = app.MaxPerSecond
	tok := cl.Meter.Token(hot, t0, t0.Add(o.Duration))
	rep.MaxPerSecondToken = tok.MaxPerSecond
	if o.CloverLimits {
		rep.BudgetUtilization = round3(float64(tok.Admitted) / (clover.DefaultBudget.TokenRPS * o.Duration.Seconds()))
	}
	if rep.Completed > 0 && o.Scenario == "pay" {
		// Calls made for the payments that completed (429s included);
		// under overload, calls for payments that timed out are wasted
		// and show in budget_utilization rather than here.
		calls, n := 0, 0
		for _, s := range samples {
			if s.OK && s.CloverCalls >= 0 {
				calls += s.CloverCalls
				n++
			}
		}
		if n > 0 {
			rep.CloverCallsPerPayment = round3(float64(calls) / float64(n))
		}
	}
	orders, doubles := cl.Meter.OrderCharges()
	rep.DoubleCharges = doubles - doubles0
	charges := 0
	for _, e := range cl.Sim.Ledger("")[ledger0:] {
		if e.Kind == cloversim.KindCharge {
			charges++
		}
	}
	if seen := orders - orders0 + rep.DoubleCharges; seen != charges {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s: cloversim's ledger booked %d charges, its answers paid %d orders with %d charges (a charge outside an order pay, or one booked after the run)",
			rep.Mode, charges, orders-orders0, seen))
	}
	rep.RSSMB = loadtest.PeakRSSMB()
}

// countPayments counts a merchant's payments with status through the API.
func countPayments(ctx context.Context, api *loadtest.API, m *loadtest.Merchant, status string) int {
	n, cursor := 0, ""
	for range 10000 {
		var page struct {
			Data       []json.RawMessage `json:"data"`
			HasMore    bool              `json:"has_more"`
			NextCursor string            `json:"next_cursor"`
		}
		path := "/v1/payments?limit=100&status=" + status
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		st, _, err := api.Call(ctx, m.Key, "GET", path, nil, &page)
		if err != nil || st != http.StatusOK {
			return n
		}
		n += len(page.Data)
		if !page.HasMore || page.NextCursor == "" {
			return n
		}
		cursor = page.NextCursor
	}
	return n
}

func newReport(o loadOptions, mode string) *loadtest.Report {
	p50, p99 := float64(o.P50)/float64(time.Millisecond), float64(o.P99)/float64(time.Millisecond)
	return &loadtest.Report{
		Scenario: o.Scenario, Mode: mode, Rate: o.Rate,
		Setup: loadtest.Setup{
			Merchants: o.Merchants, Instances: o.Instances, CloverLimits: o.CloverLimits,
			CloverP50MS: p50, CloverP99MS: p99, TokenRPS: clover.DefaultBudget.TokenRPS,
			Machine: loadtest.Machine(), GoVersion: runtime.Version(), RequestTimout: o.Timeout.Seconds(),
		},
	}
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// printReport writes the headline figures for a person.
func printReport(w io.Writer, r *loadtest.Report) {
	line := func(r *loadtest.Report) {
		fmt.Fprintf(w, "%-9s %d arrivals, %d ok, %d errors, %.1f/s; added p50/p90/p99 %.1f/%.1f/%.1f ms; budget wait p99 %.0f ms; total p99 %.0f ms\n",
			r.Mode, r.Arrivals, r.Completed, r.Errors, r.Throughput, r.P50, r.P90, r.P99, r.BudgetWaitP99, r.TotalP99)
		fmt.Fprintf(w, "          clover 429s %d, calls/payment %.2f, double charges %d, budget utilization %.1f%%, busiest second %d (token) %d (app), rss %.0f MB\n",
			r.Clover429s, r.CloverCallsPerPayment, r.DoubleCharges, 100*r.BudgetUtilization, r.MaxPerSecondToken, r.MaxPerSecondApp, r.RSSMB)
		if r.HostCPUBusy > 0 {
			fmt.Fprintf(w, "          cpu %.2f ms per completed (this process), host cpu %.0f%% busy\n", r.CPUMSPerCompleted, 100*r.HostCPUBusy)
		}
		for g, l := range r.Groups {
			fmt.Fprintf(w, "          %-7s %d ok; added p99 %.1f ms, with budget wait %.1f ms\n", g, l.Count, l.P99, l.AddedWithBudgetP99)
		}
	}
	line(r)
	if r.Baseline != nil {
		line(r.Baseline)
		fmt.Fprintf(w, "paybridge ÷ naive: %v\n", r.Ratios)
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}
