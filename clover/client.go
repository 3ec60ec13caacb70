package clover

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Config configures a Client. Only URLs and the app's credentials are
// needed; every other field has a default.
type Config struct {
	URLs URLs
	// AppID names the app's rate budget; ClientID and ClientSecret are its
	// OAuth credentials (the secret is never logged or put in errors).
	AppID, ClientID, ClientSecret string
	// HTTPClient carries every call (default: 30s timeout). Its Transport is
	// the seam tests use to inject network failures.
	HTTPClient *http.Client
	// Governor paces every attempt inside Clover's rate budget (default
	// Unlimited{}).
	Governor Governor
	// Retry is the retry policy; its zero value means the defaults.
	Retry RetryPolicy
	// Logger receives one debug line per attempt (no tokens, no bodies).
	Logger *slog.Logger
	// OnCall is called once per HTTP attempt, for the audit log and metrics.
	OnCall func(CallInfo)
	// MaxBudgetWait bounds how long a call waits for Clover's rate budget
	// (0: as long as its context allows). Past it the call is not made and
	// fails with a 429 budget_exhausted *Error: under sustained overload a
	// bounded wait keeps every granted call young enough to finish, where
	// an unbounded queue grants calls whose callers are about to give up.
	MaxBudgetWait time.Duration
	// BeforeSend, if set, runs before a call is first sent; an error stops
	// the call before anything reaches Clover. paybridge makes the caller's
	// deferred writes durable there (store.DB.Sync): what a call depends
	// on is on disk before Clover sees it.
	BeforeSend func(ctx context.Context) error
	// Unauthorized, if set, is asked for a fresh access token when Clover
	// answers a merchant's call 401 (an access token expired early or was
	// revoked). It gets the Clover merchant id and the token refused and
	// returns a newer one, or an error (no usable refresh token, the
	// refresh refused: the caller's reauthorization flow follows). The
	// client then repeats the call once with the new token, unless an
	// earlier attempt may have committed it (a write that timed out or got
	// a 5xx first): that call keeps its unknown outcome, for
	// reconciliation. paybridge refreshes single-flight per merchant there
	// (onboarding.Service.FreshToken).
	Unauthorized func(ctx context.Context, merchantID, accessToken string) (string, error)
	// Rand is the randomness for idempotency keys and jitter (default
	// crypto/rand).
	Rand io.Reader
}

// CallInfo describes one HTTP attempt to Clover for audit and metrics. It
// never holds tokens, secrets, bodies or card data.
type CallInfo struct {
	Method     string
	Path       string // path template, e.g. /v1/charges/{id}
	MerchantID string
	Attempt    int           // 1-based
	Status     int           // 0 = no HTTP answer (network error, timeout)
	Duration   time.Duration // the attempt alone, body read included
	RequestID  string        // X-Clover-Request-Id
	// IdempotencyKey is the write's key (the same on every attempt).
	IdempotencyKey string
	ErrCode        string // Clover's error code, or "network"/"canceled"
	Retrying       bool   // another attempt follows
}

// Auth is a merchant's OAuth access token and the merchant it acts for.
type Auth struct {
	MerchantID, AccessToken string
}

// RequestOptions are per-call options of writes; a nil *RequestOptions is
// fine everywhere.
type RequestOptions struct {
	// IdempotencyKey is sent as `idempotency-key` on every attempt; "" makes
	// the client generate a UUIDv4 once per call. Callers that may repeat a
	// call later (reconciliation) must pass their own persisted key.
	IdempotencyKey string
	// MaxBudgetWait overrides Config.MaxBudgetWait for this call: new work
	// (creating an invoice's order) waits less than finishing work already
	// started (paying it), so under overload the budget goes to the latter.
	MaxBudgetWait time.Duration
	// ForwardedFor is sent as x-forwarded-for. Clover refuses charge
	// create and order pay without it (CLOVER.md §13.1), so CreateCharge
	// and PayOrder refuse to send without a valid IP address here: the
	// payer's for a payment the customer makes, else the address recorded
	// with the card's consent or the server's (the caller decides which).
	ForwardedFor string
}

// ErrNoForwardedFor is CreateCharge's and PayOrder's refusal to send a
// request without the x-forwarded-for address Clover requires. Nothing
// was sent: the call definitely did not happen.
var ErrNoForwardedFor = errors.New("clover: x-forwarded-for (the payer's IP address) is required on charge create and order pay")

// needForwardedFor checks the address before a charge or order pay: a
// valid IP address, never "" (Clover would refuse the call, after the
// payment was recorded as sent).
func needForwardedFor(route string, o *RequestOptions) error {
	if o == nil || o.ForwardedFor == "" {
		return fmt.Errorf("%s: %w", route, ErrNoForwardedFor)
	}
	if _, err := netip.ParseAddr(o.ForwardedFor); err != nil {
		return fmt.Errorf("%s: x-forwarded-for %q is not an IP address: %w", route, o.ForwardedFor, ErrNoForwardedFor)
	}
	return nil
}

// Client calls Clover's APIs. Create it with New; it is safe for concurrent
// use. Its fields are the Config with defaults filled in.
type Client struct {
	Config

	randMu sync.Mutex // guards Rand, which need not be safe for concurrent use
}

// New returns a Client for cfg with defaults filled in.
func New(cfg Config) *Client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient()
	}
	if cfg.Governor == nil {
		cfg.Governor = Unlimited{}
	}
	cfg.Retry = cfg.Retry.withDefaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Client{Config: cfg}
}

// defaultHTTPClient is NewHTTPClient for Clover's documented budget with
// a 30s timeout.
func defaultHTTPClient() *http.Client {
	return NewHTTPClient(30*time.Second, DefaultBudget.AppConcurrent)
}

// NewHTTPClient returns a client for Clover calls that keeps an idle
// connection for each of the app's concurrent calls (concurrent, at least
// 16, at most 1024). The standard library keeps 2 per host: every burst
// past them dialled Clover afresh (a TCP and TLS handshake inside the
// governor's grant), adding latency and jitter between the grant and the
// request's arrival, which the arrival margin must cover.
func NewHTTPClient(timeout time.Duration, concurrent int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = min(max(concurrent, 16), 1024)
	return &http.Client{Timeout: timeout, Transport: t}
}

// newKey returns a fresh UUIDv4 idempotency key.
func (c *Client) newKey() (string, error) {
	c.randMu.Lock()
	defer c.randMu.Unlock()
	u, err := uuid.NewRandomFromReader(c.Rand)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// randN returns a uniform value in [0, n) for jitter; n/2 if Rand fails.
func (c *Client) randN(n int64) int64 {
	if n <= 0 {
		return 0
	}
	var b [8]byte
	c.randMu.Lock()
	_, err := io.ReadFull(c.Rand, b[:])
	c.randMu.Unlock()
	if err != nil {
		return n / 2
	}
	return int64(binary.LittleEndian.Uint64(b[:]) % uint64(n))
}
