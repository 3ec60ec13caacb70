package store_test

import (
	"testing"

	"github.com/paybridge/paybridge/store"
	"github.com/paybridge/paybridge/store/storetest"
)

func TestRecoverySQLite(t *testing.T) {
	t.Parallel()
	storetest.RunRecovery(t, func(t *testing.T) *store.DB { return openSQLite(t) })
}

func TestRecoveryPostgres(t *testing.T) {
	t.Parallel()
	pgURL(t)
	storetest.RunRecovery(t, func(t *testing.T) *store.DB { return openPostgres(t) })
}
