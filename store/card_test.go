package store_test

import (
	"testing"

	"github.com/paybridge/paybridge/store/storetest"
)

func TestSQLiteCards(t *testing.T) {
	t.Parallel()
	storetest.RunCards(t, func(t *testing.T) storetest.CardsStore { return openSQLite(t) })
	storetest.RunRecurring(t, func(t *testing.T) storetest.CardsStore { return openSQLite(t) })
}

func TestPostgresCards(t *testing.T) {
	t.Parallel()
	pgURL(t)
	storetest.RunCards(t, func(t *testing.T) storetest.CardsStore { return openPostgres(t) })
	storetest.RunRecurring(t, func(t *testing.T) storetest.CardsStore { return openPostgres(t) })
}
