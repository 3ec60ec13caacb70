package main

import (
	"context"
	"encoding/base64"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paybridge/paybridge/clover/cloversim"
)

// Clover's App ID is the OAuth client_id and its App Secret the
// client_secret: either name of each is accepted, and what cannot work is
// refused at start with both names in the message (issue 24).
func TestCloverAppConfigNames(t *testing.T) {
	t.Parallel()
	const id, other = "APP0000000001", "APP0000000002"
	for name, tc := range map[string]struct {
		env            map[string]string
		wantID, wantSk string
		wantErr        string
	}{
		"app names":    {env: map[string]string{"PAYBRIDGE_CLOVER_APP_ID": id, "PAYBRIDGE_CLOVER_APP_SECRET": "s"}, wantID: id, wantSk: "s"},
		"client names": {env: map[string]string{"PAYBRIDGE_CLOVER_CLIENT_ID": id, "PAYBRIDGE_CLOVER_CLIENT_SECRET": "s"}, wantID: id, wantSk: "s"},
		"both, equal":  {env: map[string]string{"PAYBRIDGE_CLOVER_APP_ID": id, "PAYBRIDGE_CLOVER_CLIENT_ID": id}, wantID: id},
		"ids differ":   {env: map[string]string{"PAYBRIDGE_CLOVER_APP_ID": id, "PAYBRIDGE_CLOVER_CLIENT_ID": other}, wantErr: "PAYBRIDGE_CLOVER_APP_ID and PAYBRIDGE_CLOVER_CLIENT_ID differ"},
		"secrets differ": {env: map[string]string{"PAYBRIDGE_CLOVER_APP_ID": id, "PAYBRIDGE_CLOVER_APP_SECRET": "a", "PAYBRIDGE_CLOVER_CLIENT_SECRET": "b"},
			wantErr: "PAYBRIDGE_CLOVER_APP_SECRET and PAYBRIDGE_CLOVER_CLIENT_SECRET differ"},
		"not a Clover id": {env: map[string]string{"PAYBRIDGE_CLOVER_CLIENT_ID": "my-app"}, wantErr: `"my-app" is not a Clover App ID`},
		"sandbox":         {env: map[string]string{}},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := loadConfig(tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "\"a\"") || strings.Contains(err.Error(), "\"b\"") {
					t.Fatalf("the error shows a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Clover.AppID != tc.wantID || c.Clover.AppSecret != tc.wantSk || c.Sandbox() != (tc.wantID == "") {
				t.Fatalf("app %q secret %q sandbox %v", c.Clover.AppID, c.Clover.AppSecret, c.Sandbox())
			}
		})
	}
}

// Pointed at a cloversim, serve checks at start that it serves the
// configured app: what `paybridge sandbox` prints as app_id or client_id
// works, another app's id fails with a message saying what to set.
func TestServeChecksTheSimulatedApp(t *testing.T) {
	t.Parallel()
	sim := cloversim.New(cloversim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	o := sim.Options()
	if o.ClientID != o.AppID {
		t.Fatalf("cloversim's client_id %s is not its app id %s, as Clover's are one", o.ClientID, o.AppID)
	}
	start := func(env map[string]string) error {
		dir := t.TempDir()
		env["PAYBRIDGE_ADDR"] = "127.0.0.1:0"
		env["PAYBRIDGE_DATA_DIR"] = dir
		env["PAYBRIDGE_MASTER_KEY"] = base64.StdEncoding.EncodeToString(make([]byte, 32))
		env["PAYBRIDGE_SERVER_IP"] = "127.0.0.1"
		for _, k := range []string{"ECOMMERCE", "TOKENIZER", "WEB", "API", "CHECKOUT"} {
			env["PAYBRIDGE_CLOVER_"+k+"_URL"] = srv.URL
		}
		cfg, err := loadConfig(env)
		if err != nil {
			return err
		}
		cfg.KeyringPath = filepath.Join(dir, "keys.json")
		m := &Main{Config: cfg}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := m.Run(ctx); err != nil {
			return err
		}
		return m.Close()
	}
	if err := start(map[string]string{"PAYBRIDGE_CLOVER_CLIENT_ID": o.ClientID, "PAYBRIDGE_CLOVER_CLIENT_SECRET": o.ClientSecret}); err != nil {
		t.Fatalf("with the printed client_id: %v", err)
	}
	err := start(map[string]string{"PAYBRIDGE_CLOVER_APP_ID": cloversim.NewID(), "PAYBRIDGE_CLOVER_APP_SECRET": o.ClientSecret})
	if err == nil || !strings.Contains(err.Error(), "serves app "+o.AppID) {
		t.Fatalf("another app's id: err = %v, want it to name the served app", err)
	}
}
