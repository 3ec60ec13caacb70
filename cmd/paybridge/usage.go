package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
)

// errUsage reports bad flags; the flag package has already printed why.
var errUsage = errors.New("usage")

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "Usage: paybridge <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'paybridge <command> --help' for a command's flags.")
}

// newFlagSet returns a FlagSet that prints its usage to stderr and whose
// Parse errors become errUsage (or nil for --help).
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("paybridge "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: paybridge %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; it returns errHelp for -h/--help so callers exit 0.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return errHelp
	case err != nil:
		return errUsage
	}
	return nil
}

// errHelp means --help was asked and printed: exit 0.
var errHelp = errors.New("help")
