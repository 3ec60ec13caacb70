package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// errBadDSN replaces a driver's parse error, which may quote a password.
var errBadDSN = errors.New("database url is malformed")

// Migrate applies every pending embedded migration of the engine. On
// PostgreSQL a session advisory lock, keyed by the current schema, lets
// several instances start together: one migrates, the others wait.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.migrator(ctx)
	if err != nil {
		return err
	}
	// SQLite has no advisory lock: two processes starting on one new file
	// may both try a migration. Each migration is one transaction, so the
	// loser changed nothing; it succeeds if the winner left nothing pending.
	for range 5 {
		if _, err = p.Up(ctx); err == nil {
			return nil
		}
		if pending, perr := p.HasPending(ctx); perr == nil && !pending {
			return nil
		}
		if db.engine == EnginePostgres || ctx.Err() != nil {
			break
		}
	}
	return wrapf(err, "migrate")
}

// MigrationVersion returns the newest applied migration version (0 when
// none), for `paybridge migrate` to report.
func (db *DB) MigrationVersion(ctx context.Context) (int64, error) {
	p, err := db.migrator(ctx)
	if err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, wrapf(err, "migration version")
	}
	return v, nil
}

// migrator builds the goose provider for this engine.
func (db *DB) migrator(ctx context.Context) (*goose.Provider, error) {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	var opts []goose.ProviderOption
	if db.engine == EnginePostgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
		var schema sql.NullString
		if err := db.w.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return nil, wrapf(err, "current schema")
		}
		if !schema.Valid {
			return nil, errors.New("migrate: no schema of the search_path exists; create it first")
		}
		h := fnv.New64a()
		h.Write([]byte("paybridge-migrate:" + schema.String))
		locker, err := lock.NewPostgresSessionLocker(
			lock.WithLockID(int64(h.Sum64()>>1)),
			lock.WithLockTimeout(1, 600), // poll every second, up to 10 minutes
		)
		if err != nil {
			return nil, wrapf(err, "migration lock")
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	// Migration numbers are handed out per change, and changes land in any
	// order: a database already at 00016 must still apply 00009 when it
	// lands later (each migration stands alone).
	opts = append(opts, goose.WithAllowOutofOrder(true))
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, wrapf(err, "migrations folder")
	}
	p, err := goose.NewProvider(dialect, db.w, sub, opts...)
	if err != nil {
		return nil, wrapf(err, "migration provider")
	}
	return p, nil
}
