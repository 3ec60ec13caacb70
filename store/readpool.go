package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// readPool is the pool of plain reads with a prepared statement per SQL
// text, reused on every connection: SQLite otherwise parses and plans each
// query afresh, which was a fifth of an authenticated GET's CPU.
//
// On PostgreSQL it prepares nothing (unprepared): pgx already caches a
// prepared statement per SQL text on each connection, and a *sql.Stmt over
// stdlib.OpenDBFromPool, which keeps no idle connections, was prepared and
// deallocated again on every use, two round trips more per read.
type readPool struct {
	*sql.DB
	unprepared bool
	stmts      sync.Map     // SQL text → *sql.Stmt
	count      atomic.Int64 // statements in stmts
}

// maxReadStmts bounds the prepared statements kept: the store's SQL texts
// are a fixed set, so past this a text is treated as one-off and runs
// unprepared rather than growing the cache.
const maxReadStmts = 512

func newReadPool(db *sql.DB, unprepared bool) *readPool {
	return &readPool{DB: db, unprepared: unprepared}
}

// stmt returns the prepared statement for query, or nil when it cannot be
// prepared (the caller then runs the query unprepared and gets the error).
func (p *readPool) stmt(ctx context.Context, query string) *sql.Stmt {
	if p.unprepared {
		return nil
	}
	if s, ok := p.stmts.Load(query); ok {
		return s.(*sql.Stmt)
	}
	if p.count.Load() >= maxReadStmts {
		return nil
	}
	s, err := p.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if prev, loaded := p.stmts.LoadOrStore(query, s); loaded {
		_ = s.Close()
		return prev.(*sql.Stmt)
	}
	p.count.Add(1)
	return s
}

func (p *readPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

func (p *readPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

// Close closes the statements, then the pool.
func (p *readPool) Close() error {
	p.stmts.Range(func(_, s any) bool {
		_ = s.(*sql.Stmt).Close()
		return true
	})
	return p.DB.Close()
}

// readTxQuerier runs a read transaction's queries through the pool's
// prepared statements (bound to the transaction's connection).
type readTxQuerier struct {
	*sql.Tx
	pool *readPool
}

func (q readTxQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := q.pool.stmt(ctx, query); s != nil {
		return q.Tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return q.Tx.QueryRowContext(ctx, query, args...)
}

func (q readTxQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := q.pool.stmt(ctx, query); s != nil {
		return q.Tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return q.Tx.QueryContext(ctx, query, args...)
}
