package main

// STUB seam of the onboarding issue (integrations, OAuth connect, key
// rotation and revocation): its helper replaces this file.

import (
	"context"

	"github.com/paybridge/paybridge/httpapi"
)

// revoked reports whether an API key's jti was revoked (none are yet).
func (m *Main) revoked(ctx context.Context, jti string) (bool, error) { return false, nil }

// onboardingRoutes registers onboarding's routes: authenticated /v1 ones
// with rt.Handle, the platform-secret and browser ones with rt.HandlePublic.
func (m *Main) onboardingRoutes(rt *httpapi.Router) {}

// onboardingPeriodics is onboarding's background work (token refresh).
func (m *Main) onboardingPeriodics() []Periodic { return nil }
