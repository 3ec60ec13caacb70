package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/httpapi"
)

// API calls paybridge's /v1 API as a CRM does, one merchant's key each
// call, tagging every request with an X-Request-Id so Attribution can
// split its time.
type API struct {
	BaseURL string
	HTTP    *http.Client
	Attrib  *Attribution // nil against an external target
	seq     atomic.Int64
	prefix  string
}

// NewAPI returns an API client for baseURL. Its transport keeps enough idle
// connections for a few hundred requests in flight on loopback.
func NewAPI(baseURL string, a *Attribution) *API {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 512
	return &API{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Transport: tr}, Attrib: a, prefix: "lt_" + randHex(6) + "_"}
}

// Call sends one request and decodes a JSON answer into out (if non-nil and
// the status is 2xx). It returns the status and the request's Clover and
// budget time (zero without Attribution).
func (a *API) Call(ctx context.Context, key, method, path string, body, out any) (int, Spent, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, Spent{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.BaseURL+path, rd)
	if err != nil {
		return 0, Spent{}, err
	}
	id := a.prefix + fmt.Sprint(a.seq.Add(1))
	req.Header.Set("X-Request-Id", id)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method == http.MethodPost {
		req.Header.Set("Idempotency-Key", idemKey())
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return 0, a.take(id), err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	sp := a.take(id) // recorded before paybridge answered
	if err != nil {
		return resp.StatusCode, sp, err
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, sp, fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	if resp.StatusCode/100 != 2 {
		// The problem's code only: details may echo what was sent.
		var p struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(b, &p)
		return resp.StatusCode, sp, &ProblemError{Status: resp.StatusCode, Code: p.Code}
	}
	return resp.StatusCode, sp, nil
}

// ProblemError is a non-2xx answer from paybridge: its status and problem
// code.
type ProblemError struct {
	Status int
	Code   string
}

func (e *ProblemError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Code) }

func (a *API) take(id string) Spent {
	if a.Attrib == nil {
		return Spent{}
	}
	return a.Attrib.Take(id)
}

// Merchant is one merchant as the load tool drives it.
type Merchant struct {
	Key        string // paybridge API key
	CloverID   string // Clover merchant UUID, for the ledger
	Token      string // Clover access token fingerprint, for the Meter
	PAKMS      string // tokenizer key
	CustomerID string // a paybridge customer to invoice
}

// Tokenizer mints clv_ card tokens as Clover's iframe does (outside the
// timed part of a payment: it is the shopper's browser's call).
type Tokenizer struct {
	c *clover.Client
}

// NewTokenizer returns a Tokenizer for the Clover (or cloversim) tokenizer
// at baseURL.
func NewTokenizer(baseURL string) *Tokenizer {
	return &Tokenizer{c: clover.New(clover.Config{URLs: clover.URLs{Tokenizer: strings.TrimRight(baseURL, "/")}})}
}

// Token returns a fresh single-use token for the approving test Visa.
func (t *Tokenizer) Token(ctx context.Context, pakms string) (string, error) {
	tok, err := t.c.CreateToken(ctx, pakms, clover.TokenParams{Card: &clover.CardDetails{
		Number: "4242424242424242", ExpMonth: "12", ExpYear: "2030", CVV: "123", Brand: "VISA", First6: "424242", Last4: "4242",
	}})
	if err != nil {
		return "", err
	}
	return tok.ID, nil
}

// Pay is the "pay" scenario's arrival: tokenize a card (untimed), then
// create an invoice and pay it, as a CRM does for a job just done.
func Pay(a *API, tz *Tokenizer, m *Merchant) func(ctx context.Context, i int) Sample {
	return func(ctx context.Context, i int) Sample {
		tok, err := tz.Token(ctx, m.PAKMS)
		if err != nil {
			return Sample{Start: time.Now(), Err: "tokenize", CloverCalls: -1}
		}
		s := Sample{Start: time.Now()}
		var inv struct {
			ID string `json:"id"`
		}
		st, sp1, err := a.Call(ctx, m.Key, "POST", "/v1/invoices", map[string]any{
			"customer_id": m.CustomerID, "currency": "usd",
			"line_items": []map[string]any{{"description": "Service call", "quantity": 1, "unit_amount": 5000 + i%1000}},
		}, &inv)
		s.add(sp1)
		if err != nil || st != http.StatusCreated {
			s.Total = time.Since(s.Start)
			s.Err = failure("invoice", st, err)
			return s
		}
		st, sp2, err := a.Call(ctx, m.Key, "POST", "/v1/invoices/"+inv.ID+"/payments", map[string]any{"source": tok}, nil)
		s.add(sp2)
		s.Total = time.Since(s.Start)
		if err != nil || st != http.StatusCreated {
			s.Err = failure("pay", st, err)
			return s
		}
		s.OK = true
		return s
	}
}

// Read is the "read" scenario's arrival: GET an invoice.
func Read(a *API, m *Merchant, invoiceIDs []string) func(ctx context.Context, i int) Sample {
	return func(ctx context.Context, i int) Sample {
		s := Sample{Start: time.Now()}
		st, sp, err := a.Call(ctx, m.Key, "GET", "/v1/invoices/"+invoiceIDs[i%len(invoiceIDs)], nil, nil)
		s.add(sp)
		s.Total = time.Since(s.Start)
		if err != nil || st != http.StatusOK {
			s.Err = failure("read", st, err)
			return s
		}
		s.OK = true
		return s
	}
}

// Webhook is the "webhooks" scenario's arrival: Clover's platform webhook
// for an order update, which paybridge must answer fast and process in a
// job.
func Webhook(a *API, authCode, appID string, m *Merchant, orderIDs []string) func(ctx context.Context, i int) Sample {
	return func(ctx context.Context, i int) Sample {
		body, _ := json.Marshal(map[string]any{"appId": appID, "merchants": map[string]any{m.CloverID: []map[string]any{{
			"objectId": "O:" + orderIDs[i%len(orderIDs)], "type": "UPDATE", "ts": time.Now().UnixMilli() + int64(i),
		}}}})
		s := Sample{Start: time.Now(), CloverCalls: -1}
		req, err := http.NewRequestWithContext(ctx, "POST", a.BaseURL+"/webhooks/clover", bytes.NewReader(body))
		if err != nil {
			s.Err = "request"
			return s
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Clover-Auth", authCode)
		resp, err := a.HTTP.Do(req)
		s.Total = time.Since(s.Start)
		if err != nil {
			s.Err = failure("webhook", 0, err)
			return s
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			s.Err = failure("webhook", resp.StatusCode, nil)
			return s
		}
		s.OK = true
		return s
	}
}

func (s *Sample) add(sp Spent) {
	s.Clover += sp.Clover
	s.Budget += sp.Budget
	s.CloverCalls += sp.Calls
}

// failure names why an arrival failed, without bodies (which could carry
// anything).
func failure(step string, status int, err error) string {
	var pe *ProblemError
	switch {
	case errors.As(err, &pe):
		return step + ": " + pe.Error()
	case err != nil && (strings.Contains(err.Error(), "deadline exceeded") || strings.Contains(err.Error(), "Client.Timeout")):
		return step + ": timeout"
	case err != nil:
		return step + ": transport"
	}
	return fmt.Sprintf("%s: %d", step, status)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// idemKey is a fresh UUIDv4 idempotency key that paybridge will not refuse
// as card data: about one random UUID in 20,000 has digit groups that pass
// for a card number (TestCardScanFalsePositives) (httpapi refuses an Idempotency-Key that
// contains one), which would show up as a false error in a long run.
func idemKey() string {
	for {
		k := uuid.NewString()
		if !httpapi.ContainsCardNumber(k) {
			return k
		}
	}
}
