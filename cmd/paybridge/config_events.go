package main

import "time"

// EventsConfig tunes events, outbound webhooks and inbound Clover
// webhooks (wire_events.go).
type EventsConfig struct {
	// CloverWebhookAuthCode is the X-Clover-Auth code of the Clover app's
	// webhook settings (sandbox mode uses cloversim's).
	CloverWebhookAuthCode string `env:"PAYBRIDGE_CLOVER_WEBHOOK_AUTH_CODE"`
	// WebhookRetryBase and WebhookRetryCap shape delivery backoff
	// (base·2^n, capped) over WebhookMaxAttempts attempts: about three
	// days by default.
	WebhookRetryBase   time.Duration `env:"PAYBRIDGE_WEBHOOK_RETRY_BASE" envDefault:"5s"`
	WebhookRetryCap    time.Duration `env:"PAYBRIDGE_WEBHOOK_RETRY_CAP" envDefault:"6h"`
	WebhookMaxAttempts int           `env:"PAYBRIDGE_WEBHOOK_MAX_ATTEMPTS" envDefault:"24"`
	// WebhookDisableAfter disables an endpoint failing for that long.
	WebhookDisableAfter time.Duration `env:"PAYBRIDGE_WEBHOOK_DISABLE_AFTER" envDefault:"72h"`
	// WebhookAllowPrivate lets webhook endpoints target loopback and
	// private addresses outside sandbox mode (a CRM on the same private
	// network; the crash tests' receiver). Off by default: SSRF.
	WebhookAllowPrivate bool `env:"PAYBRIDGE_WEBHOOK_ALLOW_PRIVATE"`
	// JobPollInterval is how often idle River workers look for jobs.
	JobPollInterval time.Duration `env:"PAYBRIDGE_JOB_POLL_INTERVAL" envDefault:"1s"`
	// WebhookPorts are the ports webhook endpoint URLs may name outside
	// sandbox mode (SSRF: nothing else listening on a public host).
	WebhookPorts []int `env:"PAYBRIDGE_WEBHOOK_PORTS" envDefault:"443,80" envSeparator:","`
	// OrderSyncRetryBase is the first wait before an invoice's Clover order
	// is tried again after Clover failed to answer (doubling, capped at an
	// hour; jobs/orders.go).
	OrderSyncRetryBase time.Duration `env:"PAYBRIDGE_ORDER_SYNC_RETRY_BASE" envDefault:"1s"`
	// DriftInterval is how often recent Clover charges are compared with
	// paybridge's records (0 disables the sweep).
	DriftInterval time.Duration `env:"PAYBRIDGE_DRIFT_INTERVAL" envDefault:"10m"`
}
