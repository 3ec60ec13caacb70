package billing

import (
	"context"
	"strconv"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/clover"
)

// RecordCloverCall writes one audit entry per HTTP attempt to Clover (set
// it as the client's OnCall). The entry names the endpoint template, the
// outcome, the latency, Clover's request id and the idempotency key, never
// a token or a body, so the audit log is scrubbed by construction.
//
// A connect's calls (the code exchange, the merchant and PAKMS reads) come
// before its merchant is stored: they are held (pending_audit.go) until
// the connect stores it (FlushCloverCalls) or the merchant's next call.
func (s *Service) RecordCloverCall(ci clover.CallInfo) {
	if ci.MerchantID == "" {
		return // the tokenizer: the customer's browser's call, not paybridge's
	}
	outcome := strconv.Itoa(ci.Status)
	if ci.Status == 0 {
		outcome = "no_answer"
	}
	if ci.ErrCode != "" {
		outcome += " " + ci.ErrCode
	}
	detail := "attempt " + strconv.Itoa(ci.Attempt)
	if ci.Retrying {
		detail += ", retrying"
	}
	e := &paybridge.AuditEntry{
		ID: paybridge.NewID(paybridge.PrefixAudit), Actor: "paybridge",
		Action: "clover " + ci.Method + " " + ci.Path, Outcome: outcome, LatencyMS: ci.Duration.Milliseconds(),
		RequestID: ci.RequestID, IdempotencyKey: ci.IdempotencyKey, Detail: detail, CreatedAt: s.Now().UTC(),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	mid, err := s.merchantIDFor(ctx, ci.MerchantID)
	switch {
	case paybridge.ErrorKind(err) == paybridge.ENOTFOUND:
		s.pending.hold(ci.MerchantID, e, s.Now())
		s.Logger.Debug("audit Clover call: merchant not stored yet (a connect); held", "clover_merchant_id", ci.MerchantID)
		return
	case err != nil:
		s.Logger.Error("audit Clover call: merchant", "clover_merchant_id", ci.MerchantID, "err", err)
		return
	}
	s.recordFor(mid, append(s.pending.take(ci.MerchantID), e))
}

// FlushCloverCalls records the held calls of a Clover merchant now stored
// as mid (onboarding calls it once a connect has stored the merchant).
func (s *Service) FlushCloverCalls(cloverID, mid string) {
	s.merchantIDs.Store(cloverID, mid)
	s.recordFor(mid, s.pending.take(cloverID))
}

func (s *Service) recordFor(mid string, entries []*paybridge.AuditEntry) {
	for _, e := range entries {
		e.MerchantID = mid
		s.Audit.Record(e)
	}
}

// merchantIDFor maps a Clover merchant id to paybridge's, cached: the
// mapping never changes once a merchant is connected.
func (s *Service) merchantIDFor(ctx context.Context, cloverID string) (string, error) {
	if id, ok := s.merchantIDs.Load(cloverID); ok {
		return id.(string), nil
	}
	m, err := s.Store.GetMerchantByCloverID(ctx, cloverID)
	if err != nil {
		return "", err
	}
	s.merchantIDs.Store(cloverID, m.ID)
	return m.ID, nil
}
