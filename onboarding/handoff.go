package onboarding

import (
	"context"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/apikey"
)

// MerchantDetails is what a CRM learns of the merchant it connected.
type MerchantDetails struct {
	ID               string                   `json:"id"`
	CloverMerchantID string                   `json:"clover_merchant_id"`
	Name             string                   `json:"name"`
	Currency         string                   `json:"currency"`
	Status           paybridge.MerchantStatus `json:"status"`
}

// HandoffResult is the answer to a redeemed hand-off code. APIKey is the
// only copy of the key: paybridge keeps its jti, never the key.
type HandoffResult struct {
	APIKey        string          `json:"api_key"`
	KeyID         string          `json:"key_id"` // the key's jti, for revocation
	IntegrationID string          `json:"integration_id"`
	EmployeeID    string          `json:"employee_id"`
	AppID         string          `json:"app_id"`
	Merchant      MerchantDetails `json:"merchant"`
}

// Redeem trades a hand-off code of integrationID for a fresh API key
// (claims merchant, employee, app, integration) and the merchant's
// details. A code is single use, expires after HandoffTTL and is bound to
// its integration; any refusal is ENOTFOUND/EINVALID "invalid_handoff_code"
// so a caller learns nothing about other integrations' codes.
func (s *Service) Redeem(ctx context.Context, integrationID, code string) (*HandoffResult, error) {
	invalid := paybridge.Errorf(paybridge.EINVALID, "code", "the hand-off code is invalid, expired or already used").
		WithCode("invalid_handoff_code")
	if code == "" || len(code) > 128 {
		return nil, invalid
	}
	if _, err := s.GetIntegration(ctx, integrationID); err != nil {
		return nil, err
	}
	h, err := s.Store.RedeemHandoff(ctx, integrationID, hash(code), s.Now().UTC())
	switch paybridge.ErrorKind(err) {
	case paybridge.ENOTFOUND, paybridge.EINVALID:
		return nil, invalid
	}
	if err != nil {
		return nil, err
	}
	m, err := s.Store.GetMerchant(ctx, h.MerchantID)
	if err != nil {
		return nil, err
	}
	key, err := s.Keyring.Issue(apikey.Claims{MerchantID: h.MerchantID, EmployeeID: h.EmployeeID,
		AppID: h.AppID, IntegrationID: h.IntegrationID}, s.KeyTTL)
	if err != nil {
		return nil, err
	}
	c, err := s.Keyring.Verify(key)
	if err != nil {
		return nil, err
	}
	if err := s.Store.RecordAPIKey(ctx, &paybridge.APIKeyRecord{JTI: c.ID, MerchantID: c.MerchantID,
		EmployeeID: c.EmployeeID, AppID: c.AppID, IntegrationID: c.IntegrationID,
		IssuedAt: c.IssuedAt.Time, ExpiresAt: c.ExpiresAt.Time}); err != nil {
		return nil, err
	}
	s.audit(ctx, paybridge.AuditEntry{MerchantID: m.ID, Actor: "integration:" + integrationID,
		Action: "api_key.issued", ObjectID: c.ID, Outcome: "ok"})
	return &HandoffResult{APIKey: key, KeyID: c.ID, IntegrationID: c.IntegrationID, EmployeeID: c.EmployeeID,
		AppID: c.AppID, Merchant: MerchantDetails{ID: m.ID, CloverMerchantID: m.CloverMerchantID, Name: m.Name,
			Currency: m.Currency, Status: m.Status}}, nil
}

// RevokeKey revokes one API key by its jti, the answer to one leaked key:
// every instance refuses it on its next request (the check reads the
// database each time), and the merchant's other keys keep working.
// ENOTFOUND for a jti paybridge never issued.
func (s *Service) RevokeKey(ctx context.Context, jti string) error {
	return s.Store.RevokeAPIKey(ctx, jti, s.Now().UTC())
}

// Unlink is the operator's escape hatch: the integration forgets its
// merchant (the next merchant to connect binds it) and every key issued
// through it stops working at once.
func (s *Service) Unlink(ctx context.Context, integrationID, actor string) error {
	it, err := s.GetIntegration(ctx, integrationID)
	if err != nil {
		return err
	}
	if err := s.Store.UnlinkIntegration(ctx, it.ID, s.Now().UTC()); err != nil {
		return err
	}
	s.audit(ctx, paybridge.AuditEntry{MerchantID: it.MerchantID, Actor: actor, Action: "integration.unlinked",
		ObjectID: it.ID, Outcome: "ok"})
	return nil
}
