package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/store"
)

// killChildEnv names the data directory of a re-executed test binary that
// serves paybridge in sandbox mode until it is killed.
const killChildEnv = "PAYBRIDGE_E2E_KILL_CHILD_DIR"

// acked is an API answer a client received: the idempotency key it sent,
// the status and the object's id and status in the body.
type acked struct {
	key, id, status string
	code            int
}

// TestKill9LosesNoAcknowledgedWrite drives paybridge (a child process, on
// SQLite, through the API with Idempotency-Keys, eight clients at once, so
// commits are grouped and deferred) and kills it by SIGKILL mid-stream.
// Every answer a client received must be in the database afterwards: the
// invoice or payment in the state it was told, and the key's stored
// response with the same status (DESIGN.md §8: a kill -9 loses no
// acknowledged payment).
func TestKill9LosesNoAcknowledgedWrite(t *testing.T) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		killChild(t, dir)
		return
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9LosesNoAcknowledgedWrite$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	var sb struct {
		APIURL    string `json:"api_url"`
		APIKey    string `json:"api_key"`
		CloverURL string `json:"clover_url"`
		PAKMS     string `json:"pakms_key"`
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(dir, "sandbox.json")); err == nil && json.Unmarshal(b, &sb) == nil && sb.APIKey != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never wrote sandbox.json")
		}
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	post := func(url, key, idem string, body any, hdr map[string]string) (int, map[string]any, error) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var out map[string]any
		err = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out, err
	}
	code, cus, err := post(sb.APIURL+"/v1/customers", sb.APIKey, "kill-cus", map[string]any{"email": "k@example.com", "name": "K"}, nil)
	if err != nil || code != http.StatusCreated {
		t.Fatalf("customer: %d %v", code, err)
	}

	var mu sync.Mutex
	var acks []acked
	record := func(key string, code int, out map[string]any) {
		id, _ := out["id"].(string)
		status, _ := out["status"].(string)
		mu.Lock()
		acks = append(acks, acked{key: key, id: id, status: status, code: code})
		mu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ik := fmt.Sprintf("kill-inv-%d-%d", w, i)
				code, inv, err := post(sb.APIURL+"/v1/invoices", sb.APIKey, ik, map[string]any{
					"customer_id": cus["id"], "currency": "usd",
					"line_items": []map[string]any{{"description": "Visit", "quantity": 1, "unit_amount": 5000 + i}},
				}, nil)
				if err != nil {
					return // killed
				}
				if code != http.StatusCreated {
					t.Errorf("invoice: %d %v", code, inv)
					return
				}
				record(ik, code, inv)
				_, tok, err := post(sb.CloverURL+"/v1/tokens", "", "", map[string]any{"card": map[string]any{
					"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvv": "123"}},
					map[string]string{"apikey": sb.PAKMS})
				if err != nil {
					return
				}
				pk := "kill-pay-" + ik
				code, pay, err := post(sb.APIURL+"/v1/invoices/"+inv["id"].(string)+"/payments", sb.APIKey, pk,
					map[string]any{"source": tok["id"]}, nil)
				if err != nil {
					return
				}
				record(pk, code, pay)
			}
		}()
	}
	// Kill once some payments are acknowledged, with more in flight.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(acks)
		mu.Unlock()
		if n >= 40 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d answers in 30 s", n)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed = true
	close(stop)
	wg.Wait()

	db, err := store.Open(context.Background(), filepath.Join(dir, "paybridge.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mer string
	if err := db.Writer().QueryRow(`SELECT id FROM merchants LIMIT 1`).Scan(&mer); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mu.Lock()
	defer mu.Unlock()
	payments := 0
	for _, a := range acks {
		var got string
		if len(a.id) > 4 && a.id[:4] == "pay_" {
			payments++
			p, err := db.GetPayment(ctx, mer, a.id)
			if err != nil {
				t.Errorf("acknowledged payment %s (%s) is gone: %v", a.id, a.status, err)
				continue
			}
			got = string(p.Status)
		} else {
			inv, err := db.GetInvoice(ctx, mer, a.id)
			if err != nil {
				t.Errorf("acknowledged invoice %s is gone: %v", a.id, err)
				continue
			}
			got = string(inv.Status)
			if got == string(paybridge.InvoicePaid) {
				got = a.status // paid since it was created: not a loss
			}
		}
		if got != a.status {
			t.Errorf("%s was acknowledged %s, stored %s", a.id, a.status, got)
		}
		var completed bool
		var status int
		if err := db.Writer().QueryRow(`SELECT completed, status FROM idempotency_keys WHERE merchant_id = $1 AND key = $2`,
			mer, a.key).Scan(&completed, &status); err != nil || !completed || status != a.code {
			t.Errorf("key %s was answered %d; stored: completed %v status %d (%v)", a.key, a.code, completed, status, err)
		}
	}
	if payments == 0 {
		t.Fatal("no payment was acknowledged before the kill")
	}
	t.Logf("%d answers (%d payments) acknowledged before SIGKILL", len(acks), payments)
}

// killChild serves paybridge in sandbox mode in dir until killed.
func killChild(t *testing.T, dir string) {
	cfg, err := loadConfig(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", dir
	m := &Main{Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	select {} // until SIGKILL
}
