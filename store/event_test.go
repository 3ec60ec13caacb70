package store_test

import (
	"testing"

	"github.com/paybridge/paybridge/store"
	"github.com/paybridge/paybridge/store/storetest"
)

func TestEventsSQLite(t *testing.T) {
	t.Parallel()
	storetest.RunEvents(t, func(t *testing.T) *store.DB { return openSQLite(t) })
}

func TestEventsPostgres(t *testing.T) {
	t.Parallel()
	pgURL(t)
	storetest.RunEvents(t, func(t *testing.T) *store.DB { return openPostgres(t) })
}
