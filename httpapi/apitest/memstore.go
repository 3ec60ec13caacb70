package apitest

import (
	"context"
	"sync"

	"github.com/paybridge/paybridge"
)

// MemIdempotency is an in-memory httpapi.IdempotencyStore following
// paybridge.Store's contract, for API tests that do not need a database.
type MemIdempotency struct {
	mu   sync.Mutex
	recs map[[2]string]*paybridge.IdempotencyRecord
}

// BeginIdempotent records rec as in flight, or returns the existing record.
func (m *MemIdempotency) BeginIdempotent(_ context.Context, rec *paybridge.IdempotencyRecord) (*paybridge.IdempotencyRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil {
		m.recs = map[[2]string]*paybridge.IdempotencyRecord{}
	}
	k := [2]string{rec.MerchantID, rec.Key}
	if prev, ok := m.recs[k]; ok {
		c := *prev
		return &c, nil
	}
	c := *rec
	m.recs[k] = &c
	return nil, nil
}

// CompleteIdempotent stores the response of an in-flight key.
func (m *MemIdempotency) CompleteIdempotent(_ context.Context, merchantID, key string, status int, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.recs[[2]string{merchantID, key}]; ok {
		r.Completed, r.Status, r.Body = true, status, append([]byte(nil), body...)
	}
	return nil
}

// ReleaseIdempotent forgets an in-flight key.
func (m *MemIdempotency) ReleaseIdempotent(_ context.Context, merchantID, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.recs, [2]string{merchantID, key})
	return nil
}
