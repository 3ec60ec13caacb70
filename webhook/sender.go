package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/paybridge/paybridge"
)

// Sender POSTs signed messages. Its fields are dependencies with defaults
// set by NewSender.
type Sender struct {
	// HTTPClient sends; NewSender's refuses private targets unless
	// allowPrivate, times out after 15 s and follows no redirects (a
	// redirect could point anywhere).
	HTTPClient *http.Client
	Now        func() time.Time
	UserAgent  string
}

// NewSender returns a Sender; allowPrivate lets it reach loopback and
// private addresses (sandbox mode only).
func NewSender(allowPrivate bool) *Sender {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = Dialer(allowPrivate).DialContext
	tr.Proxy = nil
	tr.MaxIdleConnsPerHost = 16
	return &Sender{
		HTTPClient: &http.Client{Transport: tr, Timeout: 15 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		Now:       time.Now,
		UserAgent: "paybridge-webhooks/1",
	}
}

// Result is one delivery attempt's outcome.
type Result struct {
	Status   int           // 0 when no response came
	Duration time.Duration // for metrics only
}

// OK reports a 2xx answer.
func (r Result) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Send POSTs body to url as message id, signed with every secret given.
// An error means no 2xx answer (the status, if any, is in Result).
func (s *Sender) Send(ctx context.Context, url, id string, body []byte, secrets ...string) (Result, error) {
	start := s.Now()
	h, err := Headers(id, start, body, secrets...)
	if err != nil {
		return Result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.UserAgent)
	req.Header.Set("Paybridge-Version", paybridge.APIVersion) // the shape of the event's data
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := s.HTTPClient.Do(req)
	res := Result{Duration: s.Now().Sub(start)}
	if err != nil {
		return res, fmt.Errorf("webhook: post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	res.Status = resp.StatusCode
	if !res.OK() {
		return res, fmt.Errorf("webhook: endpoint answered %d", resp.StatusCode)
	}
	return res, nil
}
