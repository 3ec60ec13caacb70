package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for schema setup

	"github.com/paybridge/paybridge"
	"github.com/paybridge/paybridge/store"
	"github.com/paybridge/paybridge/store/storetest"
)

// pgURL is the PostgreSQL server the tests use, or "" to skip them.
func pgURL(t testing.TB) string {
	u := os.Getenv("PAYBRIDGE_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("PAYBRIDGE_TEST_POSTGRES_URL is not set: skipping the PostgreSQL store tests " +
			"(e.g. postgres://postgres:postgres@127.0.0.1:5432/paybridge_test?sslmode=disable)")
	}
	return u
}

// eachEngine runs fn as a parallel subtest on a fresh SQLite store and on
// a fresh PostgreSQL schema (skipped without PAYBRIDGE_TEST_POSTGRES_URL):
// onEngines for tests.
func eachEngine(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for name, open := range map[string]func(testing.TB) *store.DB{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t))
		})
	}
}

// openPostgres opens a migrated store in a schema of its own, dropped at
// cleanup, so parallel tests never see each other's rows.
func openPostgres(t testing.TB) *store.DB {
	t.Helper()
	return openPostgresAt(t, pgSchemaURL(t), true)
}

// openPostgresAt opens a store on url, closed at cleanup: another instance
// of paybridge when a store is open there already.
func openPostgresAt(t testing.TB, url string, migrate bool) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url, store.Options{Migrate: migrate, Logger: quiet})
	if err != nil {
		t.Fatal(fmt.Errorf("open %s: %w", url, err))
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pgSchemaURL creates a schema, dropped at cleanup, and returns the
// server's URL with that schema as its search path.
func pgSchemaURL(t testing.TB) string {
	t.Helper()
	base := pgURL(t)
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	schema := "t_" + paybridge.NewID("")
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	pgURL(t)
	storetest.Run(t, func(t *testing.T) paybridge.Store { return openPostgres(t) })
}
