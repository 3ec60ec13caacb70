package main

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/paybridge/paybridge/onboarding"

	"github.com/paybridge/paybridge/clover"
)

// Config is paybridge's configuration, from PAYBRIDGE_* environment
// variables (DESIGN.md §2); `serve` flags override Addr and DataDir. With no
// Clover app configured paybridge runs in sandbox mode.
type Config struct {
	Addr        string `env:"PAYBRIDGE_ADDR" envDefault:"127.0.0.1:8080"`
	DataDir     string `env:"PAYBRIDGE_DATA_DIR" envDefault:"./paybridge-data"`
	DatabaseURL string `env:"PAYBRIDGE_DATABASE_URL"` // postgres://… or a SQLite path; default <data dir>/paybridge.db
	PublicURL   string `env:"PAYBRIDGE_PUBLIC_URL"`   // how browsers reach paybridge; default http://<addr>
	// MasterKey (base64, 32 bytes) seals secrets at rest. Sandbox mode
	// keeps one in <data dir>/master.key when unset.
	MasterKey string `env:"PAYBRIDGE_MASTER_KEY"`
	// KeyringPath is a keyring file of API-key signing keys (default <data
	// dir>/keys.json), imported into the database on the first start that
	// finds none there; the database's ring is the one in use.
	KeyringPath string `env:"PAYBRIDGE_KEYRING_PATH"`
	// KeyringReload is how often each instance rereads the signing ring
	// from the database, so `paybridge keys rotate|retire` reach every
	// running server within it, without a restart.
	KeyringReload time.Duration `env:"PAYBRIDGE_KEYRING_RELOAD" envDefault:"2s"`
	LogLevel      string        `env:"PAYBRIDGE_LOG_LEVEL" envDefault:"info"`
	// MetricsAddr, when set, serves /metrics on a listener of its own
	// (e.g. 127.0.0.1:9464, or a private interface the scraper reaches).
	// MetricsToken, when set, lets /metrics be read on the API port with
	// Authorization: Bearer <token>. Outside sandbox mode /metrics is on
	// the API port only with the token: it names routes, merchants' load
	// and Clover's answers, which are nobody else's business. Sandbox mode
	// keeps it open on the API port for convenience.
	MetricsAddr  string `env:"PAYBRIDGE_METRICS_ADDR"`
	MetricsToken string `env:"PAYBRIDGE_METRICS_TOKEN"`
	// SandboxCloverAddr is where sandbox mode's embedded cloversim listens;
	// default: Addr's host and port + 1 (127.0.0.1:8081), so a restart on
	// the same data dir finds the URLs it handed out (port 0: any port).
	SandboxCloverAddr string `env:"PAYBRIDGE_SANDBOX_CLOVER_ADDR"`
	// SandboxCloverInMemory keeps the embedded cloversim's state in memory
	// only: a restart forgets every Clover object. A commit of cloversim's
	// state costs time in proportion to all of it (about 10 ms per write at
	// a thousand charges), which a load or chaos run with a short Clover
	// timeout may not want to pay.
	SandboxCloverInMemory bool `env:"PAYBRIDGE_SANDBOX_CLOVER_IN_MEMORY"`

	Clover CloverConfig
	Web    WebConfig    // config_web.go: SMTP and pay page
	Events EventsConfig // config_events.go: webhooks in and out, jobs
	Scale  ScaleConfig  // wire_scale.go: Redis-shared Clover budget

	// CloverTimeout bounds one HTTP attempt to Clover; a write whose answer
	// does not come in time becomes an unknown outcome, reconciled later.
	CloverTimeout time.Duration `env:"PAYBRIDGE_CLOVER_TIMEOUT" envDefault:"30s"`

	// CloverMaxBudgetWait bounds how long a request waits for Clover's rate
	// budget before paybridge answers 429 with Retry-After (nothing sent to
	// Clover). Under sustained overload this keeps every call it does make
	// young enough to finish, instead of queueing work whose callers give up.
	CloverMaxBudgetWait time.Duration `env:"PAYBRIDGE_CLOVER_MAX_BUDGET_WAIT" envDefault:"4s"`

	// PaymentWait bounds how long a payment, capture, void, refund or
	// return request waits on Clover: by then it answers with the outcome,
	// or 202 with the payment processing, finished in the background and
	// told by webhook (issue 17).
	PaymentWait time.Duration `env:"PAYBRIDGE_PAYMENT_WAIT" envDefault:"15s"`
	// InstanceLease is how long this process's lease lasts unrenewed (it
	// renews every third of it): once a dead process's lease has run out,
	// any instance finishes its in-flight Idempotency-Keys and payments.
	// A restart in the same slot (InstanceName) takes over at once.
	InstanceLease time.Duration `env:"PAYBRIDGE_INSTANCE_LEASE" envDefault:"10s"`
	// InstanceName names this process's slot; default host:data-dir. Two
	// processes running at once must not share it.
	InstanceName string `env:"PAYBRIDGE_INSTANCE_NAME"`

	// TestHaltAt, for crash tests only, names a phase of a request
	// (halt.go) at which the process stops for good, so a test can kill -9
	// it exactly there; TestHaltFile is told when it has stopped. Never set
	// in production.
	TestHaltAt   string `env:"PAYBRIDGE_TEST_HALT_AT"`
	TestHaltFile string `env:"PAYBRIDGE_TEST_HALT_FILE"`

	// ReconcileInterval is how often unknown outcomes are retried.
	ReconcileInterval time.Duration `env:"PAYBRIDGE_RECONCILE_INTERVAL" envDefault:"2s"`
	// PlatformSecret authenticates the CRM platform on POST
	// /v1/integrations and hand-off redemption (sandbox mode keeps one in
	// sandbox.json when unset).
	PlatformSecret string `env:"PAYBRIDGE_PLATFORM_SECRET"`
	// TokenRefreshInterval is how often Clover tokens near expiry are
	// refreshed.
	TokenRefreshInterval time.Duration `env:"PAYBRIDGE_TOKEN_REFRESH_INTERVAL" envDefault:"1m"`
	// ServerIP is the address paybridge sends Clover as x-forwarded-for on
	// merchant-initiated charges (autopay, dunning, the API without a
	// client_ip) of cards with no address recorded with their consent:
	// Clover refuses charges without the header (CLOVER.md §13.1).
	// Required outside sandbox mode; sandbox mode uses 127.0.0.1.
	ServerIP string `env:"PAYBRIDGE_SERVER_IP"`
	// SandboxForwardedFor is the embedded cloversim's x-forwarded-for
	// rule on charge create and order pay: required (Clover's, the
	// default) or optional (paybridge sandbox --forwarded-for).
	SandboxForwardedFor string `env:"PAYBRIDGE_SANDBOX_FORWARDED_FOR" envDefault:"required"`
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout time.Duration `env:"PAYBRIDGE_SHUTDOWN_TIMEOUT" envDefault:"15s"`
	// APIRateLimit bounds each API key's requests: "RATE/BURST" (per
	// second; shared through Redis when PAYBRIDGE_REDIS_URL is set) or
	// "off" (wire_ratelimit.go).
	APIRateLimit apiRateLimit `env:"PAYBRIDGE_API_RATE_LIMIT" envDefault:"1000/2000"`
}

// CloverConfig selects the Clover environment and app. Every base URL can
// be overridden (that is how tests point paybridge at a cloversim).
type CloverConfig struct {
	Environment string `env:"PAYBRIDGE_CLOVER_ENVIRONMENT" envDefault:"sandbox"` // sandbox | production
	Region      string `env:"PAYBRIDGE_CLOVER_REGION" envDefault:"na"`           // na | eu | la
	// AppID and AppSecret are the app's credentials as Clover's Developer
	// Dashboard names them. Clover's OAuth docs call the same two values
	// client_id and client_secret ("Client ID or App ID",
	// docs.clover.com/docs/oauth-flows-in-clover), and `paybridge sandbox`
	// prints app_id, client_id and client_secret: either name of each is
	// accepted (resolveApp).
	AppID        string `env:"PAYBRIDGE_CLOVER_APP_ID"`
	ClientID     string `env:"PAYBRIDGE_CLOVER_CLIENT_ID"`
	AppSecret    string `env:"PAYBRIDGE_CLOVER_APP_SECRET"`
	ClientSecret string `env:"PAYBRIDGE_CLOVER_CLIENT_SECRET"`
	EcommerceURL string `env:"PAYBRIDGE_CLOVER_ECOMMERCE_URL"`
	TokenizerURL string `env:"PAYBRIDGE_CLOVER_TOKENIZER_URL"`
	WebURL       string `env:"PAYBRIDGE_CLOVER_WEB_URL"`
	APIURL       string `env:"PAYBRIDGE_CLOVER_API_URL"`
	CheckoutURL  string `env:"PAYBRIDGE_CLOVER_CHECKOUT_URL"`
	// LowTrust makes the OAuth connect use PKCE (code_challenge S256 and
	// code_verifier) instead of the app secret; implied without a secret.
	LowTrust bool `env:"PAYBRIDGE_CLOVER_LOW_TRUST"`
	// DefaultCurrency and MerchantCurrencies ("MID=cad,…") give each
	// merchant its currency: Clover's merchant read carries none
	// (CLOVER.md §13.6; onboarding/currency.go). A Canadian merchant must
	// be listed, or the default set to cad.
	DefaultCurrency    string `env:"PAYBRIDGE_CLOVER_DEFAULT_CURRENCY" envDefault:"usd"`
	MerchantCurrencies string `env:"PAYBRIDGE_CLOVER_MERCHANT_CURRENCIES"`
}

// currencies is the merchants' currencies, parsed and checked.
func (c CloverConfig) currencies() (onboarding.Currencies, error) {
	cur, err := onboarding.ParseCurrencies(c.DefaultCurrency, c.MerchantCurrencies)
	if err != nil {
		return cur, fmt.Errorf("PAYBRIDGE_CLOVER_DEFAULT_CURRENCY / PAYBRIDGE_CLOVER_MERCHANT_CURRENCIES: %w", err)
	}
	return cur, nil
}

// String keeps the app secret and master key out of logs.
func (c Config) String() string { return fmt.Sprintf("Config{Addr:%s DataDir:%s}", c.Addr, c.DataDir) }

// resolvePaths fills what defaults to a place in the data directory: the
// SQLite database and the API-key ring. Every command resolves them here,
// so `serve`, `migrate`, `keys` and `integrations` mean the same files.
func (c *Config) resolvePaths() {
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, "paybridge.db")
	}
	if c.KeyringPath == "" {
		c.KeyringPath = filepath.Join(c.DataDir, "keys.json")
	}
}

// serverIP is ServerIP checked: an IP address, required outside sandbox
// mode (a production paybridge would otherwise fail every
// merchant-initiated charge at Clover).
func (c Config) serverIP() (string, error) {
	if c.ServerIP == "" {
		if c.Sandbox() {
			return "127.0.0.1", nil
		}
		return "", errors.New("PAYBRIDGE_SERVER_IP is required outside sandbox mode: the IP address paybridge sends Clover " +
			"as x-forwarded-for on merchant-initiated charges (autopay, dunning, API payments without client_ip), " +
			"which Clover refuses without one; use the server's public address")
	}
	a, err := netip.ParseAddr(c.ServerIP)
	if err != nil {
		return "", fmt.Errorf("PAYBRIDGE_SERVER_IP %q is not an IP address", c.ServerIP)
	}
	return a.String(), nil
}

// Sandbox reports whether no Clover app is configured.
func (c Config) Sandbox() bool { return c.Clover.AppID == "" && c.Clover.ClientID == "" }

// loadConfig reads the environment through lookup (os.LookupEnv in main).
func loadConfig(environ map[string]string) (Config, error) {
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: environ}); err != nil {
		return c, err
	}
	return c, c.Clover.resolveApp()
}

// resolveApp folds each credential's two names into AppID and AppSecret.
// Both names given with different values, or an id that is not a Clover
// id, is a start-up error: the connect would otherwise fail only at
// Clover's consent page ("Unknown app").
func (cc *CloverConfig) resolveApp() error {
	for _, p := range []struct {
		name, alias string
		v, alt      *string
	}{
		{"PAYBRIDGE_CLOVER_APP_ID", "PAYBRIDGE_CLOVER_CLIENT_ID", &cc.AppID, &cc.ClientID},
		{"PAYBRIDGE_CLOVER_APP_SECRET", "PAYBRIDGE_CLOVER_CLIENT_SECRET", &cc.AppSecret, &cc.ClientSecret},
	} {
		if *p.v != "" && *p.alt != "" && *p.v != *p.alt {
			return fmt.Errorf("%s and %s differ: they name the same Clover credential (Clover's App ID is the OAuth client_id, "+
				"its App Secret the client_secret); set one of them", p.name, p.alias)
		}
		*p.v = cmp.Or(*p.v, *p.alt)
		*p.alt = *p.v
	}
	if cc.AppID != "" && !clover.ValidID(cc.AppID) {
		return fmt.Errorf("PAYBRIDGE_CLOVER_APP_ID %q is not a Clover App ID: 13 upper-case letters and digits, "+
			"as the Developer Dashboard shows it (or app_id in `paybridge sandbox`'s output)", cc.AppID)
	}
	return nil
}
