package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/clover/cloversim"
	"github.com/paybridge/paybridge/email"
	"github.com/paybridge/paybridge/httpapi"
	"github.com/paybridge/paybridge/jobs"
	"github.com/paybridge/paybridge/onboarding"
	"github.com/paybridge/paybridge/seal"
	"github.com/paybridge/paybridge/store"
	"github.com/paybridge/paybridge/web"
)

// Main is the running program: configuration in, every part wired, and
// Run/Close around them, so tests run the real thing on random ports.
type Main struct {
	Config Config
	Logger *slog.Logger
	Stdout io.Writer // the sandbox banner

	DB       *store.DB
	Keyring  *apikey.Keyring
	Sealer   *seal.Sealer
	Clover   *clover.Client
	Governor clover.Governor // wire_scale.go: *governor.Local, or *governor.Redis with PAYBRIDGE_REDIS_URL
	Service  *billing.Service
	Metrics  *httpapi.Metrics
	Sim      *cloversim.Sim // sandbox mode only
	// SimShapes picks the embedded cloversim's answer shapes where Clover's
	// sources disagree (sandbox mode; tests run paybridge against each).
	SimShapes cloversim.Shapes
	Sandbox   *SandboxInfo  // sandbox mode only
	Web       *web.Server   // wire_web.go: pay page, links, mail
	Outbox    *email.Outbox // sandbox mode only: the mail it "sends"
	URL       string        // where the API listens, e.g. http://127.0.0.1:8080
	// MetricsURL is where /metrics is served on its own listener
	// (Config.MetricsAddr), "" when it has none.
	MetricsURL string
	metricsSrv *http.Server
	Router     *httpapi.Router
	// WrapHandler, when set before Run, wraps the whole HTTP surface (the
	// benchmarks time paybridge's server side with it).
	WrapHandler func(http.Handler) http.Handler
	listener    net.Listener
	server      *http.Server
	simSrv      *http.Server
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	closeOnce   sync.Once // Close may be called again (a test's cleanup after a restart)
	closeErr    error

	Recovery   *httpapi.Recovery     // wire_recovery.go
	stopLease  context.CancelFunc    // wire_recovery.go
	leaseDone  chan struct{}         // wire_recovery.go
	halt       *halter               // halt.go: crash tests only
	Onboarding *onboarding.Service   // wire_onboarding.go
	Currencies onboarding.Currencies // each merchant's currency (config.go)
	Jobs       *jobs.Runner          // wire_events.go
	redis      *redis.Client         // wire_scale.go
	Clock      *billing.Clock        // wire_recurring.go: the sandbox test clock
	recurring  sync.Mutex            // wire_recurring.go: one recurring pass at a time
}

// Run opens everything and starts serving; it returns once listening.
func (m *Main) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	c := &m.Config
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return err
	}
	c.resolvePaths()
	if m.DB, err = store.Open(ctx, c.DatabaseURL, store.Options{Logger: m.Logger, Migrate: true}); err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	if err := m.startLease(ctx); err != nil { // wire_recovery.go
		return fmt.Errorf("instance lease: %w", err)
	}
	if m.Sealer, err = newSealer(c); err != nil {
		return err
	}
	if m.Keyring, err = openKeyring(ctx, m.DB, m.Sealer, c.KeyringPath); err != nil { // wire_keys.go
		return fmt.Errorf("keyring: %w", err)
	}
	serverIP, err := c.serverIP()
	if err != nil {
		return err
	}
	if m.Currencies, err = c.Clover.currencies(); err != nil {
		return err
	}
	if m.listener, err = listen(ctx, c.Addr, "paybridge", "PAYBRIDGE_ADDR or serve --addr"); err != nil {
		return err
	}
	m.URL = "http://" + m.listener.Addr().String()
	if c.PublicURL == "" {
		c.PublicURL = m.URL
	}
	m.Metrics = httpapi.NewMetrics()
	if err := m.startMetrics(); err != nil { // wire_metrics.go
		return err
	}
	urls, cloverCfg, err := m.cloverSetup(ctx)
	if err != nil {
		return err
	}
	gov, err := m.newGovernor(ctx) // wire_scale.go
	if err != nil {
		return err
	}
	m.Governor = gov
	cloverCfg.URLs = urls
	cloverCfg.Governor = gov
	cloverCfg.MaxBudgetWait = c.CloverMaxBudgetWait
	cloverCfg.HTTPClient = clover.NewHTTPClient(max(c.CloverTimeout, 100*time.Millisecond), c.Scale.budget().AppConcurrent)
	cloverCfg.Logger = m.Logger
	cloverCfg.BeforeSend = m.DB.Sync // persisted before Clover sees it (store/defer.go)
	var svc *billing.Service
	cloverCfg.OnCall = func(ci clover.CallInfo) {
		m.Metrics.ObserveClover(ci.Path, ci.Status, ci.Duration)
		svc.RecordCloverCall(ci)
	}
	m.haltClover(&cloverCfg) // halt.go: crash tests only
	m.Clover = clover.New(cloverCfg)
	m.Service = billing.New(m.DB, m.Clover, m.Sealer)
	m.Service.Audit.Logger = m.Logger
	m.Service.ServerIP = serverIP
	m.Service.PaymentWait = c.PaymentWait
	svc = m.Service
	m.Service.Logger = m.Logger
	m.Service.OnPayment = func(s paybridge.PaymentStatus) { m.Metrics.ObservePayment(string(s)) }
	if c.Sandbox() {
		if err := m.bootstrapSandbox(ctx); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
	}

	var h http.Handler = m.handler()
	if m.WrapHandler != nil {
		h = m.WrapHandler(h)
	}
	m.server = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn)}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.reloadKeyring(bg) // wire_keys.go
	if err := m.startJobs(bg); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	m.wg.Go(func() {
		if err := m.recover(bg); err != nil && bg.Err() == nil {
			m.Logger.Error("recovery at start-up", "err", err)
		}
	})
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.server.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("serve", "err", err)
		}
	}()
	m.Logger.Info("paybridge listening", "url", m.URL, "sandbox", c.Sandbox())
	return nil
}

// Close stops serving (letting in-flight requests finish), then closes
// everything Run opened. It is safe to call more than once.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	if m.cancel != nil {
		m.cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), max(m.Config.ShutdownTimeout, time.Second))
	defer cancel()
	if m.metricsSrv != nil {
		_ = m.metricsSrv.Shutdown(ctx)
	}
	if m.server != nil {
		_ = m.server.Shutdown(ctx)
	} else if m.listener != nil {
		_ = m.listener.Close()
	}
	m.wg.Wait()
	m.stopJobs(ctx)
	if m.DB != nil {
		m.endLease(ctx) // wire_recovery.go
	}
	m.closeWeb(ctx) // wire_web.go: receipt mails in flight
	if m.Service != nil {
		m.Service.Audit.Close() // flush queued audit entries before the database closes
	}
	if m.simSrv != nil {
		_ = m.simSrv.Shutdown(ctx)
	}
	if m.Sim != nil {
		_ = m.Sim.Close()
	}
	m.closeScale() // wire_scale.go
	if m.DB != nil {
		return m.DB.Close()
	}
	return nil
}

// newSealer builds the secrets sealer from the master key, which sandbox
// mode creates in the data directory (mode 0600) when none is configured.
func newSealer(c *Config) (*seal.Sealer, error) {
	var key []byte
	var err error
	switch {
	case c.MasterKey != "":
		key, err = seal.ParseKey(c.MasterKey)
	case c.Sandbox():
		key, err = seal.LoadOrCreateKeyFile(filepath.Join(c.DataDir, "master.key"))
	default:
		return nil, errors.New("PAYBRIDGE_MASTER_KEY is required outside sandbox mode (32 bytes, base64)")
	}
	if err != nil {
		return nil, err
	}
	return seal.New("k1", map[string][]byte{"k1": key})
}

// cloverSetup returns Clover's base URLs and app: configured ones, or in
// sandbox mode an embedded cloversim on its own loopback port (its own
// origin, so the card iframe really is cross-origin).
func (m *Main) cloverSetup(ctx context.Context) (clover.URLs, clover.Config, error) {
	if err := m.Config.Clover.resolveApp(); err != nil {
		return clover.URLs{}, clover.Config{}, err
	}
	cc := m.Config.Clover
	if m.Config.Sandbox() {
		return m.startSim(ctx)
	}
	urls, err := clover.BaseURLs(clover.Environment(cc.Environment), clover.Region(cc.Region))
	if err != nil {
		return urls, clover.Config{}, err
	}
	for _, o := range []struct {
		dst *string
		v   string
	}{
		{&urls.Ecommerce, cc.EcommerceURL}, {&urls.Tokenizer, cc.TokenizerURL}, {&urls.Web, cc.WebURL},
		{&urls.API, cc.APIURL}, {&urls.Checkout, cc.CheckoutURL},
	} {
		if o.v != "" {
			*o.dst = strings.TrimRight(o.v, "/")
		}
	}
	if cc.WebURL != "" {
		if err := m.checkSimApp(ctx, urls.Web, cc.AppID); err != nil {
			return urls, clover.Config{}, err
		}
	}
	return urls, clover.Config{AppID: cc.AppID, ClientID: cc.AppID, ClientSecret: cc.AppSecret}, nil
}

// checkSimApp fails the start when Clover's web URL is a cloversim (it
// answers GET /_sim/app) serving another app than the configured one: the
// connect would otherwise fail at the consent page. Real Clover has no
// such route; a Clover that cannot be asked is only a warning.
func (m *Main) checkSimApp(ctx context.Context, web, appID string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, web+"/_sim/app", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.Logger.Warn("could not check the Clover app against PAYBRIDGE_CLOVER_WEB_URL", "err", err)
		return nil
	}
	defer resp.Body.Close()
	var app struct {
		AppID string `json:"app_id"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&app) != nil || app.AppID == "" {
		return nil // not a cloversim
	}
	if app.AppID != appID {
		return fmt.Errorf("PAYBRIDGE_CLOVER_APP_ID is %s, but the cloversim at %s serves app %s: "+
			"set it to the app_id `paybridge sandbox` printed", appID, web, app.AppID)
	}
	return nil
}

// handler is the whole HTTP surface: health, metrics, the spec, and /v1
// behind authentication and idempotency, all through one Router (request
// ids, access log and metrics by route, recovery, security headers).
func (m *Main) handler() http.Handler {
	keys := httpapi.SealedIdempotency{Store: m.DB, Sealer: m.Sealer}
	rt := httpapi.NewRouter(m.Keyring, m.haltKeys(keys)) // halt.go: crash tests only
	rt.Finisher = m.newRecovery(keys)                    // wire_recovery.go
	m.Router = rt
	rt.Logger, rt.Metrics, rt.Revoked = m.Logger, m.Metrics, m.revoked
	rt.Limiter = m.apiLimiter() // wire_ratelimit.go
	(&httpapi.V1{Service: m.Service, Store: m.DB, Logger: m.Logger}).Routes(rt)
	rt.HandlePublic("GET /healthz", httpapi.HealthHandler())
	rt.HandlePublic("GET /readyz", httpapi.ReadyHandler(m.DB.Ping))
	m.metricsRoutes(rt)    // wire_metrics.go
	m.eventRoutes(rt)      // wire_events.go: /v1/events, /v1/webhook-endpoints, /webhooks/clover…
	m.onboardingRoutes(rt) // wire_onboarding.go: /v1/integrations, /connect, /oauth/callback, /v1/auth/whoami
	m.webRoutes(rt)        // wire_web.go: /pay/{link}, /v1/invoices/{id}/payment-link, /send, receipts
	m.recurringRoutes(rt)  // wire_recurring.go: cards, autopay, plans, subscriptions, test clock
	return rt
}
