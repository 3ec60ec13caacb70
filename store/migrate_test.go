package store_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paybridge/paybridge/store"
)

// TestMigrateConcurrently starts several instances on one database at
// once: each must come up migrated, none may fail on a half-made schema.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var dsn string
			if engine == "sqlite" {
				dsn = filepath.Join(t.TempDir(), "m.db")
			} else {
				// Reuse a schema made by openPostgres, then start afresh on
				// a new one so the migrations really run concurrently.
				first := openPostgres(t)
				var schema string
				if err := first.Writer().QueryRow("SELECT current_schema()").Scan(&schema); err != nil {
					t.Fatal(err)
				}
				if _, err := first.Writer().Exec("DROP SCHEMA " + schema + " CASCADE; CREATE SCHEMA " + schema); err != nil {
					t.Fatal(err)
				}
				u, _ := url.Parse(pgURL(t))
				q := u.Query()
				q.Set("search_path", schema)
				u.RawQuery = q.Encode()
				dsn = u.String()
			}
			files, err := os.ReadDir(filepath.Join("migrations", engine))
			if err != nil {
				t.Fatal(err)
			}
			var latest int64 // the highest number: numbers may leave gaps
			for _, f := range files {
				num, _, _ := strings.Cut(f.Name(), "_")
				v, err := strconv.ParseInt(num, 10, 64)
				if err != nil {
					t.Fatalf("migration %s: no number", f.Name())
				}
				latest = max(latest, v)
			}
			const n = 4
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					db, err := store.Open(context.Background(), dsn, store.Options{Migrate: true, Logger: quiet})
					if err != nil {
						t.Error(err)
						return
					}
					defer db.Close()
					if v, err := db.MigrationVersion(context.Background()); err != nil || v != latest {
						t.Errorf("version %d, err %v", v, err)
					}
				})
			}
			wg.Wait()
		})
	}
}
