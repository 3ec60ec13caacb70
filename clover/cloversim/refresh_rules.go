package cloversim

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"
)

// Clover's refresh rules beyond single use (CLOVER.md §13.7): "Clover
// limits the number of active refresh tokens an app can have for each
// merchant. If an app exceeds the limit, prior tokens become invalid"
// (docs.clover.com/docs/refresh-access-tokens); the number is not given.
// Whether the old access token survives a refresh is not documented. Both
// are switches: the cap (Options.RefreshTokenCap, paybridge sandbox
// --refresh-token-cap, PUT /_sim/oauth) and revoke-on-refresh
// (Options.RevokeAccessOnRefresh, --revoke-access-on-refresh).

// DefaultRefreshTokenCap is the sim's cap on active refresh tokens per app
// and merchant: a small number, UNCONFIRMED (Clover does not publish it).
const DefaultRefreshTokenCap = 5

// nextRefreshSeqLocked is the issue order of merchant mid's next refresh
// token (s.mu held).
func (s *Sim) nextRefreshSeqLocked(mid string) int64 {
	var top int64
	for _, rt := range s.ext.refresh {
		if rt.MerchantID == mid && rt.Seq > top {
			top = rt.Seq
		}
	}
	return top + 1
}

// capRefreshLocked invalidates merchant mid's oldest active refresh tokens
// past the cap: active = not used, not capped, not expired. Every
// employee's tokens count, since the cap is per app and merchant.
func (s *Sim) capRefreshLocked(mid string, now time.Time) {
	limit := s.ext.refreshCap
	if limit < 0 {
		return
	}
	var active []*oauthRefresh
	for _, rt := range s.ext.refresh {
		if rt.MerchantID == mid && !rt.Used && !rt.Capped && now.Before(rt.Expires) {
			active = append(active, rt)
		}
	}
	if len(active) <= limit {
		return
	}
	sort.Slice(active, func(i, j int) bool { return active[i].Seq < active[j].Seq })
	for _, rt := range active[:len(active)-limit] {
		rt.Capped = true
	}
}

// RefreshRules are the refresh rules on the admin wire.
type RefreshRules struct {
	RefreshTokenCap       int  `json:"refresh_token_cap"` // -1: no cap
	RevokeAccessOnRefresh bool `json:"revoke_access_on_refresh"`
}

// SetRefreshRules changes the refresh rules from now on (a cap of 0 means
// the default).
func (s *Sim) SetRefreshRules(r RefreshRules) {
	if r.RefreshTokenCap == 0 {
		r.RefreshTokenCap = DefaultRefreshTokenCap
	}
	s.mu.Lock()
	s.ext.refreshCap, s.ext.revokeOnRefresh = r.RefreshTokenCap, r.RevokeAccessOnRefresh
	s.mu.Unlock()
}

func (s *Sim) refreshRules() RefreshRules {
	s.mu.Lock()
	defer s.mu.Unlock()
	return RefreshRules{RefreshTokenCap: s.ext.refreshCap, RevokeAccessOnRefresh: s.ext.revokeOnRefresh}
}

func (s *Sim) adminGetRefreshRules(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.refreshRules())
}

func (s *Sim) adminPutRefreshRules(w http.ResponseWriter, r *http.Request) {
	var rr RefreshRules
	if err := json.NewDecoder(r.Body).Decode(&rr); err != nil || rr.RefreshTokenCap < -1 {
		writeError(w, 400, "invalid_request_error", "invalid_request", "Want {refresh_token_cap: -1 (none) or a positive number, revoke_access_on_refresh: bool}.")
		return
	}
	s.SetRefreshRules(rr)
	writeJSON(w, http.StatusOK, s.refreshRules())
}
