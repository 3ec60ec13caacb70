package onboarding

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
)

// PageError is a refusal shown to the merchant's browser: Status is the
// HTTP status, Code picks the localized message (see messages.go).
type PageError struct {
	Status int
	Code   string
	// Err is the underlying cause for the log (never shown, never secret).
	Err error
}

func (e *PageError) Error() string {
	if e.Err != nil {
		return "onboarding: " + e.Code + ": " + e.Err.Error()
	}
	return "onboarding: " + e.Code
}

func (e *PageError) Unwrap() error { return e.Err }

func pageErr(status int, code string, err error) *PageError {
	return &PageError{Status: status, Code: code, Err: err}
}

var crmStateRe = regexp.MustCompile(`^[\x21-\x7e]{0,256}$`)

// Start begins one authorization attempt for an integration: it stores a
// single-use state (hashed) with its expiry, the integration and the PKCE
// verifier (sealed), and returns Clover's authorize URL and the state
// (which the caller binds to the browser). merchantID optionally preselects
// the Clover merchant; crmState is echoed to the return URL.
func (s *Service) Start(ctx context.Context, integrationID, merchantID, crmState string) (authorizeURL, state string, err error) {
	if merchantID != "" && !clover.ValidID(merchantID) {
		return "", "", pageErr(400, "bad_request", errors.New("malformed merchant_id"))
	}
	if !crmStateRe.MatchString(crmState) {
		return "", "", pageErr(400, "bad_request", errors.New("malformed crm_state"))
	}
	if _, err := s.GetIntegration(ctx, integrationID); err != nil {
		if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
			return "", "", pageErr(404, "integration_not_found", err)
		}
		return "", "", err
	}
	if state, err = s.secret(); err != nil {
		return "", "", err
	}
	now := s.Now().UTC()
	cs := &paybridge.ConnectState{StateHash: hash(state), IntegrationID: integrationID, CRMState: crmState,
		ExpiresAt: now.Add(s.StateTTL), CreatedAt: now}
	p := clover.AuthorizeParams{RedirectURI: s.RedirectURI(), State: state, MerchantID: merchantID}
	if s.PKCE {
		verifier, challenge := clover.NewPKCE()
		if cs.SealedVerifier, err = s.Sealer.Seal([]byte(verifier), verifierAAD(cs.StateHash)); err != nil {
			return "", "", err
		}
		p.CodeChallenge = challenge
	}
	if err := s.Store.CreateConnectState(ctx, cs); err != nil {
		return "", "", err
	}
	return s.Clover.AuthorizeURL(p), state, nil
}

func verifierAAD(stateHash string) string { return "connect_state:" + stateHash + ":verifier" }

// CallbackInput is Clover's redirect to /oauth/callback plus the state the
// browser carries in its cookie.
type CallbackInput struct {
	State, Code, MerchantID, EmployeeID, ClientID string
	// Error is set when Clover (or the user) refused authorization.
	Error string
	// BrowserState is the state bound to the browser that started the
	// attempt; a callback from any other browser is refused.
	BrowserState string
	RequestID    string
}

// CallbackResult is a completed connect: where to send the browser.
type CallbackResult struct {
	RedirectURL string
	Integration *paybridge.Integration
	Merchant    *paybridge.Merchant
}

// Callback completes an authorization attempt. Unknown, expired, reused or
// another browser's state is refused before any token exchange; so is a
// merchant other than the one the integration is bound to (with an
// integration.binding_refused audit entry). Otherwise it exchanges the
// code, checks the token against the merchant, fetches the PAKMS key and
// merchant details, stores everything (Store.Connect) and returns the
// integration's registered return URL carrying a one-time hand-off code.
func (s *Service) Callback(ctx context.Context, in CallbackInput) (*CallbackResult, error) {
	if in.State == "" {
		return nil, pageErr(400, "state_invalid", errors.New("no state"))
	}
	if in.BrowserState == "" || subtle.ConstantTimeCompare([]byte(in.State), []byte(in.BrowserState)) != 1 {
		return nil, pageErr(400, "state_invalid", errors.New("state not bound to this browser"))
	}
	now := s.Now().UTC()
	cs, err := s.Store.ConsumeConnectState(ctx, hash(in.State), now)
	switch paybridge.ErrorCode(err) {
	case "":
	case "state_expired":
		return nil, pageErr(400, "state_expired", err)
	case paybridge.ENOTFOUND:
		return nil, pageErr(400, "state_invalid", err)
	default:
		return nil, err
	}
	if in.Error != "" || in.Code == "" {
		return nil, pageErr(400, "access_denied", errors.New("no authorization code"))
	}
	if in.ClientID != "" && in.ClientID != s.Clover.ClientID {
		return nil, pageErr(400, "clover_error", errors.New("callback for another client_id"))
	}
	if !clover.ValidID(in.MerchantID) {
		return nil, pageErr(400, "clover_error", errors.New("malformed merchant_id"))
	}
	it, err := s.Store.GetIntegration(ctx, cs.IntegrationID)
	if err != nil {
		return nil, err
	}
	existing, err := s.Store.GetMerchantByCloverID(ctx, in.MerchantID)
	if err != nil && paybridge.ErrorKind(err) != paybridge.ENOTFOUND {
		return nil, err
	}
	if it.MerchantID != "" && (existing == nil || existing.ID != it.MerchantID) {
		s.refuseBinding(ctx, it, in)
		return nil, pageErr(403, "binding_refused", errors.New("integration bound to another merchant"))
	}
	var verifier string
	if cs.SealedVerifier != nil {
		v, err := s.Sealer.Open(cs.SealedVerifier, verifierAAD(cs.StateHash))
		if err != nil {
			return nil, err
		}
		verifier = string(v)
	}
	tok, err := s.Clover.ExchangeCode(ctx, in.Code, verifier)
	if err != nil {
		return nil, pageErr(502, "clover_error", err)
	}
	auth := clover.Auth{MerchantID: in.MerchantID, AccessToken: tok.AccessToken}
	cm, err := s.Clover.GetMerchant(ctx, auth) // also proves the token is this merchant's
	if err != nil {
		return nil, pageErr(502, "clover_error", err)
	}
	pk, err := s.Clover.GetPAKMSKey(ctx, auth)
	if err != nil {
		return nil, pageErr(502, "clover_error", err)
	}
	employee := in.EmployeeID
	if employee != "" && !clover.ValidID(employee) {
		employee = ""
	}
	res, code, err := s.connect(ctx, it, existing, in.MerchantID, employee, cm, pk, tok, cs, now)
	if paybridge.ErrorCode(err) == "integration_bound_elsewhere" {
		s.refuseBinding(ctx, it, in)
		return nil, pageErr(403, "binding_refused", err)
	}
	if err != nil {
		return nil, err
	}
	if s.OnConnected != nil {
		s.OnConnected(in.MerchantID, res.Merchant.ID)
	}
	s.audit(ctx, paybridge.AuditEntry{MerchantID: res.Merchant.ID, Actor: "merchant:" + in.MerchantID,
		Action: "integration.connected", ObjectID: it.ID, Outcome: "ok", RequestID: in.RequestID,
		Detail: "employee " + employee})
	res.RedirectURL, err = returnURL(it.ReturnURL, code, cs.CRMState)
	return res, err
}

// connect seals the pair and stores the connection, retrying once when a
// concurrent first connect of the same merchant created its row meanwhile.
func (s *Service) connect(ctx context.Context, it *paybridge.Integration, existing *paybridge.Merchant, cloverID, employee string,
	cm *clover.Merchant, pk *clover.PAKMSKey, tok *clover.OAuthToken, cs *paybridge.ConnectState, now time.Time,
) (*CallbackResult, string, error) {
	for attempt := 0; ; attempt++ {
		m := &paybridge.Merchant{ID: paybridge.NewID(paybridge.PrefixMerchant), CloverMerchantID: cloverID}
		if existing != nil {
			c := *existing
			m = &c
		}
		m.Name, m.PAKMSKey = cm.Name, pk.APIAccessKey
		m.Currency = s.Currencies.Of(cloverID) // Clover's merchant read carries none (currency.go)
		creds := credentialsOf(tok)
		sealed, err := billing.SealCredentials(s.Sealer, m.ID, creds)
		if err != nil {
			return nil, "", err
		}
		code, err := s.secret()
		if err != nil {
			return nil, "", err
		}
		err = s.Store.Connect(ctx, &paybridge.Connection{
			Merchant: m, SealedCreds: sealed, AccessExpires: creds.AccessExpires, RefreshExpires: creds.RefreshExpires,
			IntegrationID: it.ID,
			Handoff: &paybridge.Handoff{CodeHash: hash(code), EmployeeID: employee, AppID: s.AppID,
				ExpiresAt: now.Add(s.HandoffTTL)},
		}, now)
		if paybridge.ErrorCode(err) == "merchant_exists" && attempt == 0 {
			if existing, err = s.Store.GetMerchantByCloverID(ctx, cloverID); err != nil {
				return nil, "", err
			}
			continue
		}
		if err != nil {
			return nil, "", err
		}
		return &CallbackResult{Integration: it, Merchant: m}, code, nil
	}
}

// refuseBinding records a connect by a merchant other than the bound one.
func (s *Service) refuseBinding(ctx context.Context, it *paybridge.Integration, in CallbackInput) {
	s.Logger.Warn("integration binding refused", "integration_id", it.ID, "clover_merchant_id", in.MerchantID)
	s.audit(ctx, paybridge.AuditEntry{MerchantID: it.MerchantID, Actor: "merchant:" + in.MerchantID,
		Action: "integration.binding_refused", ObjectID: it.ID, Outcome: "refused", RequestID: in.RequestID,
		Detail: fmt.Sprintf("clover merchant %s tried to connect integration bound to %s", in.MerchantID, it.MerchantID)})
}

// returnURL is exactly the registered URL with the hand-off code (and the
// CRM's state, if it passed one) added to its query.
func returnURL(registered, code, crmState string) (string, error) {
	u, err := url.Parse(registered)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("code", code)
	if crmState != "" {
		q.Set("state", crmState)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// credentialsOf is the pair Clover issued, as paybridge stores it.
func credentialsOf(tok *clover.OAuthToken) paybridge.Credentials {
	return paybridge.Credentials{AccessToken: tok.AccessToken, AccessExpires: unix(tok.AccessTokenExpiration),
		RefreshToken: tok.RefreshToken, RefreshExpires: unix(tok.RefreshTokenExpiration)}
}

func unix(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}
