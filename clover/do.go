package clover

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
)

// maxBody bounds how much of a response the client reads.
const maxBody = 8 << 20

// abandonedHold is how long a call abandoned after its request was sent
// keeps its governor slot: a server goes on with a request whose client has
// gone (cloversim sleeps out its latency, Clover finishes its work) and
// counts it in flight meanwhile, so freeing the slot at once draws 429s
// under load (seen against cloversim when API requests time out).
const abandonedHold = 2 * time.Second

// request is one logical call: it may take several HTTP attempts, all with
// the same body and the same idempotency key.
type request struct {
	method   string
	base     string     // base URL of the host
	path     string     // escaped path
	tmpl     string     // path template for logs and CallInfo
	query    url.Values // nil for none
	body     any        // nil for none
	headers  http.Header
	budget   BudgetKey
	merchant string
	opts     *RequestOptions
	// singleUse: see attempt.SingleUse.
	singleUse bool
	// auth is the merchant's token a bearer call carries (nil for other
	// calls), renewed on a 401 through Config.Unauthorized.
	auth *Auth
	// secrets are scrubbed from error messages (tokens, keys, codes).
	secrets []string
}

// outcome is what one attempt produced.
type outcome struct {
	status int
	header http.Header
	body   []byte
	err    error // no (complete) HTTP answer
	sent   bool  // the request may have reached Clover
	// wrote is when the request was fully written (zero if unknown), for a
	// SentGovernor.
	wrote time.Time
}

// acquire takes a budget slot through AcquireSent when the governor has it.
func (c *Client) acquire(ctx context.Context, key BudgetKey, o *RequestOptions) (func(wrote time.Time), error) {
	actx, wait := ctx, c.MaxBudgetWait
	if o != nil && o.MaxBudgetWait > 0 {
		wait = o.MaxBudgetWait
	}
	if wait > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	var release func(wrote time.Time)
	var err error
	if sg, ok := c.Governor.(SentGovernor); ok {
		release, err = sg.AcquireSent(actx, key)
	} else {
		var rel func()
		if rel, err = c.Governor.Acquire(actx, key); err == nil {
			release = func(time.Time) { rel() }
		}
	}
	if err != nil && ctx.Err() == nil && actx.Err() != nil {
		return nil, errBudgetExhausted
	}
	return release, err
}

// errBudgetExhausted is a call refused for waiting longer than MaxBudgetWait.
var errBudgetExhausted = errors.New("clover: rate budget exhausted")

// budgetExhausted is the definite answer to a call that was never sent
// because Clover's rate budget stayed exhausted past MaxBudgetWait.
func budgetExhausted() *Error {
	return &Error{Status: http.StatusTooManyRequests, Type: "rate_limit_error", Code: "budget_exhausted",
		Message: "Clover's rate budget for this merchant is exhausted; retry shortly."}
}

// deadlineKey carries the time by which every Clover call must end.
type deadlineKey struct{}

// WithDeadline returns ctx under which every Clover call ends by t, its
// retries included: a caller that must answer in bounded time (a payment
// request, DESIGN.md §4) sets it once for all the calls it makes. Unlike a
// context deadline it survives context.WithoutCancel, which money
// movements use so that a client hanging up does not abandon them, and it
// bounds only the calls, not the recording of their outcome afterwards. A
// call cut short after it was sent is an unknown outcome (IsUnknownOutcome);
// one cut short before is IsCutShort. An earlier deadline already set wins.
func WithDeadline(ctx context.Context, t time.Time) context.Context {
	if d, ok := ctx.Value(deadlineKey{}).(time.Time); ok && d.Before(t) {
		return ctx
	}
	return context.WithValue(ctx, deadlineKey{}, t)
}

// IsCutShort reports whether a call failed because a deadline ran out,
// WithDeadline's or the context's, whether or not it was sent.
func IsCutShort(err error) bool { return errors.Is(err, context.DeadlineExceeded) }

// do performs r with retries and decodes a success body into out (if
// non-nil). Errors are *Error (Clover answered), *TransportError (no
// answer), or a local error before anything was sent.
func (c *Client) do(ctx context.Context, r *request, out any) error {
	if d, ok := ctx.Value(deadlineKey{}).(time.Time); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d)
		defer cancel()
	}
	var body []byte
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("clover: encode %s %s: %w", r.method, r.tmpl, err)
		}
		body = b
	}
	var key string
	if r.method != http.MethodGet {
		if r.opts != nil && r.opts.IdempotencyKey != "" {
			key = r.opts.IdempotencyKey
		} else {
			k, err := c.newKey()
			if err != nil {
				return fmt.Errorf("clover: idempotency key: %w", err)
			}
			key = k
		}
	}
	if c.BeforeSend != nil {
		if err := c.BeforeSend(ctx); err != nil {
			return fmt.Errorf("clover: before %s %s: %w", r.method, r.tmpl, err)
		}
	}
	secrets := append([]string{c.ClientSecret}, r.secrets...)
	pol := c.Retry.withDefaults()
	budget := r.budget
	budget.Priority = priorityOf(ctx, r.method, r.tmpl)
	ambiguous := false // an earlier attempt may have committed the write
	renewed := false   // the token was renewed after a 401 (once per call)
	var last error
	for n := 1; ; n++ {
		release, err := c.acquire(ctx, budget, r.opts)
		if err != nil {
			if errors.Is(err, errBudgetExhausted) && !ambiguous {
				return budgetExhausted() // nothing was sent: a definite refusal
			}
			return &TransportError{Method: r.method, Path: r.tmpl, Sent: ambiguous, Err: joinLast(err, last)}
		}
		start := time.Now()
		o := c.send(ctx, r, body, key)
		if o.err != nil && o.sent {
			// Abandoned after it was sent (timeout, cancel): Clover may
			// still be working on it and counting it in flight, so its
			// slot is handed back only later.
			time.AfterFunc(abandonedHold, func() { release(o.wrote) })
		} else {
			release(o.wrote)
		}
		info := CallInfo{
			Method: r.method, Path: r.tmpl, MerchantID: r.merchant, Attempt: n,
			Status: o.status, Duration: time.Since(start), IdempotencyKey: key,
		}
		var apiErr *Error
		switch {
		case o.err != nil:
			info.Status = 0
			info.ErrCode = netCode(o.err)
			ambiguous = ambiguous || o.sent
			last = &TransportError{Method: r.method, Path: r.tmpl, Sent: o.sent || ambiguous, Err: o.err}
		case o.status < 200 || o.status > 299 || hasTopLevelMessage(o.body):
			apiErr = parseError(o.status, o.header, o.body, secrets...)
			info.RequestID, info.ErrCode = apiErr.RequestID, apiErr.Code
			if info.ErrCode == "" {
				info.ErrCode = apiErr.Type
			}
			ambiguous = ambiguous || o.status >= 500
			// A 429 or 401 is refused before the idempotency key is looked
			// at: after an attempt that may have committed, it says nothing
			// of that attempt, so the outcome stays unknown.
			apiErr.unknown = o.status >= 500 || (ambiguous && (o.status == http.StatusTooManyRequests || o.status == http.StatusUnauthorized))
			last = apiErr
		default:
			info.RequestID = clean(o.header.Get("X-Clover-Request-Id"), 100)
			c.report(info)
			if out == nil || len(bytes.TrimSpace(o.body)) == 0 {
				return nil
			}
			if err := json.Unmarshal(o.body, out); err != nil {
				// Clover did it, but we cannot read what: reconcile.
				return &TransportError{Method: r.method, Path: r.tmpl, Sent: true,
					Err: fmt.Errorf("decode %d response: %w", o.status, err)}
			}
			return nil
		}
		if apiErr != nil && o.status == http.StatusUnauthorized && !renewed && !ambiguous && c.renew(ctx, r) {
			renewed = true
			secrets = append(secrets, r.auth.AccessToken)
			info.Retrying = true
			c.report(info)
			continue
		}
		a := attempt{Status: o.status, Err: o.err, Sent: o.sent, SingleUse: r.singleUse}
		if o.err != nil {
			a.Status = 0
		}
		info.Retrying = n < pol.MaxAttempts && shouldRetry(ctx, a)
		c.report(info)
		if !info.Retrying {
			return last
		}
		d := pol.backoff(n, a.Status, o.header, c.randN)
		if err := pol.Sleep(ctx, d); err != nil {
			return &TransportError{Method: r.method, Path: r.tmpl, Sent: ambiguous, Err: joinLast(err, last)}
		}
	}
}

// renew swaps a bearer call's refused token for a fresh one from
// Config.Unauthorized; it reports whether there is one to retry with.
func (c *Client) renew(ctx context.Context, r *request) bool {
	if r.auth == nil || c.Unauthorized == nil {
		return false
	}
	tok, err := c.Unauthorized(ctx, r.auth.MerchantID, r.auth.AccessToken)
	if err != nil || tok == "" || tok == r.auth.AccessToken {
		if err != nil {
			c.Logger.Warn("clover: no fresh token after a 401", "merchant", r.auth.MerchantID, "err", err)
		}
		return false
	}
	r.auth = &Auth{MerchantID: r.auth.MerchantID, AccessToken: tok}
	r.headers.Set("Authorization", "Bearer "+tok)
	r.budget.Token = TokenFingerprint(tok)
	r.secrets = append(r.secrets, tok)
	return true
}

// send makes one HTTP attempt and reads the whole answer.
func (c *Client) send(ctx context.Context, r *request, body []byte, key string) (o outcome) {
	var gotConn atomic.Bool // set from the transport's goroutines
	u := r.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	var wrote atomic.Pointer[time.Time]
	trace := &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) },
		WroteRequest: func(wi httptrace.WroteRequestInfo) {
			if wi.Err == nil {
				now := time.Now()
				wrote.Store(&now)
			}
		},
	}
	defer func() {
		if w := wrote.Load(); w != nil {
			o.wrote = *w
		}
	}()
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), r.method, u, rd)
	if err != nil {
		o.err = unwrapURL(err)
		return o
	}
	for k, vs := range r.headers {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", "paybridge")
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if r.opts != nil && r.opts.ForwardedFor != "" {
		req.Header.Set("X-Forwarded-For", r.opts.ForwardedFor)
	}
	resp, err := c.HTTPClient.Do(req)
	if err != nil {
		o.err, o.sent = unwrapURL(err), gotConn.Load()
		return o
	}
	defer resp.Body.Close()
	o.sent = true
	o.status, o.header = resp.StatusCode, resp.Header
	o.body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		o.err = fmt.Errorf("read %d response: %w", resp.StatusCode, unwrapURL(err))
	}
	return o
}

// report hands info to OnCall and the logger.
func (c *Client) report(info CallInfo) {
	if c.OnCall != nil {
		c.OnCall(info)
	}
	lvl := slog.LevelDebug
	if info.Status == 0 || info.Status >= 500 {
		lvl = slog.LevelWarn
	}
	c.Logger.Log(context.Background(), lvl, "clover call",
		"method", info.Method, "path", info.Path, "merchant", info.MerchantID,
		"attempt", info.Attempt, "status", info.Status, "duration", info.Duration,
		"request_id", info.RequestID, "err_code", info.ErrCode, "retrying", info.Retrying)
}

// unwrapURL drops *url.Error's wrapping, whose text repeats the full URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// joinLast wraps err with the last attempt's failure, if any.
func joinLast(err, last error) error {
	if last == nil {
		return err
	}
	return fmt.Errorf("%w (last attempt: %w)", err, last)
}

// netCode names a transport failure for CallInfo.
func netCode(err error) string {
	var ne interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	default:
		return "network"
	}
}

// need rejects an empty path id before any call: it would silently address
// another endpoint.
func need(what, id string) error {
	if id == "" {
		return fmt.Errorf("clover: empty %s", what)
	}
	return nil
}

// get issues r and decodes into a new T.
func get[T any](ctx context.Context, c *Client, r *request) (*T, error) {
	var out T
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	normalize(&out)
	return &out, nil
}
