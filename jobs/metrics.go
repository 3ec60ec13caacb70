package jobs

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Delivery outcomes, as Runner.OnDelivery reports them and the
// webhook_deliveries_total counter labels them.
const (
	DeliveryDelivered = "delivered" // the endpoint answered 2xx
	DeliveryFailed    = "failed"    // it answered, not 2xx (a redirect included)
	DeliveryNoAnswer  = "no_answer" // connection error or timeout
	DeliveryRefused   = "refused"   // a private or loopback address (SSRF guard)
)

// DeliveryMetrics registers webhook_deliveries_total{outcome} and
// webhook_delivery_duration_seconds{outcome} on reg and returns the
// observer to set as Runner.OnDelivery: how operators see a CRM's
// receiver failing before its endpoint is disabled days later.
func DeliveryMetrics(reg prometheus.Registerer) func(outcome string, d time.Duration) {
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "webhook_deliveries_total", Help: "Outbound webhook delivery attempts by outcome (delivered, failed, no_answer, refused).",
	}, []string{"outcome"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "webhook_delivery_duration_seconds", Help: "Latency of outbound webhook delivery attempts by outcome.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 15},
	}, []string{"outcome"})
	reg.MustRegister(total, latency)
	for _, o := range []string{DeliveryDelivered, DeliveryFailed, DeliveryNoAnswer, DeliveryRefused} {
		total.WithLabelValues(o) // every series exists from the start (rate() needs a zero)
	}
	return func(outcome string, d time.Duration) {
		total.WithLabelValues(outcome).Inc()
		latency.WithLabelValues(outcome).Observe(d.Seconds())
	}
}
