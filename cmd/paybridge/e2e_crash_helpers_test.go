package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover/cloversim"
)

// crashChildEnv names the spec file of a re-executed test binary that
// serves paybridge (production mode, against the parent's cloversim) until
// it is killed; TestMain runs it.
const crashChildEnv = "PAYBRIDGE_E2E_CRASH_CHILD"

// crashSpec is what a crash child runs: a Config, and where to write the
// URL it listens on.
type crashSpec struct {
	Config  Config
	URLFile string
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		os.Exit(crashChild(spec))
	}
	os.Exit(m.Run())
}

// crashChild serves the spec's paybridge until SIGKILL.
func crashChild(path string) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var spec crashSpec
	err = gob.NewDecoder(f).Decode(&spec)
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	m := &Main{Config: spec.Config}
	if err := m.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "Run:", err)
		return 2
	}
	if err := os.WriteFile(spec.URLFile+".tmp", []byte(m.URL), 0o600); err == nil {
		_ = os.Rename(spec.URLFile+".tmp", spec.URLFile)
	}
	select {} // until SIGKILL
}

// crashRig is a cloversim in the test process and paybridge's database,
// for paybridge child processes that are killed with SIGKILL and started
// again: what Clover did survives every kill, so the ledger proves how
// often money moved.
type crashRig struct {
	t        *testing.T
	c        *cluster
	cfg      Config
	dir      string
	Key      string // the merchant's API key
	Customer string
	PAKMS    string
	hc       *http.Client
	n        *atomic.Int64
}

// startCrashRig sets up the database (dsn "" = SQLite) with a connected
// merchant and a customer, through an in-process paybridge it then closes.
func startCrashRig(t *testing.T, dsn string, tweak func(*Config)) *crashRig {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := startCluster(ctx, clusterOptions{Instances: 1, DatabaseURL: dsn, Dir: dir, Tweak: func(c *Config) {
		c.ReconcileInterval = 500 * time.Millisecond
		c.InstanceLease = 2 * time.Second
		c.PaymentWait = 3 * time.Second
		c.CloverTimeout = 2 * time.Second
		c.Events.WebhookAllowPrivate = true
		fastWebhooks(c)
		if tweak != nil {
			tweak(c)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	r := &crashRig{t: t, c: c, cfg: c.Mains[0].Config, dir: dir, Key: c.Merchants[0].Key, Customer: c.Merchants[0].CustomerID,
		PAKMS: c.Merchants[0].PAKMS, hc: &http.Client{Timeout: 30 * time.Second}, n: new(atomic.Int64)}
	if err := c.Mains[0].Close(); err != nil {
		t.Fatal(err)
	}
	c.Mains = nil
	return r
}

// with returns the rig reporting to t (a subtest).
func (r *crashRig) with(t *testing.T) *crashRig {
	c := *r
	c.t = t
	return &c
}

// crashChildProc is one paybridge child process.
type crashChildProc struct {
	cmd     *exec.Cmd
	URL     string
	Started time.Time
	done    bool
}

// start runs a child; halt names the phase it stops at (halt.go), ""
// none. It returns once the child listens.
func (r *crashRig) start(halt string, tweak func(*Config)) *crashChildProc {
	r.t.Helper()
	n := r.n.Add(1)
	cfg := r.cfg
	cfg.TestHaltAt, cfg.TestHaltFile = halt, r.haltFile()
	_ = os.Remove(cfg.TestHaltFile)
	if tweak != nil {
		tweak(&cfg)
	}
	spec := crashSpec{Config: cfg, URLFile: filepath.Join(r.dir, fmt.Sprintf("child-%d.url", n))}
	specPath := filepath.Join(r.dir, fmt.Sprintf("child-%d.gob", n))
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(spec); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(specPath, buf.Bytes(), 0o600); err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+specPath)
	cmd.Stderr = os.Stderr
	p := &crashChildProc{cmd: cmd, Started: time.Now()}
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(p.kill)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(spec.URLFile); err == nil && len(b) > 0 {
			p.URL = string(b)
			return p
		}
		if time.Now().After(deadline) {
			r.t.Fatal("the child never listened")
		}
	}
}

func (r *crashRig) haltFile() string { return filepath.Join(r.dir, "halted") }

// waitHalted waits until the child stopped at phase.
func (r *crashRig) waitHalted(phase string) {
	r.t.Helper()
	eventually(r.t, 30*time.Second, "the child halted at "+phase, func() bool {
		b, _ := os.ReadFile(r.haltFile())
		return string(b) == phase
	})
}

// kill sends SIGKILL and reaps the child.
func (p *crashChildProc) kill() {
	if p.done {
		return
	}
	p.done = true
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

// post sends one API POST (with an Idempotency-Key unless idem is "").
func (r *crashRig) post(base, path, idem string, body any) (int, map[string]any, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.Key)
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	return r.do(req)
}

// get sends one API GET.
func (r *crashRig) get(base, path string) (int, map[string]any, error) {
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+r.Key)
	return r.do(req)
}

func (r *crashRig) do(req *http.Request) (int, map[string]any, error) {
	resp, err := r.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	err = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, err
}

// token tokenizes the test Visa at cloversim.
func (r *crashRig) token() string {
	r.t.Helper()
	b, _ := json.Marshal(map[string]any{"card": map[string]any{"number": visaOK, "exp_month": "12", "exp_year": "2030", "cvv": "123"}})
	req, _ := http.NewRequest(http.MethodPost, r.c.SimURL+"/v1/tokens", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("apikey", r.PAKMS)
	st, out, err := r.do(req)
	if err != nil || st != http.StatusOK {
		r.t.Fatalf("tokenize: %d %v %v", st, out, err)
	}
	return out["id"].(string)
}

// invoice creates an open invoice of amount on child p.
func (r *crashRig) invoice(p *crashChildProc, amount int) string {
	r.t.Helper()
	st, out, err := r.post(p.URL, "/v1/invoices", "", r.invoiceBody(amount))
	if err != nil || st != http.StatusCreated {
		r.t.Fatalf("invoice: %d %v %v", st, out, err)
	}
	return out["id"].(string)
}

func (r *crashRig) invoiceBody(amount int) map[string]any {
	return map[string]any{"customer_id": r.Customer, "currency": "usd",
		"line_items": []map[string]any{{"description": "Visit", "quantity": 1, "unit_amount": amount}}}
}

// final retries a POST with its key until the answer is final and
// returns it with how long after since it came.
func (r *crashRig) final(base, path, idem string, body any, since time.Time) (int, map[string]any, time.Duration) {
	r.t.Helper()
	st, out, err := r.settle(func() string { return base }, path, idem, body, 60*time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	return st, out, time.Since(since)
}

// settle retries a POST with its key, at whatever base URL is current,
// while the answer is not final: no answer (a kill, a restart), 5xx, 202
// (processing) or 409 idempotency_in_flight. It fails after within.
func (r *crashRig) settle(base func() string, path, idem string, body any, within time.Duration) (int, map[string]any, error) {
	deadline := time.Now().Add(within)
	for {
		st, out, err := r.post(base(), path, idem, body)
		if err == nil && st < 500 && st != http.StatusAccepted && !(st == http.StatusConflict && out["code"] == "idempotency_in_flight") {
			return st, out, nil
		}
		if time.Now().After(deadline) {
			return st, out, fmt.Errorf("no final answer for %s in %s: %d %v %v", idem, within, st, out, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// charges counts cloversim's sales of amount (each test payment has an
// amount of its own).
func (r *crashRig) charges(amount int64) int {
	n := 0
	for _, le := range r.c.Sim.Ledger("") {
		if le.Kind == cloversim.KindCharge && le.Amount == amount {
			n++
		}
	}
	return n
}
