package main

import "time"

// WebConfig configures the pay page and its mail (PAYBRIDGE_SMTP_*). With
// no SMTP host, sandbox mode keeps mail in the outbox at /sandbox/outbox
// and production sends none (POST /v1/invoices/{id}/send answers 503).
type WebConfig struct {
	SMTPHost     string `env:"PAYBRIDGE_SMTP_HOST"`
	SMTPPort     int    `env:"PAYBRIDGE_SMTP_PORT" envDefault:"587"`
	SMTPUsername string `env:"PAYBRIDGE_SMTP_USERNAME"`
	SMTPPassword string `env:"PAYBRIDGE_SMTP_PASSWORD"`
	SMTPFrom     string `env:"PAYBRIDGE_SMTP_FROM" envDefault:"paybridge <no-reply@localhost>"`
	// SMTPTLS is mandatory (STARTTLS), opportunistic, tls or none.
	SMTPTLS string `env:"PAYBRIDGE_SMTP_TLS" envDefault:"mandatory"`
	// CloverSDKURL overrides where the iframe SDK is loaded from (default
	// <Clover checkout URL>/sdk.js).
	CloverSDKURL string `env:"PAYBRIDGE_CLOVER_SDK_URL"`
	// LinkTTL is a payment link's default lifetime.
	LinkTTL time.Duration `env:"PAYBRIDGE_LINK_TTL" envDefault:"720h"`
}
