package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/paybridge/paybridge/store"
)

// engines runs fn as a subtest on SQLite, and on PostgreSQL (a fresh
// schema of its own) when PAYBRIDGE_TEST_POSTGRES_URL is set: the same
// end-to-end behaviour on both stores.
func engines(t *testing.T, fn func(t *testing.T, tweak func(*Config))) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, func(*Config) {})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := postgresSchema(t)
		fn(t, func(c *Config) { c.DatabaseURL = dsn })
	})
}

// postgresSchema creates a schema for one test and returns a URL that uses
// it; it skips when no PostgreSQL is configured.
func postgresSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("PAYBRIDGE_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("PAYBRIDGE_TEST_POSTGRES_URL is not set: PostgreSQL end-to-end tests skipped (.ci/run sets it)")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "e2e_" + hex.EncodeToString(b)
	db, err := store.Open(context.Background(), base, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Writer().Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db, err := store.Open(context.Background(), base, store.Options{})
		if err == nil {
			_, _ = db.Writer().Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
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
