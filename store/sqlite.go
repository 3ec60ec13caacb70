package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// SQLite pragmas of every connection: foreign keys on, a busy timeout for
// the rare case another process holds the write lock, and temporary storage
// in memory. The group committer gives every transaction a savepoint, whose
// journal SQLite otherwise spills to a temporary file past 64 KiB: created,
// written and unlinked inside the writer's group, it was an eighth of the
// writer's CPU at 200 payments/s (the database itself is unaffected: this
// is only rollback state for savepoints, sorts and RETURNING). The writer adds
// WAL, so readers never block it, and synchronous=NORMAL with the group
// committer's own fdatasync of the WAL before any commit is acknowledged
// (groupcommit.go), so an acknowledged payment survives power loss, not
// only a process crash, as with synchronous=FULL.
var sqliteCommon = "_pragma=busy_timeout(" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) + ")&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"

// busyTimeout is how long a connection waits for another process's lock:
// SQLite's busy_timeout, and connectWriter's retries.
const busyTimeout = 10 * time.Second

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
	w, err := openCachedSQLite(dsn + sep + "_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(0)&" + sqliteCommon + "&_txlock=immediate")
	if err != nil {
		return wrapf(err, "open sqlite writer")
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer connects first so the file exists in WAL mode before any
	// reader opens it.
	if err := connectWriter(ctx, w); err != nil {
		w.Close()
		return wrapf(err, "connect sqlite writer")
	}
	wal, err := walSyncOf(ctx, w)
	if err != nil {
		w.Close()
		return err
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
	db.w, db.r = w, newReadPool(r, false)
	db.group = &committer{db: db, wal: wal}
	if wal.sync != nil { // a file in WAL mode: checkpoint.go
		ck, err := sql.Open("sqlite", dsn+sep+sqliteCommon)
		if err != nil {
			r.Close()
			w.Close()
			return wrapf(err, "open sqlite checkpointer")
		}
		ck.SetMaxOpenConns(1)
		db.group.ckpt = newCheckpointer(ck, db.Logger)
	}
	return nil
}

// walSyncOf returns the syncer of the writer's WAL. Where SQLite could not
// use a WAL (an in-memory database), the writer goes back to
// synchronous=FULL and SQLite syncs each commit itself.
func walSyncOf(ctx context.Context, w *sql.DB) (*walSync, error) {
	var mode, file string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return nil, wrapf(err, "read journal mode")
	}
	if err := w.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		return nil, wrapf(err, "read database file")
	}
	if mode != "wal" || file == "" {
		if _, err := w.ExecContext(ctx, "PRAGMA synchronous=FULL"); err != nil {
			return nil, wrapf(err, "set synchronous")
		}
		return newWALSync(nil), nil
	}
	return newWALSync(syncFile(file + "-wal")), nil
}

// connectWriter opens the writer's connection. Connections opening a new
// file at the same moment (paybridge processes starting together, or
// `migrate` beside `serve`) can get SQLITE_BUSY from the connect's pragmas
// without the busy timeout applying (TestMigrateConcurrently did, 2 runs
// in 18; the WAL switch, which SQLite refuses at once rather than risk a
// deadlock, is the likely step). So a busy connect is retried, for as
// long as the busy timeout would wait.
func connectWriter(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		err := w.PingContext(ctx)
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
