package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// SQLite pragmas of every connection: WAL so readers never block the
// writer, FULL sync so an acknowledged payment survives power loss (not
// only a process crash), foreign keys on, and a busy timeout for the rare
// case another process holds the write lock.
const sqliteCommon = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"

// openSQLite opens the writer (one connection, BEGIN IMMEDIATE so two
// writers queue instead of deadlocking on a lock upgrade) and a query_only
// read pool on the same file.
func (db *DB) openSQLite(ctx context.Context, dsn string, readConns int) error {
	if !strings.HasPrefix(dsn, "file:") {
		if dir := filepath.Dir(dsn); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return wrapf(err, "create database directory")
			}
		}
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	w, err := openCachedSQLite(dsn + sep + "_pragma=journal_mode(WAL)&" + sqliteCommon + "&_txlock=immediate")
	if err != nil {
		return wrapf(err, "open sqlite writer")
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer connects first so the file exists in WAL mode before any
	// reader opens it.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return wrapf(err, "connect sqlite writer")
	}
	if readConns <= 0 {
		readConns = 4
	}
	r, err := sql.Open("sqlite", dsn+sep+sqliteCommon+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return wrapf(err, "open sqlite readers")
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	db.w, db.r = w, newReadPool(r)
	return nil
}
