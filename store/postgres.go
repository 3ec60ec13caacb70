package store

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// openPostgres opens a pgx pool and wraps it as a *sql.DB, so PostgreSQL
// runs the same SQL text and *sql.Tx as SQLite. Query parameters of the URL
// that pgx does not know (search_path, application_name, …) become session
// settings.
func (db *DB) openPostgres(ctx context.Context, dsn string) error {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may echo the URL, password included: keep it out.
		return wrapf(errBadDSN, "parse postgres url")
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// pgx defaults to max(4, CPUs) connections, which throttled the
		// load tool's 200 payments/s on 2 cores (p50 added 255 ms with 4
		// connections, 31 ms with 32; docs/PERFORMANCE.md). A URL's
		// pool_max_conns wins.
		cfg.MaxConns = max(cfg.MaxConns, 16)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return wrapf(err, "open postgres pool")
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return wrapf(err, "connect to postgres")
	}
	db.pool, db.lazyPool = pool, db.openLazyPool(ctx, cfg, pool, pgFlushProbe)
	db.w = stdlib.OpenDBFromPool(pool)
	if db.lazyPool != nil {
		db.lw = stdlib.OpenDBFromPool(db.lazyPool)
	}
	db.r = newReadPool(db.w, true)
	return nil
}

// openLazyPool opens the pool for writes that may wait for the disk until
// a sync point (defer.go): the same server, with synchronous_commit off.
// It is half the size (a request's lazy writes are fewer than its others),
// so the two pools together stay within 1.5 times pool_max_conns.
//
// It returns nil, and every write is durable at once, where deferring
// cannot work: a proxy that refuses the setting at connection, or a
// server where flush (pgFlushSQL) fails, e.g. for want of privileges.
// probe is the statement that checks the latter.
func (db *DB) openLazyPool(ctx context.Context, cfg *pgxpool.Config, pool *pgxpool.Pool, probe string) *pgxpool.Pool {
	lcfg := cfg.Copy()
	lcfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	lcfg.MaxConns = max(2, cfg.MaxConns/2)
	lazy, err := pgxpool.NewWithConfig(ctx, lcfg)
	if err == nil {
		if err = lazy.Ping(ctx); err == nil {
			if _, err = pool.Exec(ctx, probe); err == nil {
				return lazy
			}
		}
		lazy.Close()
	}
	db.Logger.Warn("postgres: every write waits for the WAL flush (deferred durability is off)", "reason", err.Error())
	return nil
}
