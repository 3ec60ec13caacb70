package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"
)

// TestCloverConnectionsAreKept: the client paybridge calls Clover with
// keeps a connection for each of the app's concurrent calls, so a second
// burst reuses the first's instead of dialling Clover again (the standard
// library's default transport keeps two).
func TestCloverConnectionsAreKept(t *testing.T) {
	t.Parallel()
	s := startSandbox(t)
	hc, url := s.m.Clover.Config.HTTPClient, s.m.Clover.Config.URLs.Ecommerce+"/v1/charges/ch_none"
	const burst = 10 // Clover's concurrency budget per app
	var reused atomic.Int32
	round := func() {
		t.Helper()
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(ci httptrace.GotConnInfo) {
				if ci.Reused {
					reused.Add(1)
				}
			},
		})
		// Every body stays open until all answers are in, so the burst
		// holds burst connections at once.
		bodies := make([]io.ReadCloser, burst)
		var wg sync.WaitGroup
		for i := range burst {
			wg.Go(func() {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if err != nil {
					t.Error(err)
					return
				}
				resp, err := hc.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				bodies[i] = resp.Body
			})
		}
		wg.Wait()
		for _, b := range bodies {
			if b != nil {
				_, _ = io.Copy(io.Discard, b)
				b.Close()
			}
		}
	}
	round()
	reused.Store(0)
	round()
	if got := reused.Load(); got != burst {
		t.Errorf("the second burst reused %d of %d connections to Clover, want all", got, burst)
	}
}
