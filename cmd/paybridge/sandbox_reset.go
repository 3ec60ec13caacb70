package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// sandboxFiles are the files only a sandbox leaves in a data dir: reset
// refuses a directory with none of them, so it never wipes a production
// data dir (which has paybridge.db and keys.json, never these).
var sandboxFiles = []string{"cloversim.db", "sandbox-clover.json", "sandbox.json"}

// runSandboxReset is `paybridge sandbox reset`: it deletes a sandbox's data
// dir (serve's sandbox mode or `paybridge sandbox --data-dir`), so the next
// start is a first start: new merchant, key, secrets and an empty Clover.
// Stop the sandbox first.
func runSandboxReset(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sandbox reset", "Delete a sandbox's data dir (everything in it: paybridge's database, cloversim's\n"+
		"state, keys, sandbox.json) so the next start begins afresh. Stop the sandbox first.\n"+
		"It refuses a directory that is not a sandbox's.", stderr)
	dataDir := fs.String("data-dir", envOr("PAYBRIDGE_DATA_DIR", "./paybridge-data"), "the sandbox's data dir (PAYBRIDGE_DATA_DIR)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := os.Stat(*dataDir); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stdout, "%s does not exist: nothing to reset\n", *dataDir)
		return nil
	}
	sandbox := false
	for _, f := range sandboxFiles {
		if _, err := os.Stat(filepath.Join(*dataDir, f)); err == nil {
			sandbox = true
		}
	}
	if !sandbox {
		return fmt.Errorf("%s is not a sandbox's data dir (none of %v in it): not deleting it", *dataDir, sandboxFiles)
	}
	if err := os.RemoveAll(*dataDir); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted %s: the next start begins afresh\n", *dataDir)
	return nil
}
