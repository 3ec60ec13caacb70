package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMigrate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "paybridge.db")
	first := ""
	for i := range 2 { // the second run finds nothing to do and reports the same version
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"migrate", "--database-url", path}, &stdout, &stderr)
		if code != 0 || !strings.Contains(stdout.String(), "migrated sqlite database to version ") ||
			(i == 1 && stdout.String() != first) {
			t.Fatalf("run %d: exit %d, stdout %q (first run %q), stderr %q", i, code, stdout.String(), first, stderr.String())
		}
		first = stdout.String()
	}
}

func TestMigrateFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"migrate", "--help"}, 0, "-database-url"},
		{[]string{"migrate", "--nope"}, 2, "flag provided but not defined"},
		{[]string{"migrate", "extra"}, 2, "unexpected argument"},
		{[]string{"migrate", "--database-url", "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=1"}, 1, "paybridge migrate:"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
		if strings.Contains(stderr.String(), "hunter2") {
			t.Errorf("%v: password leaked: %q", tc.args, stderr.String())
		}
	}
}

// TestMigrateUsesTheDataDir: without --database-url, migrate works on the
// same database serve uses, <PAYBRIDGE_DATA_DIR>/paybridge.db. (Not parallel:
// it sets the environment.)
func TestMigrateUsesTheDataDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PAYBRIDGE_DATA_DIR", dir)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"migrate"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "paybridge.db")); err != nil {
		t.Fatalf("no database in the data dir: %v", err)
	}
}
