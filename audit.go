package paybridge

import "time"

// AuditEntry records one Clover call or one money-moving API request: who,
// what, outcome, latency. Detail is scrubbed of secrets and card data before
// it is built; the store keeps it as given.
type AuditEntry struct {
	ID             string    `json:"id"` // aud_…
	MerchantID     string    `json:"-"`
	Actor          string    `json:"actor"`  // "api:<key jti>", "system:reconciler", "payer:<link>", …
	Action         string    `json:"action"` // "clover POST /v1/charges", "api POST /v1/refunds", …
	ObjectID       string    `json:"object_id,omitempty"`
	Outcome        string    `json:"outcome"` // "201", "402 card_declined", "network_error", …
	LatencyMS      int64     `json:"latency_ms"`
	RequestID      string    `json:"request_id,omitempty"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	Detail         string    `json:"detail,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// AuditFilter selects audit entries (newest first by default).
type AuditFilter struct {
	ObjectID string
	Cursor   string
	Limit    int
	Order    Order     // "" = the list's default
	Created  TimeRange // zero = any time
}
