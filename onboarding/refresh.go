package onboarding

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
	"github.com/paybridge/paybridge/clover"
)

// refreshBatch bounds the merchants one RefreshDue run handles.
const refreshBatch = 100

// RefreshDue is the token upkeep job. It is safe to run in many processes
// at once: BeginTokenRefresh is a compare-and-set per merchant, so each
// refresh token is sent to Clover at most once.
//
// Refresh tokens are single use, so a refresh whose answer is lost (a
// timeout or network error after sending, or a process that died with the
// refresh in flight) has probably spent the old token while its new pair
// is gone. paybridge never retries such a token blindly: the merchant is
// marked reauthorization_required with the reason (the store emits
// merchant.reauthorization_required) and the connect page offers to
// reconnect. Refusals Clover gives definitely (the token was already
// used, expired or revoked) do the same. Only failures where Clover cannot
// have consumed the token (not sent, 429) are retried on the next run.
func (s *Service) RefreshDue(ctx context.Context) error {
	now := s.Now().UTC()
	stale, err := s.Store.StaleTokenRefreshes(ctx, now, refreshBatch)
	if err != nil {
		return err
	}
	for _, u := range stale {
		reason := "token refresh outcome unknown: the refresh did not finish within its lease (process stopped or database write failed); the refresh token may be spent"
		if err := s.Store.FailTokenRefresh(ctx, u.MerchantID, u.InflightFP, reason, now); err != nil {
			if paybridge.ErrorCode(err) == "stale_state" {
				continue
			}
			return err
		}
		s.Reauthorize(ctx, u.MerchantID, "system:token-refresh", reason)
	}
	due, err := s.Store.DueTokenRefreshes(ctx, now.Add(s.RefreshBefore), now, refreshBatch)
	if err != nil {
		return err
	}
	var errs []error
	for _, u := range due {
		if err := s.refreshOne(ctx, u.MerchantID, ""); err != nil {
			errs = append(errs, fmt.Errorf("refresh %s: %w", u.MerchantID, err))
		}
	}
	if _, err := s.Store.PurgeOnboarding(ctx, now); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// refreshOne refreshes one merchant's pair if it still wins the
// compare-and-set on exactly the credentials it read. refused is an access
// token Clover answered 401 (FreshToken): a pair holding it is due
// whatever its expiry says; "" for the upkeep job.
func (s *Service) refreshOne(ctx context.Context, merchantID, refused string) error {
	now := s.Now().UTC()
	sealed, err := s.Store.MerchantCredentials(ctx, merchantID)
	if err != nil {
		return err
	}
	creds, err := billing.OpenCredentials(s.Sealer, merchantID, sealed)
	if err != nil {
		return err
	}
	if creds.RefreshToken == "" || (!creds.RefreshExpires.IsZero() && !now.Before(creds.RefreshExpires)) {
		reason := "no usable refresh token (none issued, or expired)"
		if err := s.Store.FailTokenRefresh(ctx, merchantID, "", reason, now); err != nil {
			return err
		}
		s.Reauthorize(ctx, merchantID, "system:token-refresh", reason)
		return nil
	}
	if creds.AccessToken != refused && !creds.AccessExpires.IsZero() && !creds.AccessExpires.Before(now.Add(s.RefreshBefore)) {
		// Another runner refreshed it since the due list was read: these
		// are its new credentials. Refreshing again would rotate a pair
		// for nothing (and count against Clover's cap on refresh tokens).
		return nil
	}
	fp := clover.TokenFingerprint(creds.RefreshToken)
	won, err := s.Store.BeginTokenRefresh(ctx, merchantID, fp, sealed, now.Add(s.RefreshLease), now)
	if err != nil || !won {
		return err
	}
	// The call outlives a cancelled job context: abandoning it mid-flight
	// would turn a good refresh into a lost one.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.RefreshLease/2)
	defer cancel()
	tok, err := s.Clover.RefreshToken(cctx, creds.RefreshToken)
	switch {
	case err == nil:
	case clover.IsUnknownOutcome(err):
		return s.failRefresh(ctx, merchantID, fp, "token refresh outcome unknown (no answer from Clover after sending); the refresh token may be spent", err)
	case isStatus(err, http.StatusTooManyRequests) || !isCloverAnswer(err):
		// Clover did not consume the token: try again next run.
		return s.Store.AbandonTokenRefresh(ctx, merchantID, fp, "token refresh not sent: "+errString(err), s.Now().UTC())
	default:
		return s.failRefresh(ctx, merchantID, fp, "Clover refused the token refresh: "+errString(err), err)
	}
	next := credentialsOf(tok)
	if next.RefreshToken == "" { // Clover kept the old one (not rotating)
		next.RefreshToken, next.RefreshExpires = creds.RefreshToken, creds.RefreshExpires
	}
	newSealed, err := billing.SealCredentials(s.Sealer, merchantID, next)
	if err != nil {
		return err // the lease runs out; the stale sweep marks the merchant
	}
	if err := s.Store.CompleteTokenRefresh(ctx, merchantID, fp, newSealed, next.AccessExpires, next.RefreshExpires, s.Now().UTC()); err != nil {
		// Not stored: the in-flight mark stays, and when its lease ends
		// the stale sweep marks the merchant (the old token is spent).
		return err
	}
	s.Logger.Info("Clover token refreshed", "merchant_id", merchantID, "access_expires", next.AccessExpires)
	return nil
}

func (s *Service) failRefresh(ctx context.Context, merchantID, fp, reason string, cause error) error {
	if err := s.Store.FailTokenRefresh(ctx, merchantID, fp, reason, s.Now().UTC()); err != nil {
		return err
	}
	s.Logger.Warn("Clover token refresh failed", "merchant_id", merchantID, "reason", reason, "err", cause)
	s.Reauthorize(ctx, merchantID, "system:token-refresh", reason)
	return nil
}

// Reauthorize marks a merchant reauthorization_required: its keys keep
// reading but writes are refused with 403 merchant_reauthorization_required
// until it reconnects; the store emits merchant.reauthorization_required.
// The reason goes to the audit log and the log.
func (s *Service) Reauthorize(ctx context.Context, merchantID, actor, reason string) {
	if err := s.Store.SetMerchantStatus(ctx, merchantID, paybridge.MerchantReauthorizationRequired); err != nil {
		s.Logger.Error("mark merchant reauthorization_required", "merchant_id", merchantID, "err", err)
		return
	}
	s.Logger.Warn("merchant must reauthorize", "merchant_id", merchantID, "reason", reason)
	s.audit(ctx, paybridge.AuditEntry{MerchantID: merchantID, Actor: actor,
		Action: "merchant.reauthorization_required", ObjectID: merchantID, Outcome: "reauthorization_required", Detail: reason})
}

// AppUninstalled handles Clover's app-uninstall webhook for a merchant
// (by its Clover merchant id): every token is dead, so the merchant must
// reauthorize. Unknown merchants are ignored.
func (s *Service) AppUninstalled(ctx context.Context, cloverMerchantID string) error {
	m, err := s.Store.GetMerchantByCloverID(ctx, cloverMerchantID)
	if paybridge.ErrorKind(err) == paybridge.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	s.Reauthorize(ctx, m.ID, "clover:webhook", "the Clover app was uninstalled")
	return nil
}

func isStatus(err error, status int) bool {
	var ce *clover.Error
	return errors.As(err, &ce) && ce.Status == status
}

// isCloverAnswer reports whether Clover answered (definitely) at all.
func isCloverAnswer(err error) bool {
	var ce *clover.Error
	return errors.As(err, &ce)
}

// errString is a scrubbed description: clover errors redact themselves.
func errString(err error) string {
	var ce *clover.Error
	if errors.As(err, &ce) {
		return fmt.Sprintf("%d %s %s", ce.Status, ce.Code, ce.Message)
	}
	return err.Error()
}
