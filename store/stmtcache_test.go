package store

import (
	"context"
	"path/filepath"
	"testing"
)

// cachedStmts returns how many statements the writer's connection holds.
func cachedStmts(t *testing.T, db *DB) int {
	t.Helper()
	conn, err := db.w.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n := -1
	if err := conn.Raw(func(dc any) error {
		if cc, ok := dc.(*cachedConn); ok {
			n = len(cc.stmts)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriterCachesStatements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "pb.db"), Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if cachedStmts(t, db) < 0 {
		t.Fatal("the SQLite writer's connection does not cache statements")
	}
	const ins = `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, 0)`
	before := cachedStmts(t, db)
	for i, v := range []string{"a", "b", "c"} {
		if _, err := db.w.ExecContext(ctx, ins, "k"+v, v); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	if got := cachedStmts(t, db); got != before+1 {
		t.Fatalf("cached statements = %d after one text run thrice, want %d", got, before+1)
	}
	// The same text queried while its rows are open (nested, in a
	// transaction like River's) runs unprepared and both read correctly.
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const sel = `SELECT name, value FROM settings WHERE name >= $1 ORDER BY name`
	outer, err := tx.QueryContext(ctx, sel, "ka")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for outer.Next() {
		var n, v string
		if err := outer.Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		var inner string
		if err := tx.QueryRowContext(ctx, sel, n).Scan(&inner, new(string)); err != nil {
			t.Fatal(err)
		}
		if inner != n {
			t.Fatalf("nested query of %s read %s", n, inner)
		}
		names = append(names, n)
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if len(names) != 3 || names[0] != "ka" || names[2] != "kc" {
		t.Fatalf("outer rows = %v, want ka kb kc", names)
	}
	// Reused after close: still one statement per text, rows correct.
	var v string
	if err := tx.QueryRowContext(ctx, sel, "kb").Scan(new(string), &v); err != nil || v != "b" {
		t.Fatalf("reuse after close: %q %v", v, err)
	}
	// An error from a cached statement is the statement's error.
	if _, err := tx.ExecContext(ctx, ins, "ka", "dup"); err == nil {
		t.Fatal("duplicate key accepted")
	}
	if _, err := tx.ExecContext(ctx, ins, "kd", "d"); err != nil {
		t.Fatalf("statement unusable after an error: %v", err)
	}
}
