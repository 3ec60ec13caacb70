package paybridge

import "time"

// IdempotencyRecord is a CRM's Idempotency-Key and what it produced
// (DESIGN.md §5): the same key and body replays Status/Body; another body is
// 422; while Completed is false the first request is still in flight (409).
type IdempotencyRecord struct {
	MerchantID  string
	Key         string
	RequestHash string // SHA-256 of method, path and body
	Completed   bool
	Status      int
	Body        []byte
	CreatedAt   time.Time
}

// IdempotencyTTL is how long keys are kept (DESIGN.md §5: at least 24 h).
const IdempotencyTTL = 48 * time.Hour
