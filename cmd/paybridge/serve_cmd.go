package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// runServe is `paybridge serve`: the API, pay pages and jobs. With no Clover
// app configured it runs in sandbox mode (DESIGN.md §2).
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(environ())
	if err != nil {
		return err
	}
	fs := newFlagSet("serve", "Serve the paybridge API and pay pages. With no PAYBRIDGE_CLOVER_APP_ID set it runs\n"+
		"in sandbox mode: SQLite in the data dir, an embedded cloversim, a connected demo merchant,\n"+
		"and everything needed to try it in <data-dir>/sandbox.json.\n\n"+
		"Sandbox mode keeps everything in the data dir, cloversim's state included (cloversim.db),\n"+
		"and restarts where it stopped: the same ports (API 127.0.0.1:8080, cloversim the API's\n"+
		"port + 1, 127.0.0.1:8081), the same API key and platform secret, the same merchants.\n"+
		"`paybridge sandbox reset --data-dir DIR` deletes it all to start afresh.", stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (PAYBRIDGE_ADDR)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (PAYBRIDGE_DATA_DIR)")
	fs.StringVar(&cfg.SandboxCloverAddr, "clover-addr", cfg.SandboxCloverAddr, "sandbox mode: the embedded cloversim's listen address\n(PAYBRIDGE_SANDBOX_CLOVER_ADDR; default the API's host and port + 1)")
	if err := parse(fs, args); err != nil {
		return err
	}
	m := &Main{Config: cfg, Logger: newLogger(stderr, cfg.LogLevel), Stdout: stdout}
	if err := m.Run(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	m.Logger.Info("shutting down")
	return m.Close()
}

// environ returns the process environment as a map.
func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// newLogger returns a JSON logger at level (debug, info, warn, error).
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		fmt.Fprintf(w, "paybridge: unknown log level %q, using info\n", level)
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
