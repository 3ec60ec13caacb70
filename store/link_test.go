package store_test

import (
	"testing"

	"github.com/paybridge/paybridge/store/storetest"
)

func TestSQLiteLinks(t *testing.T) {
	t.Parallel()
	storetest.RunLinks(t, func(t *testing.T) storetest.LinkStore { return openSQLite(t) })
}

func TestPostgresLinks(t *testing.T) {
	t.Parallel()
	pgURL(t)
	storetest.RunLinks(t, func(t *testing.T) storetest.LinkStore { return openPostgres(t) })
}
