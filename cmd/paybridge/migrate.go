package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/paybridge/paybridge/store"
)

// runMigrate applies the embedded migrations of the configured database.
// Several instances may run it at once on PostgreSQL: an advisory lock
// makes one migrate while the others wait.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", "Apply the database migrations (SQLite or PostgreSQL) and exit.", stderr)
	cfg, err := loadConfig(environ())
	if err != nil {
		return err
	}
	cfg.resolvePaths()
	dbURL := fs.String("database-url", cfg.DatabaseURL,
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
