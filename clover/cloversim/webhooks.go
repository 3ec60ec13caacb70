package cloversim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/paybridge/paybridge/clover"
)

// WebhookDelivery is one webhook POST the Sim made, for tests and
// GET /_sim/webhooks/deliveries. Secrets (auth code, signature) are left out.
type WebhookDelivery struct {
	Kind    string          `json:"kind"` // event | verification | checkout
	URL     string          `json:"url"`
	Attempt int             `json:"attempt"`
	Status  int             `json:"status"` // 0 when the request failed
	Error   string          `json:"error,omitempty"`
	Body    json.RawMessage `json:"body"`
	Time    int64           `json:"time"` // Unix ms, simulated clock
}

// whEvent is a queued platform webhook event.
type whEvent struct {
	MerchantID string
	Event      clover.WebhookEvent
}

// whJob is a fully formed webhook POST.
type whJob struct {
	Kind    string
	URL     string
	Headers map[string]string
	Body    []byte
}

// whHub owns webhook configuration, the bounded queue and the delivery
// goroutine. It has its own lock: notify runs with s.mu held.
type whHub struct {
	s *Sim

	mu          sync.Mutex
	url         string
	authCode    string
	checkoutURL string
	// checkoutCasing is the hosted-checkout webhook key casing (starts as
	// Options.CheckoutWebhookCasing; PUT /_sim/webhooks may change it).
	checkoutCasing string
	deliveries     []WebhookDelivery
	closed         bool
	started        bool

	events chan whEvent
	jobs   chan whJob
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	// window is how long the goroutine waits for more events to batch;
	// backoff is the wait before each retry (its length is the retry count).
	window  time.Duration
	backoff []time.Duration
}

const (
	whQueueSize     = 1024
	whMaxBatch      = 100
	whMaxDeliveries = 1000
)

func newWHHub(s *Sim) *whHub {
	ctx, cancel := context.WithCancel(context.Background())
	return &whHub{
		s: s, url: s.opts.WebhookURL, authCode: s.opts.WebhookAuthCode, checkoutURL: s.opts.CheckoutWebhookURL,
		checkoutCasing: s.opts.CheckoutWebhookCasing,
		events:         make(chan whEvent, whQueueSize), jobs: make(chan whJob, whQueueSize),
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
		window:  50 * time.Millisecond,
		backoff: []time.Duration{250 * time.Millisecond, time.Second, 3 * time.Second},
	}
}

// notify queues a platform webhook event (objectID like "P:ABC…", typ
// CREATE|UPDATE|DELETE) for merchant mid. It may be called with s.mu held
// and never blocks: delivery happens on another goroutine, and when the
// queue is full the event is dropped and logged as an error.
func (s *Sim) notify(mid, objectID, typ string) {
	h := s.ext.hooks
	ev := whEvent{MerchantID: mid, Event: clover.WebhookEvent{ObjectID: objectID, Type: typ, TS: s.extNow().UnixMilli()}}
	if !h.ensureRunning(false) {
		return
	}
	select {
	case h.events <- ev:
	default:
		s.log.Error("cloversim: webhook queue full, event DROPPED", "merchant_id", mid, "object_id", objectID, "type", typ)
	}
}

// enqueueJob queues a ready webhook (hosted checkout) without blocking.
func (h *whHub) enqueueJob(j whJob) {
	if !h.ensureRunning(true) {
		return
	}
	select {
	case h.jobs <- j:
	default:
		h.s.log.Error("cloversim: webhook queue full, webhook DROPPED", "kind", j.Kind)
	}
}

// ensureRunning starts the goroutine on first use. It reports false when
// nothing should be queued: the Sim is closed, or (for platform events) no
// URL is configured, as Clover sends nothing to an app without a callback.
func (h *whHub) ensureRunning(job bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || (!job && h.url == "") {
		return false
	}
	if !h.started {
		h.started = true
		go h.run()
	}
	return true
}

func (h *whHub) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	started := h.started
	h.mu.Unlock()
	h.cancel()
	if started {
		<-h.done
	}
}

func (h *whHub) run() {
	defer close(h.done)
	for {
		select {
		case <-h.ctx.Done():
			return
		case j := <-h.jobs:
			h.deliver(j)
		case e := <-h.events:
			batch, ok := h.collect(e)
			if !ok {
				return
			}
			if j, ok := h.eventJob(batch); ok {
				h.deliver(j)
			}
		}
	}
}

// collect gathers the events queued within the batch window after first.
func (h *whHub) collect(first whEvent) ([]whEvent, bool) {
	batch := []whEvent{first}
	t := time.NewTimer(h.window)
	defer t.Stop()
	for len(batch) < whMaxBatch {
		select {
		case e := <-h.events:
			batch = append(batch, e)
		case <-t.C:
			return batch, true
		case <-h.ctx.Done():
			return nil, false
		}
	}
	return batch, true
}

// eventJob renders a batch as one platform webhook for the current URL.
func (h *whHub) eventJob(batch []whEvent) (whJob, bool) {
	h.mu.Lock()
	url, code := h.url, h.authCode
	h.mu.Unlock()
	if url == "" {
		return whJob{}, false
	}
	p := clover.WebhookPayload{AppID: h.s.opts.AppID, Merchants: map[string][]clover.WebhookEvent{}}
	for _, e := range batch {
		p.Merchants[e.MerchantID] = append(p.Merchants[e.MerchantID], e.Event)
	}
	body, _ := json.Marshal(p)
	return whJob{Kind: "event", URL: url, Headers: map[string]string{"X-Clover-Auth": code}, Body: body}, true
}

// deliver POSTs j, retrying on failure with h.backoff until Close.
func (h *whHub) deliver(j whJob) {
	for attempt := 1; ; attempt++ {
		status, err := h.post(h.ctx, j, attempt)
		if err == nil && status >= 200 && status < 300 {
			return
		}
		if attempt > len(h.backoff) {
			h.s.log.Error("cloversim: webhook delivery failed, giving up", "kind", j.Kind, "url", j.URL, "status", status)
			return
		}
		t := time.NewTimer(h.backoff[attempt-1])
		select {
		case <-h.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// post sends one attempt and records it.
func (h *whHub) post(ctx context.Context, j whJob, attempt int) (int, error) {
	d := WebhookDelivery{Kind: j.Kind, URL: j.URL, Attempt: attempt, Body: json.RawMessage(j.Body), Time: h.s.extNow().UnixMilli()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.URL, bytes.NewReader(j.Body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		for k, v := range j.Headers {
			req.Header.Set(k, v)
		}
		var resp *http.Response
		if resp, err = h.s.opts.HTTPClient.Do(req); err == nil {
			d.Status = resp.StatusCode
			_ = resp.Body.Close()
		}
	}
	if err != nil {
		d.Error = err.Error()
	}
	h.mu.Lock()
	h.deliveries = append(h.deliveries, d)
	if n := len(h.deliveries); n > whMaxDeliveries {
		h.deliveries = append([]WebhookDelivery(nil), h.deliveries[n-whMaxDeliveries:]...)
	}
	h.mu.Unlock()
	return d.Status, err
}

// WebhookDeliveries returns every webhook POST made so far, oldest first.
func (s *Sim) WebhookDeliveries() []WebhookDelivery {
	h := s.ext.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]WebhookDelivery(nil), h.deliveries...)
}

// registerWebhooks serves the webhook admin endpoints. routes.go has no seam
// for them, so registerOAuth calls it.
func (s *Sim) registerWebhooks() {
	s.mux.HandleFunc("PUT /_sim/webhooks", s.putWebhooks)
	s.mux.HandleFunc("GET /_sim/webhooks", s.getWebhooks)
	s.mux.HandleFunc("POST /_sim/webhooks/verify", s.verifyWebhook)
	s.mux.HandleFunc("GET /_sim/webhooks/deliveries", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.WebhookDeliveries())
	})
}

type webhookConfig struct {
	URL         *string `json:"url,omitempty"`
	AuthCode    *string `json:"auth_code,omitempty"`
	CheckoutURL *string `json:"checkout_url,omitempty"`
	// CheckoutCasing is "pascal" or "camel" (hosted-checkout webhook keys).
	CheckoutCasing *string `json:"checkout_casing,omitempty"`
}

func (s *Sim) putWebhooks(w http.ResponseWriter, r *http.Request) {
	var c webhookConfig
	if err := extDecode(r, &c); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", err.Error())
		return
	}
	for _, u := range []*string{c.URL, c.CheckoutURL} {
		if u != nil && *u != "" && !extAbsURL(*u) {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", "Webhook URLs must be absolute http(s) URLs.")
			return
		}
	}
	if c.CheckoutCasing != nil && *c.CheckoutCasing != "pascal" && *c.CheckoutCasing != "camel" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", "checkout_casing must be pascal or camel.")
		return
	}
	h := s.ext.hooks
	h.mu.Lock()
	if c.CheckoutCasing != nil {
		h.checkoutCasing = *c.CheckoutCasing
	}
	if c.URL != nil {
		h.url = *c.URL
	}
	if c.AuthCode != nil && *c.AuthCode != "" {
		h.authCode = *c.AuthCode
	}
	if c.CheckoutURL != nil {
		h.checkoutURL = *c.CheckoutURL
	}
	h.mu.Unlock()
	s.getWebhooks(w, r)
}

func (s *Sim) getWebhooks(w http.ResponseWriter, _ *http.Request) {
	h := s.ext.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"url": h.url, "checkout_url": h.checkoutURL})
}

// verifyWebhook sends Clover's verification POST synchronously and returns
// the code (the developer would paste it into the dashboard).
func (s *Sim) verifyWebhook(w http.ResponseWriter, r *http.Request) {
	h := s.ext.hooks
	h.mu.Lock()
	url := h.url
	h.mu.Unlock()
	if url == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", "No webhook URL is configured.")
		return
	}
	code := extUUID()
	body, _ := json.Marshal(clover.VerificationPayload{VerificationCode: code})
	status, err := h.post(r.Context(), whJob{Kind: "verification", URL: url, Body: body}, 1)
	out := map[string]any{"verificationCode": code, "status": status}
	if err != nil {
		out["error"] = err.Error()
	}
	writeJSON(w, http.StatusOK, out)
}
