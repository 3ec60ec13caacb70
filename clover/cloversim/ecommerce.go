package cloversim

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net/http"

	"github.com/paybridge/paybridge/clover"
)

// ecomState is what the ecommerce surfaces keep beyond the wire objects in
// merchant. It is guarded by s.mu.
type ecomState struct {
	rng    *mrand.Rand // fault dice, seeded from Options.Seed
	limits limiter

	charges     map[string]*chargeMeta // by charge id
	orders      map[string]*orderMeta  // by order id
	refundOrder map[string][]string    // merchant id → refund ids, oldest first
	started     int64                  // ms; PAKMS keys' createdTime

	// gate, when set (tests only, before serving), runs in the pipeline just
	// before the handler (after rate limits, faults and the idempotency
	// check): a test can hold requests in flight with it.
	gate func(r *http.Request)
}

// chargeMeta is a charge's simulator-only state.
type chargeMeta struct {
	MerchantID string
	Auth       bool // created with capture:false
	Voided     bool // an auth released by a full refund
	Declined   bool // the charge failed
	// ForwardedFor is the x-forwarded-for the API request carried.
	ForwardedFor string
	Refunds      []string // refund ids, oldest first
}

// orderMeta is an order's simulator-only state.
type orderMeta struct {
	Returned map[string]int64 // item parent → quantity returned
}

func (s *Sim) initEcom() {
	s.ecom = ecomState{
		rng:         newRand(s.opts.Seed),
		charges:     map[string]*chargeMeta{},
		orders:      map[string]*orderMeta{},
		refundOrder: map[string][]string{},
		started:     s.opts.Now().UnixMilli(),
	}
}

// registerEcommerce mounts the ecommerce host (charges, refunds, orders,
// customers, PAKMS) and the tokenizer host; their paths do not collide.
func (s *Sim) registerEcommerce() {
	h := s.mux.Handle
	h("POST /v1/charges", s.api(s.createCharge))
	h("GET /v1/charges", s.api(s.listCharges))
	h("GET /v1/charges/{id}", s.api(s.getCharge))
	h("POST /v1/charges/{id}/capture", s.api(s.captureCharge))

	h("POST /v1/refunds", s.api(s.createRefund))
	h("GET /v1/refunds", s.api(s.listRefunds))
	h("GET /v1/refunds/{id}", s.api(s.getRefund))

	h("POST /v1/orders", s.api(s.createOrder))
	h("GET /v1/orders/{id}", s.api(s.getOrder))
	h("POST /v1/orders/{id}/pay", s.api(s.payOrder))
	h("POST /v1/orders/{id}/returns", s.api(s.returnOrder))

	h("POST /v1/customers", s.api(s.createCustomer))
	h("GET /v1/customers/{id}", s.api(s.getCustomer))
	h("PUT /v1/customers/{id}", s.api(s.updateCustomer))
	h("DELETE /v1/customers/{id}/sources/{cardId}", s.api(s.deleteCard))

	h("GET /pakms/apikey", s.api(s.getPAKMS))

	h("POST /v1/tokens", s.tokenAPI(s.createToken))
	h("GET /v1/tokens/{id}", s.tokenAPI(s.getToken))
}

// decode reads a JSON body into v. Unknown fields are accepted (Clover's
// bodies have many we do not model) but wrong types are not: an amount sent
// as a string or a float is a 400.
func decode(r *http.Request, v any) *apiError {
	err := json.NewDecoder(r.Body).Decode(v)
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &apiError{Status: 400, Detail: detail("invalid_request_error", "invalid_request",
			"Invalid value for "+te.Field+".", te.Field)}
	}
	return errf(400, "invalid_request_error", "invalid_request", "Invalid JSON body.")
}

func detail(typ, code, msg, param string) clover.ErrorDetail {
	return clover.ErrorDetail{Type: typ, Code: code, Message: msg, Param: param}
}

// digits returns n random decimal digits (ref_num, auth codes).
func digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + d.Int64())
	}
	return string(b)
}

// notFound builds Clover's "<Thing> with id X not found." 404.
func notFound(typ, code, thing, id string) *apiError {
	return errf(404, typ, code, "%s with id %s not found.", thing, id)
}
