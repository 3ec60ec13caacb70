package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/paybridge/paybridge"
)

// Tx is one write transaction as every user of it needs it: SQL is what
// the store's statements run on; on PostgreSQL PGX is a pgx.Tx view of the
// very same connection and transaction (nil on SQLite), so River's pgx
// driver can InsertTx jobs that commit or roll back with the state change.
type Tx struct {
	SQL *sql.Tx
	PGX pgx.Tx
}

// EventsFunc is called inside a transaction, just before commit, with the
// events the transaction wrote for merchants with an enabled webhook
// endpoint (never empty: it is not called when there are none; every event
// is stored either way, for GET /v1/events and `paybridge listen`). An
// error rolls the whole transaction back, so what it enqueues is durable
// exactly when the change is.
type EventsFunc func(ctx context.Context, tx Tx, events []*paybridge.Event) error

// OrderSyncFunc is called inside the transaction that stores an invoice
// whose Clover order is still to be made; an error rolls the invoice back.
type OrderSyncFunc func(ctx context.Context, tx Tx, merchantID, invoiceID string) error

// txState is what a transaction accumulates until it commits.
type txState struct {
	events []*paybridge.Event // emitted, inserted by beforeCommit
}

// beforeCommit ends a transaction's work: it inserts the events emitted
// in it, then hands those someone listens to to the OnEvents hook, or,
// with no hook set, records them as pending fan-outs for the runner to
// take when it starts (pending_fanout.go).
func (db *DB) beforeCommit(ctx context.Context, t Tx, st *txState) error {
	listened, err := db.insertEvents(ctx, t.SQL, st.events)
	if err != nil {
		return err
	}
	if len(listened) == 0 {
		return nil
	}
	if db.OnEvents == nil {
		return insertPendingFanouts(ctx, t.SQL, listened, db.now())
	}
	return db.OnEvents(ctx, t, listened)
}

// WithRiverTx runs fn in one write transaction like WithTx, handing it the
// Tx pair so a job runner can enqueue in it. It is for packages (jobs) that
// write their own rows and jobs together; the store's methods use WithTx.
func (db *DB) WithRiverTx(ctx context.Context, fn func(tx Tx) error) error {
	return db.withTx(ctx, fn)
}

// withTx is the one place write transactions begin. On SQLite the
// committer runs it in the next group commit (groupcommit.go). On
// PostgreSQL it pins a connection first, so the pgx.Tx view and the *sql.Tx
// share it; under Defer, of the lazy pool (defer.go).
func (db *DB) withTx(ctx context.Context, fn func(tx Tx) error) error {
	if db.engine != EnginePostgres {
		return db.group.do(ctx, false, fn)
	}
	w, d := db.pgWriter(ctx)
	conn, err := w.Conn(ctx)
	if err != nil {
		return db.internal("conn", err)
	}
	defer conn.Close()
	var pc *pgx.Conn
	if err := conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection is %T, not *stdlib.Conn", dc)
		}
		pc = sc.Conn()
		return nil
	}); err != nil {
		return db.internal("raw conn", err)
	}
	t := Tx{PGX: &connTx{conn: pc}}
	if t.SQL, err = conn.BeginTx(ctx, nil); err != nil {
		return db.internal("begin", err)
	}
	st := &txState{}
	db.txs.Store(t.SQL, st)
	defer db.txs.Delete(t.SQL)
	if err := fn(t); err != nil {
		_ = t.SQL.Rollback()
		return db.mapErr("tx", err)
	}
	if err := db.beforeCommit(ctx, t, st); err != nil {
		_ = t.SQL.Rollback()
		return db.mapErr("before commit", err)
	}
	if err := t.SQL.Commit(); err != nil {
		return db.mapErr("commit", err)
	}
	// A durable transaction may have written nothing, so it vouches for
	// no deferred commit (wrote false).
	db.pgCommitted(d, 0, false)
	return nil
}

// withLazyTx is withTx on SQLite for a write nothing outside the database
// depends on until a later durable commit, which then makes it durable too
// (the WAL is written in order): its caller does not wait for the disk.
func (db *DB) withLazyTx(ctx context.Context, fn func(tx Tx) error) error {
	return db.group.do(ctx, true, fn)
}

// exec runs one write statement. On SQLite it runs in the committer's next
// group, sharing its fsync instead of paying its own; on PostgreSQL it runs
// as it is, on the lazy pool under Defer. Its error is the statement's own,
// for the caller to map.
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if db.engine == EnginePostgres {
		w, d := db.pgWriter(ctx)
		before := db.pgLazy.Load()
		res, err := w.ExecContext(ctx, query, args...)
		if err == nil {
			n, nerr := res.RowsAffected()
			db.pgCommitted(d, before, nerr == nil && n > 0)
		}
		return res, err
	}
	var res doneResult
	var serr error
	err := db.withTx(ctx, func(t Tx) error {
		r, err := t.SQL.ExecContext(ctx, query, args...)
		if err != nil {
			serr = err
			return err
		}
		res.id, res.idErr = r.LastInsertId()
		res.rows, res.rowsErr = r.RowsAffected()
		return nil
	})
	if serr != nil {
		return nil, serr
	}
	return res, err
}

// doneResult is a statement's result read inside its group. Read after
// the commit, a database/sql Result locks the writer's connection, by then
// running the next group's statements, and waits for them (up to 1 ms in
// the slowest requests at 200 payments/s, in a runtime trace).
type doneResult struct {
	id, rows       int64
	idErr, rowsErr error
}

func (r doneResult) LastInsertId() (int64, error) { return r.id, r.idErr }
func (r doneResult) RowsAffected() (int64, error) { return r.rows, r.rowsErr }

// state is the accumulator of an open transaction (nil outside withTx).
func (db *DB) state(tx *sql.Tx) *txState {
	if v, ok := db.txs.Load(tx); ok {
		return v.(*txState)
	}
	return nil
}

// errOwnedTx refuses to end the transaction from the pgx side: withTx
// commits or rolls back the *sql.Tx, and with it this view.
var errOwnedTx = errors.New("store: the transaction is owned by store.WithTx")

// connTx is a pgx.Tx over a connection whose transaction database/sql
// began. Statements go straight to the connection, which is inside that
// transaction. It is safe because withTx holds the *sql.Conn for the whole
// transaction, so no other goroutine can use the connection, and callers
// run their statements one after another, never concurrently with the
// *sql.Tx's.
type connTx struct {
	conn *pgx.Conn
	sp   int
}

func (c *connTx) Begin(ctx context.Context) (pgx.Tx, error) {
	c.sp++
	name := fmt.Sprintf("pb_sp_%d", c.sp)
	if _, err := c.conn.Exec(ctx, "SAVEPOINT "+name); err != nil {
		return nil, err
	}
	return &savepointTx{connTx: &connTx{conn: c.conn, sp: c.sp}, name: name}, nil
}
func (c *connTx) Commit(context.Context) error   { return errOwnedTx }
func (c *connTx) Rollback(context.Context) error { return errOwnedTx }
func (c *connTx) CopyFrom(ctx context.Context, t pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return c.conn.CopyFrom(ctx, t, cols, src)
}
func (c *connTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return c.conn.SendBatch(ctx, b)
}

// LargeObjects is unsupported: nothing here uses them.
func (c *connTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }
func (c *connTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return c.conn.Prepare(ctx, name, sql)
}
func (c *connTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return c.conn.Exec(ctx, sql, args...)
}
func (c *connTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.conn.Query(ctx, sql, args...)
}
func (c *connTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return c.conn.QueryRow(ctx, sql, args...)
}
func (c *connTx) Conn() *pgx.Conn { return c.conn }

// savepointTx is a nested pgx.Tx: a savepoint released on Commit.
type savepointTx struct {
	*connTx
	name string
	done bool
}

func (s *savepointTx) Commit(ctx context.Context) error {
	if s.done {
		return pgx.ErrTxClosed
	}
	s.done = true
	_, err := s.conn.Exec(ctx, "RELEASE SAVEPOINT "+s.name)
	return err
}

func (s *savepointTx) Rollback(ctx context.Context) error {
	if s.done {
		return pgx.ErrTxClosed
	}
	s.done = true
	_, err := s.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT "+s.name)
	return err
}
