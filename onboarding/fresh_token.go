package onboarding

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/billing"
)

// errReauthorize is FreshToken's answer when only reconnecting helps.
var errReauthorize = errors.New("the merchant must reauthorize: no fresh Clover token")

// FreshToken answers a Clover 401 (clover.Config.Unauthorized): it returns
// an access token for the Clover merchant newer than refused, refreshing
// once however many calls were refused at the same time. In this process
// callers for one merchant queue on one lock and all but the first find
// the pair already renewed; across processes refreshOne's compare-and-set
// lets one refresh through and the others wait for its result in the
// store. When the refresh token is missing, expired or refused, refreshOne
// has marked the merchant reauthorization_required and FreshToken fails:
// the caller's 401 stands and the reauthorization flow follows.
func (s *Service) FreshToken(ctx context.Context, cloverMerchantID, refused string) (string, error) {
	m, err := s.Store.GetMerchantByCloverID(ctx, cloverMerchantID)
	if err != nil {
		return "", err
	}
	mu, _ := s.flights.LoadOrStore(m.ID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	refreshed := false
	for deadline := time.Now().Add(s.RefreshLease); ; {
		tok, status, err := s.accessToken(ctx, m.ID)
		switch {
		case err != nil:
			return "", err
		case tok != refused:
			return tok, nil // renewed, here or by another instance
		case status == paybridge.MerchantReauthorizationRequired:
			return "", errReauthorize
		case !refreshed:
			refreshed = true
			if err := s.refreshOne(ctx, m.ID, refused); err != nil {
				return "", err
			}
			continue
		case time.Now().After(deadline):
			return "", errors.New("another instance's token refresh did not finish in time")
		}
		// Another instance holds the refresh: wait for its pair.
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// accessToken reads a merchant's current access token and status.
func (s *Service) accessToken(ctx context.Context, merchantID string) (string, paybridge.MerchantStatus, error) {
	m, sealed, err := s.Store.MerchantWithCredentials(ctx, merchantID)
	if err != nil {
		return "", "", err
	}
	creds, err := billing.OpenCredentials(s.Sealer, merchantID, sealed)
	if err != nil {
		return "", "", err
	}
	return creds.AccessToken, m.Status, nil
}
