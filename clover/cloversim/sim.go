package cloversim

import (
	"cmp"
	"crypto/rand"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// Options configures a Sim. The zero value is ready: New fills defaults.
type Options struct {
	// Identities of the one app and the first merchant. Empty fields are
	// generated.
	AppID string
	// ClientID is the OAuth client_id. Clover's docs make it one identifier
	// with the App ID ("Client ID or App ID", docs.clover.com/docs/
	// oauth-flows-in-clover), so it defaults to AppID; set it apart only to
	// test a client that sends the wrong one.
	ClientID     string
	ClientSecret string
	MerchantID   string
	MerchantName string
	// MerchantCurrency is the first merchant's currency (lowercase ISO
	// 4217; default usd). Its charges and orders must be in it.
	MerchantCurrency string
	AccessToken      string // a ready OAuth access token for MerchantID
	PAKMSKey         string
	WebhookAuthCode  string // X-Clover-Auth sent with platform webhooks
	HCOSigningSecret string // hosted-checkout webhook signing secret

	// Limits are Clover's rate budget enforced per token and per app;
	// LimitsOff disables enforcement.
	Limits    clover.Budget
	LimitsOff bool

	// IdempotencyMismatchStatus is the status for a reused idempotency key
	// with a different body (UNCONFIRMED; default 400 idempotency_error).
	IdempotencyMismatchStatus int
	// RequireIdempotencyKey refuses charge creation without a key (strict
	// mode; Clover's default accepts a missing key).
	RequireIdempotencyKey bool
	// ForwardedForOptional accepts charge create and order pay without an
	// x-forwarded-for header. Clover refuses them (CLOVER.md §13.1), so the
	// default is strict; see forwarded.go.
	ForwardedForOptional bool

	// Faults injected from Seed (deterministic).
	Faults Faults
	Seed   int64

	// AccessTokenTTL and RefreshTokenTTL are OAuth lifetimes (defaults 1h
	// and 365 days; Clover's are dynamic).
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// RefreshTokenCap is how many refresh tokens an app may have active
	// per merchant; past it the oldest become invalid (CLOVER.md §13.7:
	// Clover caps them without saying the number). Default 5 (UNCONFIRMED);
	// -1 for no cap.
	RefreshTokenCap int
	// RevokeAccessOnRefresh makes a refresh kill the access token issued
	// with the spent refresh token (undocumented either way, §13.7).
	RevokeAccessOnRefresh bool

	// WebhookURL receives platform webhooks; CheckoutWebhookURL receives
	// hosted-checkout webhooks. Both can be set later through /_sim/.
	WebhookURL         string
	CheckoutWebhookURL string
	// CheckoutWebhookCasing is the key casing of hosted-checkout webhook
	// bodies: "pascal" (CreatedTime, default) or "camel" (createdTime).
	CheckoutWebhookCasing string

	// Shapes picks among answer shapes Clover's sources disagree on.
	Shapes Shapes

	// BaseURL is the Sim's own external base URL, used in hrefs (hosted
	// checkout, sdk iframes). Set it once listening.
	BaseURL string

	Logger *slog.Logger
	// Now is the wall clock; the test clock adds its offset on top.
	Now func() time.Time
	// HTTPClient delivers webhooks.
	HTTPClient *http.Client
}

// Shapes are the switches between answer shapes where Clover's sources
// disagree (CLOVER.md §13); the zero value is the strictest reading, the
// one a client is least likely to expect.
type Shapes struct {
	// OrderCreateParents puts each item's `parent` in the order-create
	// answer. By default it is left out, as in the docs' example; GET and
	// pay answers carry it, as the recorded pay response does (§13.4).
	OrderCreateParents bool
	// CheckoutTimesMillis sends Hosted Checkout's createdTime and
	// expirationTime as Unix milliseconds (the docs' "Unix time") instead
	// of ISO-8601 strings, which a third party saw (§13.5; the default).
	CheckoutTimesMillis bool
}

// Faults are injected failures. Rates are probabilities in [0,1].
type Faults struct {
	// Latency added before each API response: a log-normal distribution
	// with the given median and 99th percentile (0 = none).
	LatencyP50 time.Duration `json:"latency_p50"`
	LatencyP99 time.Duration `json:"latency_p99"`
	// ErrorRate answers 5xx before doing anything.
	ErrorRate float64 `json:"error_rate"`
	// TimeoutAfterCommitRate does the write, then never answers (the
	// connection hangs until the client gives up, then is closed).
	TimeoutAfterCommitRate float64 `json:"timeout_after_commit_rate"`
	// RateLimitRate answers 429 before doing anything.
	RateLimitRate float64 `json:"rate_limit_rate"`
	// DeclinedButCapturedRate answers a charge or order pay that went
	// through with a 402 decline naming the charge, which stays captured
	// and in the ledger: Clover's automatic void of a declined charge
	// failed (CLOVER.md §13.2; declined_captured.go).
	DeclinedButCapturedRate float64 `json:"declined_but_captured_rate"`
}

// Sim is the emulator. Create it with New; it is safe for concurrent use.
type Sim struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux

	mu          sync.Mutex
	clockOffset time.Duration // test clock: added to opts.Now()
	app         app
	merchants   map[string]*merchant // by merchant id
	grants      map[string]*grant    // by access token
	pakms       map[string]string    // PAKMS key → merchant id
	tokens      map[string]*cardToken
	ledger      []LedgerEntry
	faults      Faults
	idem        map[string]*idemEntry // merchant id + key → stored response

	ecom ecomState // owned by the ecommerce files
	ext  extState  // owned by the OAuth/recurring/checkout/webhook files

	store *simStore // persist.go: nil unless opened with Open
}

type app struct {
	ID, ClientID, ClientSecret string
}

// merchant is one Clover merchant and everything it owns.
type merchant struct {
	ID       string
	Name     string
	Currency string
	PAKMSKey string
	TaxRates map[string]clover.V3TaxRate // by id

	// The merchant's objects are persisted as rows of their own
	// (persist_tables.go), not inside the merchant's row.
	Customers map[string]*clover.Customer    `json:"-"`
	Cards     map[string]*savedCard          `json:"-"` // by card id
	Charges   map[string]*clover.Charge      `json:"-"`
	Orders    map[string]*clover.Order       `json:"-"`
	Refunds   map[string]*clover.Refund      `json:"-"`
	Returns   map[string]*clover.OrderReturn `json:"-"`
	// ChargeOrder keeps charge ids in creation order for lists.
	ChargeOrder []string `json:"-"`
}

// initMaps makes the merchant's nil maps (a new merchant's, or a restored
// one's that had none) ready for writes.
func (m *merchant) initMaps() {
	initMap(&m.TaxRates)
	initMap(&m.Customers)
	initMap(&m.Cards)
	initMap(&m.Charges)
	initMap(&m.Orders)
	initMap(&m.Refunds)
	initMap(&m.Returns)
}

func initMap[V any](m *map[string]V) {
	if *m == nil {
		*m = map[string]V{}
	}
}

// savedCard is a card on file: the tokenized card's public details.
type savedCard struct {
	ID       string
	Customer string
	Card     clover.Card
	Number   string // kept only inside the simulator to decide approve/decline
}

// grant is what an access token stands for.
type grant struct {
	MerchantID string
	EmployeeID string
	Expires    time.Time
}

// cardToken is a clv_ token from the tokenizer: single use.
type cardToken struct {
	ID         string
	MerchantID string
	Card       clover.Card
	Number     string
	Used       bool
	Created    time.Time
	ClientIP   string // where the card was tokenized from
}

// idemEntry is a stored response for an idempotency key.
type idemEntry struct {
	BodyHash [32]byte
	Status   int
	Body     []byte
	InFlight bool
}

// LedgerEntry is one movement of money, for /_sim/ledger and tests.
type LedgerEntry struct {
	Kind       string `json:"kind"` // charge | auth | capture | refund | void (see ledger.go)
	MerchantID string `json:"merchant_id"`
	ChargeID   string `json:"charge_id"`
	RefundID   string `json:"refund_id,omitempty"`
	Amount     int64  `json:"amount"`
	TipAmount  int64  `json:"tip_amount,omitempty"`
	Currency   string `json:"currency"`
	Key        string `json:"idempotency_key,omitempty"`
	// ForwardedFor is the x-forwarded-for the charge create or order pay
	// carried ("" for charges made inside the sim: recurring runs, hosted
	// checkout, the dashboard).
	ForwardedFor string `json:"forwarded_for,omitempty"`
	Created      int64  `json:"created"`
}

// New returns a Sim with opts' defaults filled in and one merchant ready.
func New(opts Options) *Sim {
	s := &Sim{opts: opts}
	s.setDefaults()
	s.merchants = map[string]*merchant{}
	s.grants = map[string]*grant{}
	s.pakms = map[string]string{}
	s.tokens = map[string]*cardToken{}
	s.idem = map[string]*idemEntry{}
	s.faults = s.opts.Faults
	s.app = app{ID: s.opts.AppID, ClientID: s.opts.ClientID, ClientSecret: s.opts.ClientSecret}
	s.initEcom()
	s.initExt()
	m := s.addMerchant(MerchantSpec{ID: s.opts.MerchantID, Name: s.opts.MerchantName, Currency: s.opts.MerchantCurrency}, s.opts.PAKMSKey)
	s.grants[s.opts.AccessToken] = &grant{MerchantID: m.ID, Expires: s.now().Add(100 * 365 * 24 * time.Hour)}
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

func (s *Sim) setDefaults() {
	o := &s.opts
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s.log = o.Logger
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Limits.IsZero() {
		o.Limits = clover.DefaultBudget
	}
	if o.IdempotencyMismatchStatus == 0 {
		o.IdempotencyMismatchStatus = http.StatusBadRequest
	}
	if o.AccessTokenTTL == 0 {
		o.AccessTokenTTL = time.Hour
	}
	if o.RefreshTokenTTL == 0 {
		o.RefreshTokenTTL = 365 * 24 * time.Hour
	}
	if o.RefreshTokenCap == 0 {
		o.RefreshTokenCap = DefaultRefreshTokenCap
	}
	if o.CheckoutWebhookCasing == "" {
		o.CheckoutWebhookCasing = "pascal"
	}
	for _, f := range []*string{&o.AppID, &o.MerchantID} {
		if *f == "" {
			*f = NewID()
		}
	}
	if o.ClientID == "" {
		o.ClientID = o.AppID
	}
	if o.MerchantName == "" {
		o.MerchantName = "Sandbox Plumbing Co."
	}
	if o.ClientSecret == "" {
		o.ClientSecret = randHex(16)
	}
	if o.AccessToken == "" {
		o.AccessToken = randHex(16)
	}
	if o.PAKMSKey == "" {
		o.PAKMSKey = randHex(16)
	}
	if o.WebhookAuthCode == "" {
		o.WebhookAuthCode = randHex(16)
	}
	if o.HCOSigningSecret == "" {
		o.HCOSigningSecret = randHex(32)
	}
}

// Options returns the Sim's effective options (defaults filled in).
func (s *Sim) Options() Options { return s.opts }

// ServeHTTP serves every Clover surface and /_sim/. Every response carries
// an X-Clover-Request-Id, a UUID as in a recorded answer (CLOVER.md §13.10).
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Clover-Request-Id", extUUID())
	if s.store != nil {
		s.serveDurably(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// now is the simulated time: the wall clock plus the test clock's offset.
func (s *Sim) now() time.Time {
	s.mu.Lock()
	off := s.clockOffset
	s.mu.Unlock()
	return s.opts.Now().Add(off)
}

// nowLocked is now for callers that hold s.mu.
func (s *Sim) nowLocked() time.Time { return s.opts.Now().Add(s.clockOffset) }

// addMerchant creates a merchant with a PAKMS key and default tax rates.
// Callers must not hold s.mu during New; later callers must hold it.
func (s *Sim) addMerchant(spec MerchantSpec, pakms string) *merchant {
	id, name := spec.ID, spec.Name
	if id == "" {
		id = NewID()
	}
	if pakms == "" {
		pakms = randHex(16)
	}
	m := &merchant{ID: id, Name: name, Currency: cmp.Or(spec.Currency, "usd"), PAKMSKey: pakms}
	m.initMaps()
	for _, tr := range []clover.V3TaxRate{
		{Name: "No Tax", Rate: 0, IsDefault: false},
		{Name: "Sales Tax", Rate: 1_000_000, IsDefault: true}, // 10%
	} {
		tr.ID = NewID()
		m.TaxRates[tr.ID] = tr
	}
	s.merchants[id] = m
	s.pakms[pakms] = id
	return m
}

const idChars = "ABCDEFGHJKMNPQRSTVWXYZ0123456789"

// NewID returns a Clover-style id: 13 upper-case alphanumerics.
func NewID() string {
	b := make([]byte, 13)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(idChars))))
		b[i] = idChars[n.Int64()]
	}
	return string(b)
}

func randHex(n int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, n*2)
	r := make([]byte, n)
	_, _ = rand.Read(r)
	for i, c := range r {
		b[2*i], b[2*i+1] = hex[c>>4], hex[c&15]
	}
	return string(b)
}
