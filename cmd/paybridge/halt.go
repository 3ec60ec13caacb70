package main

import (
	"context"
	"net/http"
	"os"
	"sync"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
	"github.com/paybridge/paybridge/httpapi"
)

// Phases of a request at which PAYBRIDGE_TEST_HALT_AT stops the process,
// so that crash tests kill -9 it exactly there (issue 17). They follow an
// API write with an Idempotency-Key:
const (
	haltKeyStarted    = "key_started"    // the key is taken; nothing else
	haltCloverSending = "clover_sending" // the payment (or order) is persisted, Clover not yet called
	haltCloverAnswer  = "clover_answer"  // Clover answered a write; paybridge has not recorded it
	haltAnswering     = "answering"      // everything recorded but the key's stored answer
)

// halter stops the first request that reaches its phase: it writes the
// phase to the halt file and blocks for good. The zero phase never halts.
type halter struct {
	phase, file string
	once        sync.Once
}

func (h *halter) at(phase string) {
	if h == nil || h.phase != phase {
		return
	}
	h.once.Do(func() {
		_ = os.WriteFile(h.file, []byte(phase), 0o600)
		select {} // until killed
	})
}

// halter returns the configured halter, or nil.
func (m *Main) halter() *halter {
	if m.Config.TestHaltAt == "" {
		return nil
	}
	if m.halt == nil {
		m.halt = &halter{phase: m.Config.TestHaltAt, file: m.Config.TestHaltFile}
	}
	return m.halt
}

// haltClover wraps the Clover client's hooks with the Clover phases.
func (m *Main) haltClover(cfg *clover.Config) {
	h := m.halter()
	if h == nil {
		return
	}
	before, onCall := cfg.BeforeSend, cfg.OnCall
	cfg.BeforeSend = func(ctx context.Context) error {
		h.at(haltCloverSending)
		return before(ctx)
	}
	cfg.OnCall = func(ci clover.CallInfo) {
		onCall(ci)
		if ci.Method == http.MethodPost && ci.Status >= 200 && ci.Status < 300 {
			h.at(haltCloverAnswer)
		}
	}
}

// haltKeys wraps the idempotency store with the key phases.
func (m *Main) haltKeys(keys httpapi.IdempotencyStore) httpapi.IdempotencyStore {
	if h := m.halter(); h != nil {
		return haltingKeys{IdempotencyStore: keys, h: h}
	}
	return keys
}

type haltingKeys struct {
	httpapi.IdempotencyStore
	h *halter
}

func (k haltingKeys) BeginIdempotent(ctx context.Context, rec *paybridge.IdempotencyRecord) (*paybridge.IdempotencyRecord, error) {
	prev, err := k.IdempotencyStore.BeginIdempotent(ctx, rec)
	if err == nil && prev == nil {
		k.h.at(haltKeyStarted)
	}
	return prev, err
}

func (k haltingKeys) CompleteIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error {
	k.h.at(haltAnswering)
	return k.IdempotencyStore.CompleteIdempotent(ctx, merchantID, key, status, body)
}

// Defer and Sync keep the wrapped store's deferred durability.
func (k haltingKeys) Defer(ctx context.Context) context.Context {
	if d, ok := k.IdempotencyStore.(httpapi.Deferrer); ok {
		return d.Defer(ctx)
	}
	return ctx
}

func (k haltingKeys) Sync(ctx context.Context) error {
	if d, ok := k.IdempotencyStore.(httpapi.Deferrer); ok {
		return d.Sync(ctx)
	}
	return nil
}
