package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Exit codes of the headroom command (documented in the README, docs/cli.md
// and `headroom --help`).
const (
	exitOK         = 0 // no mandatory violation / criteria met
	exitViolations = 1 // mandatory policy violations, failed criteria
	exitUsage      = 2 // bad input or usage
	exitDrift      = 3 // drift found (headroom drift)
	exitFailure    = 4 // internal or environment failure (engine, backend, database, file system, pack did not run, interrupt)
	exitInternal   = exitFailure
)

// exitError carries an exit code out of a command's RunE.
type exitError struct {
	Code int
	Err  error
}

func (e *exitError) Error() string { return e.Err.Error() }
func (e *exitError) Unwrap() error { return e.Err }

// usageErrorf is a one-line bad-input error (exit 2) naming the key, flag or file.
func usageErrorf(format string, args ...any) error {
	return &exitError{Code: exitUsage, Err: fmt.Errorf(format, args...)}
}

// subcommands lets each command live in its own file: a file registers its
// constructor in init() and main wires every registered command into the root.
var subcommands []func() *cobra.Command

func register(f func() *cobra.Command) { subcommands = append(subcommands, f) }
