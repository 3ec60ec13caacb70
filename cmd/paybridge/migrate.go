package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/paybridge/paybridge/store"
)

// defaultDatabaseURL is the sandbox's SQLite file, used when neither the
// flag nor PAYBRIDGE_DATABASE_URL says otherwise.
const defaultDatabaseURL = "./paybridge-data/paybridge.db"

// runMigrate applies the embedded migrations of the configured database.
// Several instances may run it at once on PostgreSQL: an advisory lock
// makes one migrate while the others wait.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", "Apply the database migrations (SQLite or PostgreSQL) and exit.", stderr)
	def := os.Getenv("PAYBRIDGE_DATABASE_URL")
	if def == "" {
		def = defaultDatabaseURL
	}
	dbURL := fs.String("database-url", def,
		"postgres://… URL or SQLite file path (env PAYBRIDGE_DATABASE_URL)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "paybridge migrate: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	db, err := store.Open(ctx, *dbURL, store.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	v, err := db.MigrationVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrated %s database to version %d\n", db.Dialect(), v)
	return nil
}
