package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paybridge/paybridge/loadtest"
)

// TestLoadtestCommand runs a short pay load with the naive baseline through
// the real command and checks the report's figures are measured, not
// defaulted.
func TestLoadtestCommand(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"loadtest", "--rate", "4", "--duration", "1s", "--baseline", "naive", "--json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r loadtest.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report: %v: %s", err, out.String())
	}
	if r.Arrivals != 4 || r.Completed != 4 || r.Errors != 0 {
		t.Fatalf("arrivals %d, completed %d, errors %d (%v)", r.Arrivals, r.Completed, r.Errors, r.ErrorKinds)
	}
	// The pay, and the invoice's order when the payment makes it before
	// the order's job does (invoices are local first).
	if r.Clover429s != 0 || r.DoubleCharges != 0 || r.CloverCallsPerPayment < 1 || r.CloverCallsPerPayment > 2 {
		t.Errorf("429s %d, double charges %d, calls per payment %v; want 0, 0, 1 to 2 (pay, order)", r.Clover429s, r.DoubleCharges, r.CloverCallsPerPayment)
	}
	if r.P50 <= 0 || r.TotalP50 <= r.P50 || r.CloverP50 <= 0 || r.RSSMB <= 0 {
		t.Errorf("latencies not measured: added p50 %v, total p50 %v, clover p50 %v, rss %v", r.P50, r.TotalP50, r.CloverP50, r.RSSMB)
	}
	if r.CPUMSPerCompleted <= 0 || r.HostCPUBusy <= 0 || r.HostCPUBusy > 1 {
		t.Errorf("cpu not measured: %v ms per completed, host %v busy", r.CPUMSPerCompleted, r.HostCPUBusy)
	}
	if r.Baseline == nil || r.Baseline.Completed != 4 || r.Baseline.CloverCallsPerPayment != 3 {
		t.Fatalf("naive baseline: %+v, want 4 payments at 3 calls each (customer, order, pay)", r.Baseline)
	}
	if r.Ratios["clover_calls_per_payment"] == 0 {
		t.Errorf("ratios %v", r.Ratios)
	}
}

func TestLoadtestTalksToLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2", "postgres://u@/db?host=/var/run/postgresql"} {
		if err := loopbackOnly(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://203.0.113.7:8080", "postgres://u@db.example.com/db", "postgres://u@/db?host=db.example.com", "redis://10.0.0.1:6379/0"} {
		if loopbackOnly(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"loadtest", "--target", "http://203.0.113.7:8080", "--duration", "1s"}, &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "only talks to loopback") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
}

// TestLoadtestAgainstTarget drives a running sandbox from outside, as
// `paybridge loadtest --target` does against `paybridge serve`: payments
// complete, and Clover's figures and the CPU come from the target's own
// /metrics and cloversim.
func TestLoadtestAgainstTarget(t *testing.T) {
	t.Parallel()
	e := startSandbox(t)
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"loadtest", "--target", e.m.URL, "--sandbox-file",
		filepath.Join(e.m.Config.DataDir, "sandbox.json"), "--rate", "4", "--duration", "1s", "--json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r loadtest.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report: %v: %s", err, out.String())
	}
	if r.Completed != 4 || r.Errors != 0 || r.DoubleCharges != 0 || r.CloverCallsPerPayment < 2 {
		t.Errorf("completed %d, errors %d (%v), double charges %d, calls per payment %v", r.Completed, r.Errors,
			r.ErrorKinds, r.DoubleCharges, r.CloverCallsPerPayment)
	}
	if r.P50 <= 0 || r.RSSMB <= 0 || r.CPUMSPerCompleted <= 0 || r.HostCPUBusy <= 0 {
		t.Errorf("not measured: p50 %v, rss %v, cpu %v ms per completed, host %v busy", r.P50, r.RSSMB,
			r.CPUMSPerCompleted, r.HostCPUBusy)
	}
}

// TestLoadtestTrace: --trace writes a runtime trace of the measured run in
// which each API request is a task named for its route, and is refused
// with --target, whose paybridge runs in another process.
func TestLoadtestTrace(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "run.trace")
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"loadtest", "--rate", "4", "--duration", "1s", "--trace", path, "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("go 1.")) {
		t.Fatalf("not a Go runtime trace: %q", b[:min(len(b), 16)])
	}
	for _, task := range []string{"POST /v1/invoices", "POST /v1/invoices/{id}/payments"} {
		if !bytes.Contains(b, []byte(task)) {
			t.Errorf("no task %q in the trace", task)
		}
	}
	out.Reset()
	errb.Reset()
	code := run(t.Context(), []string{"loadtest", "--target", "http://127.0.0.1:1", "--trace", path}, &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "cannot trace a --target") {
		t.Errorf("--trace with --target: exit %d: %s", code, errb.String())
	}
}
