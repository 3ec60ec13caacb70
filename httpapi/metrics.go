package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds paybridge's Prometheus collectors in a private registry (no
// global default registry, so tests and several servers in one process do
// not collide). Other packages report through its Observe methods, typically
// wired as hooks (clover.Client OnCall, governor OnWait) in cmd.
type Metrics struct {
	reg           *prometheus.Registry
	httpRequests  *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	cloverCalls   *prometheus.CounterVec
	cloverLatency *prometheus.HistogramVec
	governorWait  *prometheus.HistogramVec
	payments      *prometheus.CounterVec
}

// NewMetrics returns a Metrics with every collector registered, plus the Go
// runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "API requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "API request latency by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		cloverCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clover_calls_total", Help: "HTTP attempts to Clover by endpoint and status (network_error when none).",
		}, []string{"endpoint", "status"}),
		cloverLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "clover_call_duration_seconds", Help: "Latency of HTTP attempts to Clover by endpoint.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"endpoint"}),
		governorWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "governor_wait_seconds", Help: "Time Clover calls waited for Clover's rate budget, by priority class (money, order_sync, background); the count is the calls granted.",
			Buckets: []float64{0, .001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"class"}),
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payments_total", Help: "Payment outcomes (succeeded, authorized, failed, unknown, …).",
		}, []string{"outcome"}),
	}
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.cloverCalls, m.cloverLatency, m.governorWait, m.payments,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registerer lets other packages add their own collectors to the same
// private registry.
func (m *Metrics) Registerer() prometheus.Registerer { return m.reg }

// Gatherer exposes the registry, e.g. for tests with prometheus/testutil.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Handler serves the registry in the Prometheus text format (GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveHTTP records one API request. route is the mux pattern, never the
// raw path, so ids do not explode the label space.
func (m *Metrics) ObserveHTTP(route, method string, status int, d time.Duration) {
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(d.Seconds())
}

// ObserveClover records one HTTP attempt to Clover. endpoint is a template
// ("POST /v1/charges"), never a URL with ids; status 0 means no response.
func (m *Metrics) ObserveClover(endpoint string, status int, d time.Duration) {
	s := "network_error"
	if status > 0 {
		s = strconv.Itoa(status)
	}
	m.cloverCalls.WithLabelValues(endpoint, s).Inc()
	m.cloverLatency.WithLabelValues(endpoint).Observe(d.Seconds())
}

// ObserveGovernorWait records how long a Clover call of a priority class
// (clover.Priority's name) waited for budget.
func (m *Metrics) ObserveGovernorWait(class string, d time.Duration) {
	m.governorWait.WithLabelValues(class).Observe(d.Seconds())
}

// ObservePayment counts a payment reaching outcome (a PaymentStatus).
func (m *Metrics) ObservePayment(outcome string) {
	m.payments.WithLabelValues(outcome).Inc()
}
