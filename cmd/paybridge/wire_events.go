package main

// Wiring of the events issue: events and outbound webhooks, River jobs on
// the store's engine, Clover platform webhooks in, reconciliation and
// every periodic task as River periodic jobs.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/paybridge/paybridge/httpapi"
	"github.com/paybridge/paybridge/jobs"
	"github.com/paybridge/paybridge/webhook"
)

// jobRunner builds the River runner once (routes need it before it starts).
func (m *Main) jobRunner() *jobs.Runner {
	if m.Jobs != nil {
		return m.Jobs
	}
	c := m.Config.Events
	r := jobs.New(m.DB, m.Service, m.Sealer, webhook.NewSender(m.Config.Sandbox() || m.Config.Events.WebhookAllowPrivate))
	r.Logger = m.Logger.With("component", "jobs")
	if m.Metrics != nil {
		r.OnDelivery = jobs.DeliveryMetrics(m.Metrics.Registerer())
	}
	if c.WebhookRetryBase > 0 {
		r.RetryBase = c.WebhookRetryBase
	}
	if c.WebhookRetryCap > 0 {
		r.RetryCap = c.WebhookRetryCap
	}
	if c.WebhookMaxAttempts > 0 {
		r.MaxAttempts = c.WebhookMaxAttempts
	}
	if c.WebhookDisableAfter > 0 {
		r.DisableAfter = c.WebhookDisableAfter
	}
	if c.JobPollInterval > 0 {
		r.PollInterval = c.JobPollInterval
	}
	if c.OrderSyncRetryBase > 0 {
		r.OrderSyncBackoff = c.OrderSyncRetryBase
	}
	m.Jobs = r
	return r
}

// startJobs runs River with every periodic task as a River periodic job
// (enqueued by the elected leader only, and unique while one is queued or
// running: one instance at a time).
func (m *Main) startJobs(ctx context.Context) error {
	r := m.jobRunner()
	for _, p := range m.periodics() {
		r.Periodics = append(r.Periodics, jobs.Periodic{Name: p.Name, Every: p.Every, Run: p.Run})
	}
	if d := m.Config.Events.DriftInterval; d > 0 {
		r.Periodics = append(r.Periodics, jobs.Periodic{Name: "drift-sweep", Every: d, Run: func(ctx context.Context) error {
			_, err := m.Service.SweepDrift(ctx, 24*time.Hour, 2*time.Minute)
			return err
		}})
	}
	if err := r.Start(ctx); err != nil {
		return err
	}
	if m.Sim != nil {
		// Clover's verification POST, as a developer would trigger it;
		// it completes once the server is serving.
		m.wg.Go(func() { m.simAdmin(http.MethodPost, "/_sim/webhooks/verify", "") })
	}
	return nil
}

// stopJobs stops River, letting running jobs finish within ctx.
func (m *Main) stopJobs(ctx context.Context) {
	if m.Jobs != nil {
		if err := m.Jobs.Stop(ctx); err != nil {
			m.Logger.Warn("stop jobs", "err", err)
		}
	}
}

// eventRoutes registers /v1/events, /v1/webhook-endpoints and
// /webhooks/clover; in sandbox mode it points cloversim's platform
// webhooks at this paybridge.
func (m *Main) eventRoutes(rt *httpapi.Router) {
	r := m.jobRunner()
	(&httpapi.Events{Store: m.DB, Sealer: m.Sealer, Redeliverer: r, AllowPrivate: m.Config.Sandbox() || m.Config.Events.WebhookAllowPrivate,
		Ports: m.Config.Events.WebhookPorts, Logger: m.Logger}).Routes(rt)
	auth := m.Config.Events.CloverWebhookAuthCode
	if m.Sim != nil && auth == "" {
		auth = m.Sim.Options().WebhookAuthCode
	}
	(&httpapi.CloverWebhooks{
		AuthCode: func() string { return auth },
		Accept:   r.AcceptClover,
		SaveVerification: func(ctx context.Context, code string) error {
			return m.DB.SetSetting(ctx, httpapi.CloverVerificationSetting, code)
		},
		Logger: m.Logger,
	}).Routes(rt)
	if m.Sim != nil {
		m.simAdmin(http.MethodPut, "/_sim/webhooks", `{"url":"`+strings.TrimRight(m.URL, "/")+`/webhooks/clover"}`)
	}
}

// simAdmin calls a cloversim admin endpoint in process.
func (m *Main) simAdmin(method, path, body string) {
	rec := httptest.NewRecorder()
	m.Sim.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	if rec.Code != http.StatusOK {
		m.Logger.Error("sandbox: cloversim admin", "path", path, "status", rec.Code)
	}
}
