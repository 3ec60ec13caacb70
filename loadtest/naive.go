package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Naive is the baseline: a CRM that calls Clover itself, with nothing
// between it and Clover's limits. Per payment it creates a customer, an
// order and pays the order, and on a 429 it waits one second and tries
// again (what most integrations do), until the arrival's context ends.
type Naive struct {
	CloverURL string // ecommerce base URL
	HTTP      *http.Client
}

// NewNaive returns a Naive CRM for the Clover (or cloversim) at baseURL.
func NewNaive(baseURL string) *Naive {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 512
	return &Naive{CloverURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Transport: tr}}
}

// Pay is the naive "pay" arrival for merchant m, whose AccessToken is the
// raw Clover token (a CRM calling Clover holds it).
func (n *Naive) Pay(tz *Tokenizer, m *Merchant, accessToken string) func(ctx context.Context, i int) Sample {
	return func(ctx context.Context, i int) Sample {
		tok, err := tz.Token(ctx, m.PAKMS)
		if err != nil {
			return Sample{Start: time.Now(), Err: "tokenize", CloverCalls: -1}
		}
		s := Sample{Start: time.Now()}
		email := fmt.Sprintf("customer%d@example.com", i)
		var cu, ord struct {
			ID string `json:"id"`
		}
		steps := []struct {
			name, path string
			body       any
			out        any
		}{
			{"customer", "/v1/customers", map[string]any{"email": email}, &cu},
			{"order", "/v1/orders", nil, &ord},
			{"pay", "", nil, nil},
		}
		for k, st := range steps {
			switch k {
			case 1:
				st.body = map[string]any{"currency": "usd", "email": email, "customer": cu.ID,
					"items": []map[string]any{{"amount": 5000 + i%1000, "currency": "usd", "description": "Service call", "quantity": 1}}}
			case 2:
				st.path, st.body = "/v1/orders/"+ord.ID+"/pay", map[string]any{"source": tok, "email": email}
			}
			calls, status, err := n.post(ctx, accessToken, st.path, st.body, st.out)
			s.CloverCalls += calls
			if err != nil || status/100 != 2 {
				s.Total = time.Since(s.Start)
				s.Err = failure(st.name, status, err)
				return s
			}
		}
		s.Total = time.Since(s.Start)
		s.Clover = s.Total // all of it is Clover's (and its 429 pauses)
		s.OK = true
		return s
	}
}

// post sends one write, waiting 1 s and retrying after each 429.
func (n *Naive) post(ctx context.Context, token, path string, body, out any) (calls, status int, err error) {
	b, _ := json.Marshal(body)
	for {
		req, err := http.NewRequestWithContext(ctx, "POST", n.CloverURL+path, bytes.NewReader(b))
		if err != nil {
			return calls, 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", idemKey())
		req.Header.Set("X-Forwarded-For", "127.0.0.1") // the payer: this host (Clover refuses an order pay without one)
		calls++
		resp, err := n.HTTP.Do(req)
		if err != nil {
			return calls, 0, err
		}
		rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests {
			if out != nil && resp.StatusCode/100 == 2 {
				_ = json.Unmarshal(rb, out)
			}
			return calls, resp.StatusCode, nil
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return calls, resp.StatusCode, ctx.Err()
		case <-t.C:
		}
	}
}
