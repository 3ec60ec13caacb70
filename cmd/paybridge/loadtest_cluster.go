package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/trace"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/clover/cloversim"
	"github.com/paybridge/paybridge/loadtest"
)

// clusterOptions describe an in-process deployment: one cloversim (behind
// a Meter that counts what Clover counts) and N paybridge Mains in
// production (non-sandbox) configuration pointing at it, sharing one
// database, one keyring and, with RedisURL, one Redis.
type clusterOptions struct {
	Instances    int
	DatabaseURL  string // "" = SQLite in Dir (one instance only)
	RedisURL     string
	Dir          string
	CloverLimits bool
	LatencyP50   time.Duration
	LatencyP99   time.Duration
	Margin       time.Duration
	Merchants    int
	Logger       *slog.Logger
	Attribution  *loadtest.Attribution // nil: none
	Tweak        func(*Config)         // last say on each Main's config
	// HotLimits, when set, is what cloversim allows the first merchant's
	// token (a hand-made token gets less), that merchant being
	// hotMerchantID. paybridge is not told: Tweak may tell it.
	HotLimits clover.TokenBudget
	// TraceRequests makes every API request a runtime/trace task, for
	// --trace.
	TraceRequests bool
}

// hotMerchantID is the first merchant's Clover id with HotLimits.
const hotMerchantID = "HOTMERCHANT01"

// traceRequests makes each request a runtime/trace task named for its
// route, ids (the segments with an underscore: "inv_…") shown as {id}
// ("POST /v1/invoices/{id}/payments"), so go tool trace groups them.
func traceRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		segs := strings.Split(r.URL.Path, "/")
		for i, s := range segs {
			if strings.Contains(s, "_") {
				segs[i] = "{id}"
			}
		}
		ctx, task := trace.NewTask(r.Context(), r.Method+" "+strings.Join(segs, "/"))
		defer task.End()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// cluster is a running clusterOptions.
type cluster struct {
	Sim       *cloversim.Sim
	Meter     *loadtest.Meter
	SimURL    string
	Mains     []*Main
	Merchants []*loadtest.Merchant
	Tokens    []string // the merchants' raw Clover access tokens (naive baseline)
	simSrv    *http.Server
}

// startCluster starts cloversim, then the Mains one after the other (the
// first migrates), connects the merchants in the store with sealed
// credentials, issues their API keys and creates a customer each.
func startCluster(ctx context.Context, o clusterOptions) (_ *cluster, err error) {
	if o.Instances <= 0 {
		o.Instances = 1
	}
	if o.Merchants <= 0 {
		o.Merchants = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &cluster{}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c.SimURL = "http://" + ln.Addr().String()
	so := cloversim.Options{
		BaseURL: c.SimURL, LimitsOff: !o.CloverLimits, Logger: o.Logger.With("component", "cloversim"),
		Faults: cloversim.Faults{LatencyP50: o.LatencyP50, LatencyP99: o.LatencyP99},
	}
	if o.HotLimits != (clover.TokenBudget{}) {
		so.MerchantID = hotMerchantID
		so.Limits = clover.DefaultBudget
		so.Limits.Merchants = map[string]clover.TokenBudget{hotMerchantID: o.HotLimits}
	}
	c.Sim = cloversim.New(so)
	c.Meter = loadtest.NewMeter(c.Sim)
	c.simSrv = &http.Server{Handler: c.Meter, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = c.simSrv.Serve(ln) }()

	so = c.Sim.Options()
	var mk [32]byte
	_, _ = rand.Read(mk[:])
	base, err := loadConfig(map[string]string{})
	if err != nil {
		return nil, err
	}
	base.Addr = "127.0.0.1:0"
	base.ServerIP = "127.0.0.1" // every instance is on this host
	base.MasterKey = base64.StdEncoding.EncodeToString(mk[:])
	base.KeyringPath = filepath.Join(o.Dir, "keys.json")
	base.DatabaseURL = o.DatabaseURL
	base.ReconcileInterval = time.Second
	base.ShutdownTimeout = 5 * time.Second
	base.Clover = CloverConfig{Environment: "sandbox", Region: "na", AppID: so.AppID, AppSecret: so.ClientSecret,
		EcommerceURL: c.SimURL, TokenizerURL: c.SimURL, WebURL: c.SimURL, APIURL: c.SimURL, CheckoutURL: c.SimURL}
	base.Events.CloverWebhookAuthCode = so.WebhookAuthCode
	base.PlatformSecret = "psk_" + randHex(24)
	base.Scale.RedisURL = o.RedisURL
	base.Scale.Instances = o.Instances
	base.Scale.ArrivalMargin = o.Margin
	if !o.CloverLimits {
		base.Scale.TokenRPS, base.Scale.AppRPS = math.Inf(1), math.Inf(1)
		base.Scale.TokenConcurrent, base.Scale.AppConcurrent = 1<<20, 1<<20
	}
	if o.Attribution != nil {
		base.Scale.WrapGovernor = o.Attribution.Governor
	}
	for i := range o.Instances {
		cfg := base
		cfg.DataDir = filepath.Join(o.Dir, fmt.Sprintf("instance%d", i))
		if cfg.DatabaseURL == "" {
			cfg.DatabaseURL = filepath.Join(o.Dir, "paybridge.db")
		}
		if o.Tweak != nil {
			o.Tweak(&cfg)
		}
		m := &Main{Config: cfg, Logger: o.Logger.With("instance", i)}
		if o.TraceRequests {
			m.WrapHandler = traceRequests
		}
		if err := m.Run(ctx); err != nil {
			return nil, fmt.Errorf("instance %d: %w", i, err)
		}
		c.Mains = append(c.Mains, m)
	}

	m0 := c.Mains[0]
	for i := range o.Merchants {
		mid, token, pakms := so.MerchantID, so.AccessToken, so.PAKMSKey
		name := so.MerchantName
		if i > 0 {
			name = fmt.Sprintf("Load Merchant %d", i)
			mid, token, pakms = c.Sim.AddMerchant(name)
		}
		lm, err := connectMerchant(ctx, m0, so.AppID, mid, name, token, pakms)
		if err != nil {
			return nil, fmt.Errorf("merchant %d: %w", i, err)
		}
		c.Merchants = append(c.Merchants, lm)
		c.Tokens = append(c.Tokens, token)
	}
	api := loadtest.NewAPI(m0.URL, nil)
	for _, lm := range c.Merchants {
		var cu struct {
			ID string `json:"id"`
		}
		st, _, err := api.Call(ctx, lm.Key, "POST", "/v1/customers", map[string]any{"email": "load@example.com", "name": "Load Customer"}, &cu)
		if err != nil || st != http.StatusCreated {
			return nil, fmt.Errorf("create customer: status %d: %v", st, err)
		}
		lm.CustomerID = cu.ID
	}
	return c, nil
}

// connectMerchant stores a Clover merchant as connected, as the OAuth
// callback would, and issues its API key.
func connectMerchant(ctx context.Context, m *Main, appID, cloverID, name, token, pakms string) (*loadtest.Merchant, error) {
	now := time.Now().UTC()
	mer := &paybridge.Merchant{
		ID: paybridge.NewID(paybridge.PrefixMerchant), CloverMerchantID: cloverID, Name: name,
		Currency: "usd", Status: paybridge.MerchantActive, PAKMSKey: pakms, CreatedAt: now, UpdatedAt: now,
	}
	sealed, err := billing.SealCredentials(m.Sealer, mer.ID, paybridge.Credentials{
		AccessToken: token, AccessExpires: now.Add(100 * 365 * 24 * time.Hour),
	})
	if err != nil {
		return nil, err
	}
	if err := m.DB.CreateMerchant(ctx, mer, sealed); err != nil {
		return nil, err
	}
	key, err := issueKey(ctx, m.Keyring, m.DB, apikey.Claims{MerchantID: mer.ID, AppID: appID}, true)
	if err != nil {
		return nil, err
	}
	return &loadtest.Merchant{Key: key, CloverID: cloverID, Token: clover.TokenFingerprint(token), PAKMS: pakms}, nil
}

// Close stops the Mains and cloversim.
func (c *cluster) Close() {
	var errs []error
	for _, m := range c.Mains {
		errs = append(errs, m.Close())
	}
	if c.simSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.simSrv.Shutdown(ctx)
	}
	if c.Sim != nil {
		_ = c.Sim.Close()
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest: close:", err)
	}
}
