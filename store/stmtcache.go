package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// The SQLite writer keeps a prepared statement per SQL text on its one
// connection. Every writer statement (the store's, and River's job inserts,
// fetches and completions, which reach the connection through *sql.Tx and
// *sql.DB and so cannot use *sql.Stmt) would otherwise be parsed and
// planned afresh: River's bulk insert alone was over a quarter of the CPU
// of accepting Clover webhooks.

// maxCachedStmts bounds the statements kept per connection; beyond it an
// idle one is dropped (one-off texts such as migrations come and go).
const maxCachedStmts = 256

// stmtCacheConnector opens connections of drv that reuse statements.
type stmtCacheConnector struct {
	drv driver.Driver
	dsn string
}

// openCachedSQLite opens dsn with the registered "sqlite" driver, each
// connection caching its prepared statements.
func openCachedSQLite(dsn string) (*sql.DB, error) {
	probe, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	_ = probe.Close()
	return sql.OpenDB(&stmtCacheConnector{drv: drv, dsn: dsn}), nil
}

func (c *stmtCacheConnector) Connect(context.Context) (driver.Conn, error) {
	dc, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	inner, ok := dc.(sqliteConn)
	if !ok {
		return dc, nil // not the driver this was written for: no cache
	}
	return &cachedConn{sqliteConn: inner, stmts: map[string]*cachedStmt{}}, nil
}

func (c *stmtCacheConnector) Driver() driver.Driver { return c.drv }

// sqliteConn is what modernc.org/sqlite's connection implements and
// database/sql uses.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// sqliteStmt is a driver statement that runs with a context.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// sqliteRows is modernc.org/sqlite's rows: database/sql's optional column
// type interfaces are passed through.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

type cachedStmt struct {
	s     sqliteStmt
	inUse bool // rows of it are open: a second use runs unprepared
}

// cachedConn is one connection with its statements. database/sql never
// uses a connection from two goroutines at once, so it needs no lock.
type cachedConn struct {
	sqliteConn
	stmts map[string]*cachedStmt
}

// stmt returns the cached statement for query, preparing it, or nil when
// it is busy or cannot be prepared (the caller then runs the query the
// plain way, which also reports any error).
func (c *cachedConn) stmt(ctx context.Context, query string) *cachedStmt {
	if cs, ok := c.stmts[query]; ok {
		if cs.inUse {
			return nil
		}
		return cs
	}
	ds, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	s, ok := ds.(sqliteStmt)
	if !ok {
		_ = ds.Close()
		return nil
	}
	if len(c.stmts) >= maxCachedStmts {
		for k, old := range c.stmts {
			if !old.inUse {
				_ = old.s.Close()
				delete(c.stmts, k)
				break
			}
		}
	}
	cs := &cachedStmt{s: s}
	c.stmts[query] = cs
	return cs
}

// The writer's statements run to completion even when their caller's
// context ends: SQLite answers an interrupted INSERT, UPDATE or DELETE in a
// transaction by rolling the whole transaction back, which under group
// commit (groupcommit.go) would take other callers' work with it. They are
// short, and database/sql still refuses to start a statement whose context
// has ended, so a caller that gives up stops at its next statement.

func (c *cachedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if cs := c.stmt(ctx, query); cs != nil {
		return cs.s.ExecContext(ctx, args)
	}
	return c.sqliteConn.ExecContext(ctx, query, args)
}

func (c *cachedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	cs := c.stmt(ctx, query)
	if cs == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	r, err := cs.s.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	sr, ok := r.(sqliteRows)
	if !ok {
		// Unknown rows type: give it back as is; the statement stays
		// reusable only after these rows are closed, which cannot be
		// observed, so forget it (rows keep it alive until closed).
		delete(c.stmts, query)
		return r, nil
	}
	cs.inUse = true
	return &cachedRows{sqliteRows: sr, cs: cs}, nil
}

// Close finalizes the cached statements, then closes the connection.
func (c *cachedConn) Close() error {
	for k, cs := range c.stmts {
		_ = cs.s.Close()
		delete(c.stmts, k)
	}
	return c.sqliteConn.Close()
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	sqliteRows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.sqliteRows.Close()
	r.cs.inUse = false
	return err
}
