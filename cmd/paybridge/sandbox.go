package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/clover/cloversim"
)

// sandboxInfo is the one JSON line `paybridge sandbox` prints on stdout once
// it listens: everything a client needs to talk to the emulator.
type sandboxInfo struct {
	BaseURL          string `json:"base_url"`
	AppID            string `json:"app_id"`
	ClientID         string `json:"client_id"`
	ClientSecret     string `json:"client_secret"`
	MerchantID       string `json:"merchant_id"`
	AccessToken      string `json:"access_token"`
	PAKMSKey         string `json:"pakms_key"`
	WebhookAuthCode  string `json:"webhook_auth_code"`
	HCOSigningSecret string `json:"hco_signing_secret"`
}

// runSandbox runs cloversim alone: it listens first (port 0 works), then
// prints one JSON line on stdout, logs JSON to stderr, and serves until ctx
// ends (SIGINT/SIGTERM), shutting down gracefully.
func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "reset" {
		return runSandboxReset(args[1:], stdout, stderr)
	}
	fs := newFlagSet("sandbox", "Run cloversim, the Clover emulator, on its own. Once listening it prints one JSON\n"+
		"line on stdout: {base_url, app_id, client_id, client_secret, merchant_id, access_token,\n"+
		"pakms_key, webhook_auth_code, hco_signing_secret}. Logs go to stderr as JSON.\n\n"+
		"With --data-dir its whole state lives in DIR/cloversim.db (written before each answer,\n"+
		"so it survives kill -9) and a restart carries on with the same identity and objects;\n"+
		"without, it lives in memory. `paybridge sandbox reset --data-dir DIR` starts afresh\n"+
		"(for serve's sandbox mode too).", stderr)
	dataDir := fs.String("data-dir", "", "keep the state in DIR/cloversim.db across restarts (default: in memory)")
	addr := fs.String("addr", "127.0.0.1:8089", "listen address (port 0 picks a free port)")
	p50 := fs.Duration("latency-p50", 0, "median injected latency, e.g. 50ms (0 = none)")
	p99 := fs.Duration("latency-p99", 0, "99th-percentile injected latency (log-normal between p50 and p99)")
	errRate := fs.Float64("error-rate", 0, "probability [0,1] of an injected 500/502/503")
	timeoutRate := fs.Float64("timeout-after-commit-rate", 0, "probability [0,1] that a write commits but never answers")
	limitRate := fs.Float64("rate-limit-rate", 0, "probability [0,1] of an injected 429")
	declinedCaptured := fs.Float64("declined-but-captured-rate", 0, "probability [0,1] that a charge or order pay that went through answers a 402 decline\n(the charge stays captured: Clover's automatic void failed)")
	seed := fs.Int64("seed", 1, "seed of the fault dice (same seed, same faults)")
	limits := fs.String("limits", "on", "enforce Clover's rate limits: on|off")
	currency := fs.String("currency", "usd", "the sandbox merchant's currency (lowercase ISO 4217, e.g. cad): its charges and orders must be in it")
	merchantID := fs.String("merchant-id", "", "the sandbox merchant's Clover id, 13 of A-Z and 0-9 (default: random)")
	merchantLimits := fs.String("merchant-limits", "", "per-token limits of some merchants, as Clover gives hand-made tokens less:\nMID=RPS/CONCURRENT,… (either number optional)")
	webhookURL := fs.String("webhook-url", "", "URL receiving platform webhooks (X-Clover-Auth)")
	checkoutURL := fs.String("checkout-webhook-url", "", "URL receiving hosted-checkout webhooks (Clover-Signature)")
	forwardedFor := fs.String("forwarded-for", "required", "x-forwarded-for on charge create and order pay, as Clover has required since fall 2023:\nrequired (refused with a 400 without it) | optional")
	refreshCap := fs.Int("refresh-token-cap", cloversim.DefaultRefreshTokenCap, "active refresh tokens an app may hold per merchant; older ones become invalid\n(Clover caps them without saying how many: the default is UNCONFIRMED; -1 = no cap)")
	revokeOnRefresh := fs.Bool("revoke-access-on-refresh", false, "a refresh invalidates the access token issued with the spent refresh token\n(undocumented by Clover either way)")
	logLevel := fs.String("log-level", "info", "debug|info|warn|error")
	orderParents := fs.Bool("order-create-parent", false, "put each item's parent in order-create answers (default: left out, as in Clover's docs)")
	checkoutTimes := fs.String("checkout-times", "iso", "Hosted Checkout session times: iso (ISO-8601 strings, as seen) | ms (Unix milliseconds, as documented)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *checkoutTimes != "iso" && *checkoutTimes != "ms" {
		fmt.Fprintln(stderr, "paybridge sandbox: --checkout-times must be iso or ms")
		return errUsage
	}
	if *limits != "on" && *limits != "off" {
		fmt.Fprintln(stderr, "paybridge sandbox: --limits must be on or off")
		return errUsage
	}
	if *forwardedFor != "required" && *forwardedFor != "optional" {
		fmt.Fprintln(stderr, "paybridge sandbox: --forwarded-for must be required or optional")
		return errUsage
	}
	for _, r := range []float64{*errRate, *timeoutRate, *limitRate, *declinedCaptured} {
		if r < 0 || r > 1 {
			fmt.Fprintln(stderr, "paybridge sandbox: rates must be within [0,1]")
			return errUsage
		}
	}
	if !paybridge.ValidCurrency(*currency) {
		fmt.Fprintln(stderr, "paybridge sandbox: --currency must be a lowercase ISO 4217 code paybridge supports, e.g. usd or cad")
		return errUsage
	}
	if *refreshCap == 0 || *refreshCap < -1 {
		fmt.Fprintln(stderr, "paybridge sandbox: --refresh-token-cap must be a positive number or -1 (no cap)")
		return errUsage
	}
	if *merchantID != "" && !clover.ValidID(*merchantID) {
		fmt.Fprintln(stderr, "paybridge sandbox: --merchant-id must be 13 characters of A-Z and 0-9")
		return errUsage
	}
	perMerchant, err := clover.ParseMerchantBudgets(*merchantLimits)
	if err != nil {
		fmt.Fprintf(stderr, "paybridge sandbox: --merchant-limits: %v\n", err)
		return errUsage
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(stderr, "paybridge sandbox: bad --log-level")
		return errUsage
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))

	ln, err := listen(ctx, *addr, "cloversim", "--addr")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	budget := clover.DefaultBudget
	budget.Merchants = perMerchant
	simOpts := cloversim.Options{
		LimitsOff:             *limits == "off",
		Limits:                budget,
		MerchantID:            *merchantID,
		MerchantCurrency:      *currency,
		RefreshTokenCap:       *refreshCap,
		RevokeAccessOnRefresh: *revokeOnRefresh,
		ForwardedForOptional:  *forwardedFor == "optional",
		Faults: cloversim.Faults{LatencyP50: *p50, LatencyP99: *p99, ErrorRate: *errRate,
			TimeoutAfterCommitRate: *timeoutRate, RateLimitRate: *limitRate, DeclinedButCapturedRate: *declinedCaptured},
		Seed:               *seed,
		Shapes:             cloversim.Shapes{OrderCreateParents: *orderParents, CheckoutTimesMillis: *checkoutTimes == "ms"},
		WebhookURL:         *webhookURL,
		CheckoutWebhookURL: *checkoutURL,
		BaseURL:            base,
		Logger:             log,
	}
	sim, err := openSim(*dataDir, simOpts)
	if err != nil {
		ln.Close()
		return err
	}
	defer sim.Close()
	o := sim.Options()
	line, err := json.Marshal(sandboxInfo{
		BaseURL: base, AppID: o.AppID, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		MerchantID: o.MerchantID, AccessToken: o.AccessToken, PAKMSKey: o.PAKMSKey,
		WebhookAuthCode: o.WebhookAuthCode, HCOSigningSecret: o.HCOSigningSecret,
	})
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		srv.Close()
		return err
	}
	log.Info("cloversim listening", "base_url", base, "merchant_id", o.MerchantID, "limits", *limits)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("cloversim shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Hung requests (timeout-after-commit) never finish on their own.
		srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openSim is an in-memory Sim, or with a data dir one kept in
// DIR/cloversim.db.
func openSim(dataDir string, o cloversim.Options) (*cloversim.Sim, error) {
	if dataDir == "" {
		return cloversim.New(o), nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	return cloversim.Open(filepath.Join(dataDir, "cloversim.db"), o)
}
