package web

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/email"
	"github.com/paybridge/paybridge/seal"
)

// Store is what the pay page reads and writes.
type Store interface {
	paybridge.Store
	paybridge.LinkStore
}

// Server serves the pay page. Its exported fields are its dependencies;
// New sets defaults, and they must not change once serving.
type Server struct {
	Store   Store
	Service *billing.Service
	Clover  *clover.Client // hosted checkout
	Sealer  *seal.Sealer   // merchants' credentials and hosted-checkout secrets
	Mail    email.Sender   // nil: no mail
	Logger  *slog.Logger
	Now     func() time.Time
	// PublicURL is how customers reach paybridge (links are built on it).
	PublicURL string
	// SDKURL is Clover's iframe SDK (https://checkout.clover.com/sdk.js,
	// or cloversim's /sdk.js); its origin is the one script origin the
	// CSP allows besides 'self', and the iframe origin frame-src allows.
	SDKURL string
	// CheckoutOrigins are where hosted checkout may send the browser
	// (form-action); the Clover checkout base URL.
	CheckoutOrigins []string
	// LinkTTL is a new link's default lifetime (default 30 days).
	LinkTTL time.Duration
	// FormTTL bounds how long a rendered form may be submitted (2 h).
	FormTTL time.Duration
	// Limits: submits per link and requests per client address, per minute.
	LinkPerMinute, ClientPerMinute int
	// Key signs the per-render CSRF tokens (random when nil).
	Key []byte
	// ReceiptSweepEvery is how often owed receipts (payments the
	// reconciler settled, mails that failed) are looked for (30 s; 0: only
	// when SweepReceipts is called); ReceiptHorizon is how far back (7 days).
	ReceiptSweepEvery, ReceiptHorizon time.Duration

	assets    assetSet
	linkLimit *limiter
	ipLimit   *limiter
	bg        sync.WaitGroup
	mu        sync.Mutex // closing, stopSweep
	closing   bool
	stopSweep context.CancelFunc
}

// New returns a Server with defaults; set the remaining fields before
// Register.
func New(store Store, svc *billing.Service) *Server {
	return &Server{
		Store: store, Service: svc,
		Logger: slog.New(slog.DiscardHandler), Now: time.Now,
		LinkTTL: 30 * 24 * time.Hour, FormTTL: 2 * time.Hour,
		LinkPerMinute: 20, ClientPerMinute: 120,
		ReceiptSweepEvery: 30 * time.Second, ReceiptHorizon: 7 * 24 * time.Hour,
	}
}

// Registrar is what Register registers routes on (httpapi.Router's
// HandlePublic): the pay page carries its own protections.
type Registrar interface {
	HandlePublic(pattern string, h http.Handler)
}

// Register adds the customer-facing routes:
//
//	GET  /pay/{token}                   the page: form, receipt, processing, or 404
//	POST /pay/{token}                   submit (CSRF-checked, rate-limited, idempotent per form)
//	GET  /pay/{token}/attempt/{key}     the outcome of one submit (PRG target)
//	POST /pay/{token}/checkout          create a hosted checkout session and redirect
//	GET  /pay-assets/{file}             pay.js and pay.css (SRI-hashed), favicon.svg
//	GET  /favicon.ico                   a redirect to favicon.svg
//	POST /webhooks/clover/checkout      Clover's signed hosted-checkout webhook
func (s *Server) Register(r Registrar) {
	s.init()
	cop := http.NewCrossOriginProtection()
	r.HandlePublic("GET /pay/{token}", s.page(http.HandlerFunc(s.getPay)))
	r.HandlePublic("POST /pay/{token}", s.page(cop.Handler(http.HandlerFunc(s.postPay))))
	r.HandlePublic("GET /pay/{token}/attempt/{key}", s.page(http.HandlerFunc(s.getAttempt)))
	r.HandlePublic("POST /pay/{token}/checkout", s.page(cop.Handler(http.HandlerFunc(s.postCheckout))))
	r.HandlePublic("GET /pay-assets/{file}", http.HandlerFunc(s.serveAsset))
	r.HandlePublic("GET /favicon.ico", http.HandlerFunc(s.serveFavicon))
	r.HandlePublic("POST /webhooks/clover/checkout", http.HandlerFunc(s.checkoutWebhook))
}

func (s *Server) init() {
	if s.Key == nil {
		s.Key = make([]byte, 32)
		_, _ = rand.Read(s.Key)
	}
	s.assets = loadAssets()
	s.linkLimit = newLimiter(s.LinkPerMinute, s.Now)
	s.ipLimit = newLimiter(s.ClientPerMinute, s.Now)
}

// Handler returns the routes on a plain mux (tests, benchmarks).
func (s *Server) Handler() http.Handler {
	mux := &muxRegistrar{http.NewServeMux()}
	s.Register(mux)
	return mux.ServeMux
}

type muxRegistrar struct{ *http.ServeMux }

func (m *muxRegistrar) HandlePublic(p string, h http.Handler) { m.Handle(p, h) }

// Close stops the receipt sweeper and waits for background work (receipt
// emails in flight) to finish or ctx to end; receipts asked for after
// Close are left to the next start's sweep.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	if s.stopSweep != nil {
		s.stopSweep()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.bg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// origin returns scheme://host of u ("" if u is not absolute).
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// LinkURL is the customer URL of a link token.
func (s *Server) LinkURL(token string) string {
	return strings.TrimRight(s.PublicURL, "/") + "/pay/" + token
}

// errNoMail is returned by SendLink when no sender is configured.
var errNoMail = paybridge.Errorf(paybridge.EUNAVAILABLE, "", "email is not configured on this paybridge").WithCode("email_not_configured")

// isKind reports whether err is a *paybridge.Error of kind.
func isKind(err error, kind string) bool {
	var pe *paybridge.Error
	return errors.As(err, &pe) && pe.Kind == kind
}
