package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/paybridge/paybridge"
)

// query is a SELECT being assembled with numbered placeholders.
type query struct {
	sql  string
	args []any
}

// where appends " AND <cond>" with cond's "?" replaced by the next
// placeholder number.
func (q *query) where(cond string, arg any) {
	q.args = append(q.args, arg)
	q.sql += " AND " + fmt.Sprintf(cond, fmt.Sprintf("$%d", len(q.args)))
}

// created bounds q by creation time (created_at, in microseconds).
func (q *query) created(r paybridge.TimeRange) {
	if !r.From.IsZero() {
		q.where("created_at >= %s", r.From.UnixMicro())
	}
	if !r.Until.IsZero() {
		q.where("created_at < %s", r.Until.UnixMicro())
	}
}

// list runs q (a SELECT whose first column is seq) one page at a time:
// rows after the cursor in seq order (descending when newestFirst), limit+1
// of them so the page knows whether another follows.
func list[T any](ctx context.Context, db *DB, src querier, q query, cursor string, limit int, newestFirst bool,
	scan func(scanner) (T, error)) ([]T, string, error) {
	after, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	limit = pageLimit(limit)
	order := "ASC"
	if newestFirst {
		order = "DESC"
		if after > 0 {
			q.where("seq < %s", after)
		}
	} else if after > 0 {
		q.where("seq > %s", after)
	}
	q.args = append(q.args, limit+1)
	q.sql += fmt.Sprintf(" ORDER BY seq %s LIMIT $%d", order, len(q.args))
	rows, err := src.QueryContext(ctx, q.sql, q.args...)
	if err != nil {
		return nil, "", db.mapErr("list", err)
	}
	defer rows.Close()
	var (
		out  []T
		seqs []int64
	)
	for rows.Next() {
		var seq int64
		v, err := scan(seqScanner{rows, &seq})
		if err != nil {
			return nil, "", db.mapErr("list scan", err)
		}
		out, seqs = append(out, v), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", db.mapErr("list rows", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(seqs[limit-1])
	}
	return out, next, nil
}

// seqScanner reads the leading seq column, then hands the rest to the
// row's own scan function.
type seqScanner struct {
	rows *sql.Rows
	seq  *int64
}

func (s seqScanner) Scan(dest ...any) error {
	return s.rows.Scan(append([]any{s.seq}, dest...)...)
}
