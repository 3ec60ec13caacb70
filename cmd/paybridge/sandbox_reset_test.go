package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSandboxReset deletes a sandbox's data dir and refuses one that is
// not a sandbox's (a production data dir has no sandbox files).
func TestSandboxReset(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"paybridge.db", "keys.json"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	if err := runSandbox(context.Background(), []string{"reset", "--data-dir", dir}, &out, &errb); err == nil || !strings.Contains(err.Error(), "not a sandbox") {
		t.Fatalf("reset of a non-sandbox dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "paybridge.db")); err != nil {
		t.Fatal("the refused reset deleted something")
	}
	if err := os.WriteFile(filepath.Join(dir, "cloversim.db"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := runSandbox(context.Background(), []string{"reset", "--data-dir", dir}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("data dir still there: %v", err)
	}
}

// TestSandboxPortTaken: a taken port is a clear error naming the part and
// the setting that moves it, for the API and for the embedded cloversim.
func TestSandboxPortTaken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, tc := range []struct{ api, sim, want string }{
		{ln.Addr().String(), "", "paybridge cannot listen on " + ln.Addr().String() + ": the port is taken"},
		{"127.0.0.1:0", ln.Addr().String(), "cloversim cannot listen on " + ln.Addr().String() + ": the port is taken"},
	} {
		cfg, err := loadConfig(map[string]string{})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Addr, cfg.SandboxCloverAddr, cfg.DataDir = tc.api, tc.sim, t.TempDir()
		m := &Main{Config: cfg}
		err = m.Run(context.Background()) // a failed Run closes what it opened
		if err == nil {
			m.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "ADDR") {
			t.Fatalf("Run = %v, want %q", err, tc.want)
		}
	}
}
