package store_test

import (
	"testing"

	"github.com/paybridge/paybridge/store/storetest"
)

func TestSQLiteOnboarding(t *testing.T) {
	t.Parallel()
	storetest.RunOnboarding(t, func(t *testing.T) storetest.OnboardingStore { return openSQLite(t) })
}

func TestPostgresOnboarding(t *testing.T) {
	t.Parallel()
	pgURL(t)
	storetest.RunOnboarding(t, func(t *testing.T) storetest.OnboardingStore { return openPostgres(t) })
}
