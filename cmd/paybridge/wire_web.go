package main

// Wiring of the pay-page issue: payment links, the pay page, emails,
// receipts and hosted checkout.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/email"
	"github.com/paybridge/paybridge/httpapi"
	"github.com/paybridge/paybridge/web"
)

// webServer builds the pay-page server once (sandbox bootstrap needs it
// before the routes are registered).
func (m *Main) webServer() *web.Server {
	if m.Web != nil {
		return m.Web
	}
	c := m.Config.Web
	s := web.New(m.DB, m.Service)
	s.Clover, s.Sealer, s.Logger = m.Clover, m.Sealer, m.Logger.With("component", "web")
	s.PublicURL = m.Config.PublicURL
	if c.LinkTTL > 0 {
		s.LinkTTL = c.LinkTTL
	}
	urls := m.Clover.URLs
	s.SDKURL = c.CloverSDKURL
	if s.SDKURL == "" {
		s.SDKURL = strings.TrimRight(urls.Checkout, "/") + "/sdk.js"
	}
	s.CheckoutOrigins = []string{urls.Web, urls.Checkout}
	var mail email.Sender
	switch {
	case c.SMTPHost != "":
		mail = &email.SMTP{Host: c.SMTPHost, Port: c.SMTPPort, Username: c.SMTPUsername, Password: c.SMTPPassword, From: c.SMTPFrom, TLS: c.SMTPTLS}
	case m.Config.Sandbox():
		m.Outbox = &email.Outbox{}
		mail = m.Outbox
	}
	if mail != nil {
		// A mail leaves only once what it refers to is on disk (store/defer.go).
		s.Mail = email.SyncFirst{Sender: mail, Sync: m.DB.Sync}
	}
	m.Web = s
	return s
}

// webRoutes registers the pay page (public), the payment-link API
// (authenticated), the hosted-checkout webhook and, in sandbox mode, the
// outbox page.
func (m *Main) webRoutes(rt *httpapi.Router) {
	s := m.webServer()
	s.Register(rt)
	(&httpapi.V1Links{Links: s, Settings: s}).Routes(rt)
	if m.Outbox != nil {
		rt.HandlePublic("GET /sandbox/outbox", m.Outbox.Handler())
	}
	if m.Sim != nil {
		m.sandboxCheckout(context.Background())
	}
	if m.Sandbox != nil {
		m.refreshMerchantProfile(m.Sandbox.MerchantID) // the demo merchant connected without the connect page
	}
	s.StartReceiptSweeper()
}

// refreshMerchantProfile copies a merchant's name, address and phone from
// Clover for the pay page (at connect, and the sandbox's demo merchant at
// start); a failure leaves the page without them and is logged.
func (m *Main) refreshMerchantProfile(merchantID string) {
	if m.Web == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Web.RefreshMerchantProfile(ctx, merchantID); err != nil {
		m.Logger.Warn("copy the merchant's Clover profile", "merchant_id", merchantID, "err", err)
	}
}

// closeWeb stops the receipt sweeper and waits for receipt mails in
// flight (Main.Close calls it after the server and jobs stopped, before
// the database closes).
func (m *Main) closeWeb(ctx context.Context) {
	if m.Web == nil {
		return
	}
	if err := m.Web.Close(ctx); err != nil {
		m.Logger.Warn("receipts still sending at shutdown", "err", err)
	}
}

// sandboxCheckout points cloversim's hosted-checkout webhooks at this
// paybridge and gives the demo merchant cloversim's signing secret (its
// checkout mode is left as it was: iframe unless changed).
func (m *Main) sandboxCheckout(ctx context.Context) {
	body := `{"checkout_url":"` + strings.TrimRight(m.URL, "/") + `/webhooks/clover/checkout"}`
	rec := httptest.NewRecorder()
	m.Sim.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/_sim/webhooks", strings.NewReader(body)))
	if rec.Code != http.StatusOK {
		m.Logger.Error("sandbox: set cloversim checkout webhook", "status", rec.Code)
	}
	if m.Sandbox == nil {
		return
	}
	if err := m.SetCheckoutMode(ctx, m.Sandbox.MerchantID, ""); err != nil {
		m.Logger.Error("sandbox: hosted checkout secret", "err", err)
	}
}

// SetCheckoutMode sets a sandbox merchant's pay page to "iframe" or
// "hosted" ("" keeps the mode) with cloversim's signing secret.
func (m *Main) SetCheckoutMode(ctx context.Context, merchantID, mode string) error {
	ws, err := m.DB.WebSettings(ctx, merchantID)
	if err != nil {
		return err
	}
	if mode != "" {
		ws.CheckoutMode = mode
	}
	if m.Sim != nil {
		if ws.SealedHCOSecret, err = web.SealHCOSecret(m.Sealer, merchantID, m.Sim.Options().HCOSigningSecret); err != nil {
			return err
		}
	}
	return m.DB.SetWebSettings(ctx, ws)
}

// demoPaymentURL makes the sandbox demo invoice's payment link.
func (m *Main) demoPaymentURL(ctx context.Context, c billing.Caller, invoiceID string) (string, error) {
	u, _, err := m.webServer().CreateLink(ctx, c, invoiceID, 0)
	return u, err
}
