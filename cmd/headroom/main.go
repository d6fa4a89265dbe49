// Command headroom is the Headroom CLI: the offline plan and policy gate of a
// stack and the cheapest passing fix (plan, suggest), gated deploys, drift
// checks and their reconciler through the Pulumi Automation API (up, drift,
// reconcile), the post-deploy HTTP check (verify), the pack's configuration
// and the stack file's JSON Schema (policy-config, schema), and the
// connection-storm probe (probe, with probe task and probe merge; calibrate).
//
// Exit codes (docs/cli.md):
//
//	0  pass: no mandatory violation / criteria met / no drift
//	1  refused by the gate: mandatory policy violations or failed criteria
//	2  bad input or usage: a one-line error naming the flag, file or key
//	3  drift found (headroom drift) or left unreconciled (headroom reconcile)
//	4  internal or environment failure: the Pulumi engine, the database, the
//	   file system, an interrupt — the tool could not reach a verdict
//
// An error that is not an *exitError is an internal or environment failure
// (exit 4), except cobra's own flag and argument errors, which are usage
// (exit 2).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/badinput"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI with args and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil {
		fmt.Fprintf(stderr, "headroom: %s\n", oneLine(err.Error()))
		if code == exitUsage && !errors.As(err, new(*exitError)) && !badinput.Is(err) {
			fmt.Fprintln(stderr, "Run 'headroom --help' for usage.")
		}
	}
	return code
}

// exitCode maps an error to the documented exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var ue *cobraUsageError
	if errors.As(err, &ue) || badinput.Is(err) {
		return exitUsage
	}
	return exitInternal
}

// cobraUsageError wraps cobra's flag and argument errors (unknown flag,
// missing value, unknown command, extra arguments).
type cobraUsageError struct{ err error }

func (e *cobraUsageError) Error() string { return e.err.Error() }
func (e *cobraUsageError) Unwrap() error { return e.err }

// oneLine keeps an error on one line (badinput.OneLine).
var oneLine = badinput.OneLine

const rootExamples = `  # The offline plan of the staging stack (no cloud, no credentials)
  headroom plan --stack staging

  # The same as a Markdown PR comment, and as JSON for tools
  headroom plan --stack production --format markdown --out plan.md
  headroom plan --config-file tests/testdata/incident/Pulumi.incident.yaml --format json

  # Gated deploy: plan gate, preview with the policy pack, confirm, update
  headroom up --stack staging --policy-pack policies/bin/headroom-policies

  # Scheduled drift check (exit 3 when the cloud or the program drifted)
  headroom drift --stack production --policy-pack policies/bin/headroom-policies

  # Reconciler: on drift, re-apply through the same gate (a scheduled job)
  headroom reconcile --stack staging --once --policy-pack policies/bin/headroom-policies --report reconcile.json`

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "headroom",
		Short: "Plan, gate and deploy Cloud Run → VPC egress → Cloud SQL stacks that can carry their load",
		Long: `headroom judges a stack before anyone runs pulumi up: it runs the Pulumi program
in-process with mocks, evaluates the Headroom policy pack on the resource graph,
and reports the connection budget per database, the egress headroom per region,
the timeout budget per workload and a simulated cold-start storm.

Exit codes:
  0  pass (no mandatory violation, criteria met, no drift)
  1  refused by the gate (mandatory policy violations or failed criteria)
  2  bad input or usage (a one-line error names the flag, file or key)
  3  drift found (headroom drift) or left unreconciled (headroom reconcile)
  4  internal or environment failure (engine, database, file system, interrupt)`,
		Example:       rootExamples,
		SilenceUsage:  true,
		SilenceErrors: true,
		// A bare `headroom` prints help; unknown subcommands are usage errors.
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.PersistentFlags().Bool("no-color", false, "disable colors in terminal output (also NO_COLOR=1)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cobraUsageError{err} })
	for _, f := range subcommands {
		c := f()
		wrapCobraErrors(c)
		root.AddCommand(c)
	}
	return root
}

// wrapCobraErrors makes a command's flag and argument errors usage errors
// (exit 2), recursively.
func wrapCobraErrors(c *cobra.Command) {
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cobraUsageError{err} })
	if c.Args != nil {
		c.Args = wrapArgs(c.Args)
	}
	for _, sub := range c.Commands() {
		wrapCobraErrors(sub)
	}
}

func wrapArgs(a cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := a(cmd, args); err != nil {
			var ue *cobraUsageError
			if errors.As(err, &ue) {
				return err
			}
			return &cobraUsageError{err}
		}
		return nil
	}
}
