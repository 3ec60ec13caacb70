package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/httpapi"
)

// metricsRoutes puts /metrics on the API port: behind Config.MetricsToken
// when one is set, open in sandbox mode, and not at all otherwise (a
// production instance serves it on Config.MetricsAddr, or not).
func (m *Main) metricsRoutes(rt *httpapi.Router) {
	switch {
	case m.Config.MetricsToken != "":
		rt.HandlePublic("GET /metrics", metricsAuth(m.Config.MetricsToken, m.Metrics.Handler()))
	case m.Config.Sandbox():
		rt.HandlePublic("GET /metrics", m.Metrics.Handler())
	}
}

// metricsAuth requires Authorization: Bearer <token>, compared in constant
// time (of hashes, so the length leaks nothing either).
func metricsAuth(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		h := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(want[:], h[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="paybridge-metrics"`)
			httpapi.WriteError(w, r, &paybridge.Error{Kind: paybridge.EUNAUTHORIZED, Code: "invalid_metrics_token",
				Message: "Send the metrics token (PAYBRIDGE_METRICS_TOKEN) as Authorization: Bearer <token>."})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// startMetrics serves /metrics on Config.MetricsAddr, when set.
func (m *Main) startMetrics() error {
	if m.Config.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.MetricsAddr)
	if err != nil {
		return err
	}
	m.MetricsURL = "http://" + ln.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Metrics.Handler())
	m.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.metricsSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("serve metrics", "err", err)
		}
	}()
	return nil
}
