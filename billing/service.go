package billing

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/seal"
)

// Service runs invoices, payments, refunds and returns for every merchant.
// Its fields are its dependencies; New sets the defaults.
type Service struct {
	Store  paybridge.Store
	Clover *clover.Client
	Sealer *seal.Sealer
	Audit  *AuditLog
	Logger *slog.Logger
	Now    func() time.Time
	// StaleAfter is how long a payment may stay pending before the
	// reconciler assumes its process died mid-call and repeats the call.
	StaleAfter time.Duration
	// OnPayment observes each payment outcome (metrics).
	OnPayment func(status paybridge.PaymentStatus)
	// MoneyTimeout bounds a money movement once its row is persisted (the
	// Clover call with its retries, and recording the outcome).
	MoneyTimeout time.Duration
	// ServerIP is the x-forwarded-for of merchant-initiated charges whose
	// card has no address recorded with its consent (forwarded.go).
	// Clover refuses charges without one; paybridge refuses to start
	// outside sandbox mode without it (PAYBRIDGE_SERVER_IP).
	ServerIP string
	// PaymentWait bounds the Clover calls of a payment, capture, void,
	// refund or return request from its start (0: MoneyTimeout alone). A
	// call cut short leaves the payment or refund in flight (unknown),
	// answered as processing and settled in the background by the
	// reconciler with the same Clover idempotency key, instead of holding
	// the CRM's request through a chain of retries.
	PaymentWait time.Duration
	// OnCardSaved is told of every card saved on file (recurring billing
	// resumes with it); optional.
	OnCardSaved func(ctx context.Context, card *paybridge.Card)
	// Notify is told when a customer should hear of a failed charge or a
	// due invoice (the Notifier mails them); optional.
	Notify func(ctx context.Context, n Notice)

	orders      singleflight.Group // SyncInvoiceOrder's calls, by invoice id
	taxMu       sync.Mutex
	taxRates    map[string]taxCache // by merchant id
	merchantIDs sync.Map            // Clover merchant id → paybridge merchant id
	pending     pendingAudit        // audit entries of calls for a merchant not stored yet (a connect)
}

// New returns a Service over store, Clover client and sealer.
func New(store paybridge.Store, c *clover.Client, sealer *seal.Sealer) *Service {
	logger := slog.New(slog.DiscardHandler)
	return &Service{
		Store: store, Clover: c, Sealer: sealer, Audit: NewAuditLog(store, logger),
		Logger:       logger,
		Now:          time.Now,
		StaleAfter:   5 * time.Minute,
		MoneyTimeout: 3 * time.Minute,
		taxRates:     map[string]taxCache{},
	}
}

// Caller is who asks: the merchant the request acts for, the actor for the
// audit log ("api:<key id>", "payer:<link>", "system:reconciler"), and the
// paying customer's address when the customer is the one paying (the pay
// page's client; the API's client_ip), "" for merchant-initiated calls.
type Caller struct {
	MerchantID string
	Actor      string
	ClientIP   string
	RequestID  string
}

// detach returns a context for a persisted money movement: it keeps ctx's
// values but not its cancellation, and has its own deadline. A CRM that
// gives up on its request (a timeout, a closed connection) must not leave
// the movement half done: the call to Clover and the recording of its
// outcome finish, so the payment ends definite instead of pending — where
// the reconciler would later complete what the CRM believes failed.
func (s *Service) detach(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), s.MoneyTimeout)
}

// bound sets the PaymentWait deadline on the Clover calls a request makes
// from now (clover.WithDeadline: it survives detach).
func (s *Service) bound(ctx context.Context) context.Context {
	if s.PaymentWait <= 0 {
		return ctx
	}
	return clover.WithDeadline(ctx, time.Now().Add(s.PaymentWait))
}

// credentialsAAD binds a merchant's sealed credentials to its row.
func credentialsAAD(merchantID string) string { return "merchant:" + merchantID + ":credentials" }

// sealedCreds is the plaintext form of a merchant's sealed credentials.
type sealedCreds struct {
	A  string    `json:"a"`
	AE time.Time `json:"ae"`
	R  string    `json:"r"`
	RE time.Time `json:"re"`
}

// SealCredentials seals a merchant's Clover token pair for the store.
func SealCredentials(s *seal.Sealer, merchantID string, c paybridge.Credentials) ([]byte, error) {
	b, err := json.Marshal(sealedCreds{c.AccessToken, c.AccessExpires, c.RefreshToken, c.RefreshExpires})
	if err != nil {
		return nil, err
	}
	return s.Seal(b, credentialsAAD(merchantID))
}

// OpenCredentials opens what SealCredentials sealed.
func OpenCredentials(s *seal.Sealer, merchantID string, sealed []byte) (paybridge.Credentials, error) {
	b, err := s.Open(sealed, credentialsAAD(merchantID))
	if err != nil {
		return paybridge.Credentials{}, err
	}
	var v sealedCreds
	if err := json.Unmarshal(b, &v); err != nil {
		return paybridge.Credentials{}, err
	}
	return paybridge.Credentials{AccessToken: v.A, AccessExpires: v.AE, RefreshToken: v.R, RefreshExpires: v.RE}, nil
}

// merchantAuth loads a merchant and its Clover credentials. Writes are
// refused while the merchant must reauthorize.
func (s *Service) merchantAuth(ctx context.Context, merchantID string, write bool) (*paybridge.Merchant, clover.Auth, error) {
	m, sealed, err := s.Store.MerchantWithCredentials(ctx, merchantID)
	if err != nil {
		return nil, clover.Auth{}, err
	}
	if write && m.Status == paybridge.MerchantReauthorizationRequired {
		return nil, clover.Auth{}, paybridge.Errorf(paybridge.EFORBIDDEN, "",
			"the merchant must reconnect its Clover account before paybridge can move money").WithCode("merchant_reauthorization_required")
	}
	creds, err := OpenCredentials(s.Sealer, merchantID, sealed)
	if err != nil {
		return nil, clover.Auth{}, fmt.Errorf("open credentials of %s: %w", merchantID, err)
	}
	return m, clover.Auth{MerchantID: m.CloverMerchantID, AccessToken: creds.AccessToken}, nil
}

// reauthorize marks a merchant whose Clover token was refused (DESIGN.md
// §4: a dead key leads to reauthorization, never a crash or a retry loop).
func (s *Service) reauthorize(ctx context.Context, merchantID string) {
	if err := s.Store.SetMerchantStatus(ctx, merchantID, paybridge.MerchantReauthorizationRequired); err != nil {
		s.Logger.Error("mark merchant reauthorization_required", "merchant_id", merchantID, "err", err)
		return
	}
	s.Logger.Warn("Clover refused the merchant's token: reauthorization required", "merchant_id", merchantID)
}

// newKey returns a fresh UUIDv4 idempotency key.
func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatUUIDv4(b)
}

// derivedKey returns a UUIDv4-shaped key derived from an object id and a
// purpose, so a follow-up operation (creating an invoice's order, capturing
// or voiding a payment) retried any number of times, by any process,
// carries the same key to Clover.
func derivedKey(id, purpose string) string {
	sum := sha256.Sum256([]byte(id + "/" + purpose))
	var b [16]byte
	copy(b[:], sum[:16])
	return formatUUIDv4(b)
}

func formatUUIDv4(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// externalRef is a charge's external_reference_id (Clover allows 12
// characters): the tail of the paybridge id, enough to find it by eye.
func externalRef(id string) string {
	if len(id) > 12 {
		return id[len(id)-12:]
	}
	return id
}

// cloverError turns a definite Clover refusal into a paybridge error for the
// API: the message is Clover's buyer-safe text, the code Clover's code.
func cloverError(param string, err error) error {
	var ce *clover.Error
	if !errors.As(err, &ce) {
		return err
	}
	code := ce.Code
	if code == "" {
		code = "clover_error"
	}
	msg := ce.Message
	if msg == "" {
		msg = "Clover refused the request."
	}
	kind := paybridge.EINVALID
	switch {
	case clover.IsDecline(err):
		kind = paybridge.EDECLINED
	case ce.Status == 404:
		kind = paybridge.ENOTFOUND
	case ce.Status == 409:
		kind = paybridge.ECONFLICT
	case ce.Status == 429:
		kind = paybridge.ERATELIMIT
	case ce.Status >= 500:
		kind = paybridge.EUNAVAILABLE
	}
	return paybridge.Errorf(kind, param, "%s", msg).WithCode(code)
}

// unavailable is the answer when Clover gave no definite answer to a call
// that is safe to repeat.
func unavailable(what string) error {
	return paybridge.Errorf(paybridge.EUNAVAILABLE, "", "Clover did not answer while %s; retrying is safe", what).WithCode("clover_unavailable")
}
