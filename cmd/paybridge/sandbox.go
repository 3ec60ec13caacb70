package main

// STUB: the cloversim ecommerce helper replaces this with the real command.

import (
	"context"
	"io"
)

func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sandbox", "Run cloversim, the Clover emulator, on its own.", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	return nil
}
