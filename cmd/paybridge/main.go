// Command paybridge is the one binary: it serves the API and pay pages, runs
// cloversim on its own, migrates the database and manages keys. This package
// only wires the others together.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand: run parses args and runs until ctx ends.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"sandbox":  {"run cloversim, the Clover emulator, on its own", runSandbox},
		"migrate":  {"apply the database migrations", runMigrate},
		"serve":    {"serve the API and pay pages (sandbox mode without Clover configuration)", runServe},
		"keys":     {"API keys and signing keys: keys issue|rotate|retire|list", runKeys},
		"listen":   {"stream a merchant's events to a local URL, signed: listen --api-key … --forward-to URL", runListen},
		"version":  {"print the version", runVersion},
		"loadtest": {"load at a fixed arrival rate: loadtest --scenario pay|read|webhooks --rate N --duration D [--target URL] [--baseline naive] --json", runLoadtest},

		"integrations": {"operators: integrations unlink --id <integration id>", runIntegrations},
	}
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	syscallHeadroom()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "paybridge: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	if err := c.run(ctx, args[1:], stdout, stderr); err != nil {
		switch err {
		case errHelp:
			return 0
		case errUsage:
			return 2
		}
		fmt.Fprintf(stderr, "paybridge %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) error {
	fmt.Fprintln(stdout, "paybridge", version)
	return nil
}
