package billing

import (
	"sync"
	"time"

	"github.com/paybridge/paybridge"
)

// pendingAudit holds the audit entries of Clover calls made for a merchant
// paybridge has not stored yet: a connect calls Clover (code exchange,
// merchant, PAKMS key) before it stores the merchant its entries belong
// to. Bounded: a connect that never completes leaves entries that expire.
type pendingAudit struct {
	mu   sync.Mutex
	byID map[string]*heldCalls // Clover merchant id →
}

type heldCalls struct {
	since   time.Time
	entries []*paybridge.AuditEntry
}

const (
	pendingAuditTTL       = 15 * time.Minute // longer than a connect's state (10 min)
	pendingAuditMerchants = 256
	pendingAuditPerID     = 32
)

// hold keeps e for cloverID, dropping expired holds first; past the bounds
// the entry is dropped (a flood of connects that never finish).
func (p *pendingAudit) hold(cloverID string, e *paybridge.AuditEntry, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byID == nil {
		p.byID = map[string]*heldCalls{}
	}
	for id, h := range p.byID {
		if now.Sub(h.since) > pendingAuditTTL {
			delete(p.byID, id)
		}
	}
	h := p.byID[cloverID]
	if h == nil {
		if len(p.byID) >= pendingAuditMerchants {
			return
		}
		h = &heldCalls{since: now}
		p.byID[cloverID] = h
	}
	if len(h.entries) < pendingAuditPerID {
		h.entries = append(h.entries, e)
	}
}

// take removes and returns what is held for cloverID, oldest first.
func (p *pendingAudit) take(cloverID string) []*paybridge.AuditEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.byID[cloverID]
	if h == nil {
		return nil
	}
	delete(p.byID, cloverID)
	return h.entries
}
