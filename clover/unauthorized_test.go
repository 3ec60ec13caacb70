package clover_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/paybridge/paybridge/clover"
)

// fail503Once answers the first charge attempt 503 itself (as a Clover
// that may have committed it would) and passes the rest to cloversim.
type fail503Once struct {
	next http.RoundTripper
	done atomic.Bool
}

func (f *fail503Once) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/v1/charges" && f.done.CompareAndSwap(false, true) {
		return &http.Response{StatusCode: 503, Header: http.Header{}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"message":"503 Service Unavailable"}`))}, nil
	}
	return f.next.RoundTrip(r)
}

// TestUnauthorizedRenewsTheToken: a 401 on a merchant's call asks
// Config.Unauthorized for a fresh token once and repeats the call with it
// (a charge too: a 401 is Clover's definite refusal, nothing moved); a
// charge whose earlier attempt may have committed (a 503 first) keeps its
// unknown outcome and never asks; a failed renewal leaves the 401.
func TestUnauthorizedRenewsTheToken(t *testing.T) {
	t.Parallel()
	b := setupSim(t, noLimits())
	var asked atomic.Int32
	var answer error
	b.c.Unauthorized = func(_ context.Context, mid, refused string) (string, error) {
		asked.Add(1)
		if mid != b.a.MerchantID || refused != "refused-token" {
			t.Errorf("asked for %s / %s", mid, refused)
		}
		return b.opts.AccessToken, answer
	}
	stale := clover.Auth{MerchantID: b.a.MerchantID, AccessToken: "refused-token"}
	charge := func(key string) (*clover.Charge, error) {
		return b.c.CreateCharge(t.Context(), stale, clover.ChargeParams{Amount: 1200, Currency: "usd", Source: b.token(t, cardOK)},
			&clover.RequestOptions{IdempotencyKey: key, ForwardedFor: "203.0.113.9"})
	}

	if _, err := b.c.GetMerchant(t.Context(), stale); err != nil || asked.Load() != 1 {
		t.Fatalf("read after a 401: %v, asked %d times", err, asked.Load())
	}
	ch, err := charge("k-1")
	if err != nil || ch.Status != "succeeded" || asked.Load() != 2 {
		t.Fatalf("charge after a 401: %v %v, asked %d", ch, err, asked.Load())
	}

	// 503 first (may have committed), then the 401: unknown outcome.
	hc := *b.c.HTTPClient
	hc.Transport = &fail503Once{next: http.DefaultTransport}
	b.c.HTTPClient = &hc
	if _, err := charge("k-2"); !clover.IsUnknownOutcome(err) || asked.Load() != 2 {
		t.Fatalf("charge 503 then 401: %v (unknown %v), asked %d; want unknown and no renewal", err, clover.IsUnknownOutcome(err), asked.Load())
	}

	answer = errors.New("no usable refresh token")
	_, err = b.c.GetMerchant(t.Context(), stale)
	wantStatus(t, "read with a failed renewal", err, http.StatusUnauthorized)
	if asked.Load() != 3 {
		t.Fatalf("asked %d times", asked.Load())
	}
	if n := len(b.sim.Ledger(b.a.MerchantID)); n != 1 {
		t.Fatalf("%d ledger entries, want the one charge", n)
	}
}
