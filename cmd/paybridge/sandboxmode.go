package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/clover/cloversim"
)

// SandboxInfo is what sandbox mode writes to <data dir>/sandbox.json
// (DESIGN.md §2): everything a newcomer needs to make a first payment.
type SandboxInfo struct {
	APIURL         string `json:"api_url"`
	APIKey         string `json:"api_key"`
	MerchantID     string `json:"merchant_id"`
	CloverURL      string `json:"clover_url"`
	PAKMSKey       string `json:"pakms_key"`
	DemoInvoiceID  string `json:"demo_invoice_id"`
	DemoPaymentURL string `json:"demo_payment_url"`
	PlatformSecret string `json:"platform_secret"`
}

// simIdentity keeps cloversim's app and merchant identity and the platform
// secret across restarts. (cloversim's own state, identity included, is in
// <data dir>/cloversim.db: this file seeds a new one and keeps the secret.)
type simIdentity struct {
	AppID            string `json:"app_id"`
	ClientSecret     string `json:"client_secret"`
	MerchantID       string `json:"merchant_id"`
	AccessToken      string `json:"access_token"`
	PAKMSKey         string `json:"pakms_key"`
	WebhookAuthCode  string `json:"webhook_auth_code"`
	HCOSigningSecret string `json:"hco_signing_secret"`
	PlatformSecret   string `json:"platform_secret"`
}

// apiKeyTTL is the lifetime of API keys paybridge issues.
const apiKeyTTL = 5 * 365 * 24 * time.Hour

// startSim starts the embedded cloversim on a loopback port of its own,
// its state in <data dir>/cloversim.db (write-ahead: what it answered
// survives kill -9), so a restart finds every merchant, token and charge.
func (m *Main) startSim(ctx context.Context) (clover.URLs, clover.Config, error) {
	id, err := loadOrCreateIdentity(filepath.Join(m.Config.DataDir, "sandbox-clover.json"))
	if err != nil {
		return clover.URLs{}, clover.Config{}, err
	}
	if f := m.Config.SandboxForwardedFor; f != "" && f != "required" && f != "optional" {
		return clover.URLs{}, clover.Config{}, fmt.Errorf("PAYBRIDGE_SANDBOX_FORWARDED_FOR must be required or optional, not %q", f)
	}
	ln, err := listen(ctx, m.simAddr(), "cloversim", "PAYBRIDGE_SANDBOX_CLOVER_ADDR or serve --clover-addr")
	if err != nil {
		return clover.URLs{}, clover.Config{}, err
	}
	base := "http://" + ln.Addr().String()
	dir := m.Config.DataDir
	if m.Config.SandboxCloverInMemory {
		dir = ""
	}
	m.Sim, err = openSim(dir, cloversim.Options{
		AppID: id.AppID, ClientID: id.AppID, ClientSecret: id.ClientSecret, MerchantID: id.MerchantID,
		AccessToken: id.AccessToken, PAKMSKey: id.PAKMSKey, WebhookAuthCode: id.WebhookAuthCode,
		HCOSigningSecret: id.HCOSigningSecret, BaseURL: base, Logger: m.Logger.With("component", "cloversim"),
		Shapes:               m.SimShapes,
		ForwardedForOptional: m.Config.SandboxForwardedFor == "optional",
		MerchantCurrency:     m.Currencies.Of(id.MerchantID),
	})
	if err != nil {
		ln.Close()
		return clover.URLs{}, clover.Config{}, err
	}
	m.Clock = &billing.Clock{Base: m.Sim.Now} // one time for paybridge and cloversim
	m.simSrv = &http.Server{Handler: m.Sim, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := m.simSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("cloversim", "err", err)
		}
	}()
	urls := clover.URLs{Ecommerce: base, Tokenizer: base, Web: base, API: base, Checkout: base}
	return urls, clover.Config{AppID: id.AppID, ClientID: id.AppID, ClientSecret: id.ClientSecret}, nil
}

// simAddr is where the embedded cloversim listens: the configured address,
// else loopback at the API's port + 1 (any port when the API's is 0).
func (m *Main) simAddr() string {
	if a := m.Config.SandboxCloverAddr; a != "" {
		return a
	}
	if _, port, _ := net.SplitHostPort(m.Config.Addr); port == "0" {
		return "127.0.0.1:0"
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(m.listener.Addr().(*net.TCPAddr).Port+1))
}

// listen listens on addr, saying which part wanted the port and how to
// choose another when it is taken.
func listen(ctx context.Context, addr, what, override string) (net.Listener, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%s cannot listen on %s: the port is taken (another paybridge on this machine?); stop it, or choose another address with %s", what, addr, override)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: listen %s: %w", what, addr, err)
	}
	return ln, nil
}

func loadOrCreateIdentity(path string) (*simIdentity, error) {
	var id simIdentity
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &id); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &id, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	id = simIdentity{
		AppID: cloversim.NewID(), ClientSecret: randHex(16), MerchantID: cloversim.NewID(),
		AccessToken: randHex(16), PAKMSKey: randHex(16), WebhookAuthCode: randHex(16),
		HCOSigningSecret: randHex(32), PlatformSecret: "psk_" + randHex(24),
	}
	b, _ := json.MarshalIndent(id, "", "  ")
	return &id, os.WriteFile(path, b, 0o600)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// bootstrapSandbox connects the demo merchant, issues its API key, creates
// a demo customer and an open demo invoice, writes sandbox.json and prints
// the banner.
func (m *Main) bootstrapSandbox(ctx context.Context) error {
	opts := m.Sim.Options()
	id, err := loadOrCreateIdentity(filepath.Join(m.Config.DataDir, "sandbox-clover.json"))
	if err != nil {
		return err
	}
	infoPath := filepath.Join(m.Config.DataDir, "sandbox.json")
	if prev := m.previousSandbox(ctx, infoPath); prev != nil {
		// A restart: the same key, merchant and demo invoice as before.
		m.Sandbox = prev
		m.Sandbox.APIURL, m.Sandbox.CloverURL = m.Config.PublicURL, opts.BaseURL
	} else if err := m.newSandbox(ctx, opts, id); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(m.Sandbox, "", "  ")
	if err := os.WriteFile(infoPath, append(b, '\n'), 0o600); err != nil {
		return err
	}
	if m.Stdout != nil {
		fmt.Fprintf(m.Stdout, sandboxBanner, m.URL, opts.BaseURL, m.Sandbox.MerchantID, m.Sandbox.DemoInvoiceID, infoPath)
	}
	return nil
}

// previousSandbox is the sandbox.json of an earlier run on this data dir
// if everything in it still holds: its API key verifies and is not
// revoked, its merchant is connected, its demo invoice exists. Otherwise
// nil, and the sandbox is set up anew.
func (m *Main) previousSandbox(ctx context.Context, path string) *SandboxInfo {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var prev SandboxInfo
	if json.Unmarshal(b, &prev) != nil {
		return nil
	}
	claims, err := m.Keyring.Verify(prev.APIKey)
	if err != nil || claims.MerchantID != prev.MerchantID {
		return nil
	}
	if revoked, err := m.DB.APIKeyRevoked(ctx, claims.ID, claims.MerchantID, claims.IntegrationID); err != nil || revoked {
		return nil
	}
	mer, err := m.DB.GetMerchant(ctx, prev.MerchantID)
	if err != nil || mer.CloverMerchantID != m.Sim.Options().MerchantID {
		return nil
	}
	if _, err := m.Service.GetInvoice(ctx, billing.Caller{MerchantID: mer.ID}, prev.DemoInvoiceID); err != nil {
		return nil
	}
	return &prev
}

// newSandbox connects the demo merchant, issues its key and creates the
// demo customer and invoice.
func (m *Main) newSandbox(ctx context.Context, opts cloversim.Options, id *simIdentity) error {
	mer, key, err := m.connectSandboxMerchant(ctx, opts.MerchantID, opts.MerchantName, opts.AccessToken, opts.PAKMSKey)
	if err != nil {
		return err
	}
	caller := billing.Caller{MerchantID: mer.ID, Actor: "system:sandbox"}
	cu, err := m.demoCustomer(ctx, caller)
	if err != nil {
		return err
	}
	inv, err := m.Service.CreateInvoice(ctx, caller, billing.InvoiceInput{
		CustomerID: cu.ID, Currency: mer.Currency, AllowTip: true, AllowPartial: true, MinimumPartialAmount: 1000,
		LineItems: []billing.LineItemInput{
			{Description: "Kitchen faucet replacement", Quantity: 1, UnitAmount: 18_500, TaxRateBPS: 1000},
			{Description: "Service call", Quantity: 1, UnitAmount: 8_900},
		},
		Metadata: map[string]string{"demo": "true"},
	})
	if err != nil {
		return fmt.Errorf("demo invoice: %w", err)
	}
	payURL, err := m.demoPaymentURL(ctx, caller, inv.ID) // wire_web.go
	if err != nil {
		return fmt.Errorf("demo payment link: %w", err)
	}
	m.Sandbox = &SandboxInfo{
		APIURL: m.Config.PublicURL, APIKey: key, MerchantID: mer.ID, CloverURL: opts.BaseURL,
		PAKMSKey: opts.PAKMSKey, DemoInvoiceID: inv.ID, DemoPaymentURL: payURL, PlatformSecret: id.PlatformSecret,
	}
	return nil
}

const sandboxBanner = `
  paybridge is running in SANDBOX mode: no Clover account needed.

    API          %s   (spec: /openapi.yaml)
    cloversim    %s   (the embedded Clover emulator)
    merchant     %s   (connected)
    demo invoice %s

  Your API key and everything else is in %s
  Try:  curl -H "Authorization: Bearer $(jq -r .api_key <that file>)" <api>/v1/invoices

`

// connectSandboxMerchant stores a cloversim merchant as connected (sealed
// credentials) unless it already is, and issues an API key for it.
func (m *Main) connectSandboxMerchant(ctx context.Context, cloverID, name, token, pakms string) (*paybridge.Merchant, string, error) {
	mer, err := m.DB.GetMerchantByCloverID(ctx, cloverID)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
		now := time.Now().UTC()
		mer = &paybridge.Merchant{
			ID: paybridge.NewID(paybridge.PrefixMerchant), CloverMerchantID: cloverID, Name: name,
			Currency: m.Currencies.Of(cloverID), Status: paybridge.MerchantActive, PAKMSKey: pakms, CreatedAt: now, UpdatedAt: now,
		}
		sealed, serr := billing.SealCredentials(m.Sealer, mer.ID, paybridge.Credentials{
			AccessToken: token, AccessExpires: now.Add(100 * 365 * 24 * time.Hour),
		})
		if serr != nil {
			return nil, "", serr
		}
		err = m.DB.CreateMerchant(ctx, mer, sealed)
	}
	if err != nil {
		return nil, "", err
	}
	key, err := issueKey(ctx, m.Keyring, m.DB, apikey.Claims{MerchantID: mer.ID, AppID: m.Sim.Options().AppID}, false)
	return mer, key, err
}

func (m *Main) demoCustomer(ctx context.Context, c billing.Caller) (*paybridge.Customer, error) {
	const email = "jordan.rivera@example.com"
	list, _, err := m.Service.ListCustomers(ctx, c, paybridge.CustomerFilter{Email: email, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) > 0 {
		return list[0], nil
	}
	return m.Service.CreateCustomer(ctx, c, billing.CustomerInput{Email: email, Name: "Jordan Rivera", Phone: "5145550100"})
}

// AddSandboxMerchant adds a merchant to the embedded cloversim, connects it
// and returns its paybridge id and an API key (tests of tenant isolation,
// and anyone trying multi-merchant flows in the sandbox).
func (m *Main) AddSandboxMerchant(ctx context.Context, name string) (merchantID, apiKey string, err error) {
	if m.Sim == nil {
		return "", "", errors.New("not in sandbox mode")
	}
	mid, token, pakms := m.Sim.AddMerchant(name)
	mer, key, err := m.connectSandboxMerchant(ctx, mid, name, token, pakms)
	if err != nil {
		return "", "", err
	}
	return mer.ID, key, nil
}
