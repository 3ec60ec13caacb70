package store_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/store"
	"github.com/paybridge/paybridge/store/storetest"
)

// quiet discards the store's logs in tests.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openSQLite opens a migrated SQLite store in a fresh temp dir.
func openSQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "paybridge.db"),
		store.Options{Migrate: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) paybridge.Store { return openSQLite(t) })
}
