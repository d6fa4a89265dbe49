package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/badinput"
	"github.com/headroom-dev/headroom/deploy"
	"github.com/headroom-dev/headroom/plan"
	"github.com/headroom-dev/headroom/report"
)

func init() { register(newReconcileCmd) }

// minReconcileInterval keeps a loop from hammering the cloud APIs: every
// run refreshes every resource of the stack (at least two engine passes).
const minReconcileInterval = time.Minute

// reconcileNow is the clock of the run reports; tests pin it.
var reconcileNow = time.Now

type reconcileFlags struct {
	engineFlags
	once         bool
	interval     time.Duration
	jitter       time.Duration
	dryRun       bool
	reportFile   string
	allowReplace []string
}

// check validates the schedule and file flags before anything runs.
func (f *reconcileFlags) check(cmd *cobra.Command) error {
	looping := cmd.Flags().Changed("interval")
	switch {
	case f.once && looping:
		return usageErrorf("--once and --interval are mutually exclusive: --once runs once (for a scheduled job), --interval loops")
	case !f.once && !looping:
		return usageErrorf("pass --once (one run, for a scheduled job) or --interval DURATION (run in a loop)")
	case looping && f.interval < minReconcileInterval:
		return usageErrorf("--interval %s: must be at least %s (every run refreshes the whole stack)", f.interval, minReconcileInterval)
	case f.jitter < 0:
		return usageErrorf("--jitter %s: must be ≥ 0", f.jitter)
	case f.once && cmd.Flags().Changed("jitter"):
		return usageErrorf("--jitter applies to --interval (the loop), not to --once")
	}
	if f.reportFile != "" {
		if err := checkOutputFile("--report", f.reportFile); err != nil {
			return err
		}
	}
	if f.out != "" {
		if err := checkOutputFile("--out", f.out); err != nil {
			return err
		}
	}
	if err := deploy.AllowList(f.allowReplace).Check(); err != nil {
		return usageErrorf("%s", strings.TrimPrefix(err.Error(), deploy.ErrUsage.Error()+": "))
	}
	return nil
}

// checkOutputFile: the file's directory must exist and the path must not
// be a directory.
func checkOutputFile(flag, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usageErrorf("%s %s: is a directory, expected a file path", flag, path)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return usageErrorf("%s %s: directory %s does not exist", flag, path, filepath.Dir(path))
	}
	return nil
}

func newReconcileCmd() *cobra.Command {
	f := &reconcileFlags{}
	cmd := &cobra.Command{
		Use:   "reconcile --stack NAME (--once | --interval DURATION [--jitter DURATION])",
		Short: "Reconciler: on drift, re-apply the program through the gate (refresh, gate, preview with the pack, update pinned to the plan)",
		Long: `reconcile brings a stack back to what its program declares, through the
same gate as headroom up. One run:

  1. drift check (as headroom drift): refresh --preview-only, then preview
     --refresh --expect-no-changes with the policy pack; no drift ends the run;
  2. with --dry-run, drift ends the run (exit 3);
  3. pulumi refresh: the cloud's state becomes the recorded state;
  4. headroom up's path, unchanged: offline gate, preview with the pack
     saving an update plan, change safety (--allow-replace), update pinned
     to the plan;
  5. the drift check again: success only when the stack is in sync.

It fails closed: any error stops the run before the next step. --once runs
once (a scheduled job); --interval loops until SIGINT/SIGTERM, pausing
DURATION plus a random [0, --jitter) between runs (a cancelled run
interrupts the Pulumi CLI, which stops gracefully). Each run writes its
report to stdout (--format, --out) and, with --report FILE, as JSON to FILE
(replaced atomically after every run).

Exit codes: 0 in sync or reconciled, 1 refused (gate, policy pack, change
safety), 2 bad input, 3 drift left unreconciled (--dry-run, or still
drifting after the update), 4 failure (engine, backend, pack did not run).
In loop mode, the code of the last finished run.`,
		Example: `  headroom reconcile --stack staging --once --policy-pack policies/bin/headroom-policies --report reconcile.json
  headroom reconcile --stack production --once --dry-run --format markdown --out drift.md || test $? -eq 3
  headroom reconcile --stack staging --interval 30m --jitter 5m --policy-pack policies/bin/headroom-policies
  headroom reconcile --stack staging --once --allow-replace staging-connector   # accept a connector replacement`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			// Flags and the stack file are checked before the first run.
			_, _, _, _, cleanup, err := f.prepare()
			cleanup()
			if err != nil {
				return err
			}
			if f.once {
				return exitFor(f.runOnce(cmd, cmd.Context()))
			}
			code, err := deploy.Schedule(cmd.Context(), deploy.ScheduleOptions{Interval: f.interval, Jitter: f.jitter},
				func(ctx context.Context) int {
					code, _ := f.runOnce(cmd, ctx)
					return code
				})
			if err != nil {
				return &exitError{Code: exitUsage, Err: err}
			}
			if code != exitOK {
				return &exitError{Code: code, Err: fmt.Errorf("stack %s: last reconcile run exited %d", f.stack, code)}
			}
			return nil
		},
	}
	f.bind(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&f.once, "once", false, "run once and exit (for a scheduled job)")
	fl.DurationVar(&f.interval, "interval", 0, "run in a loop, pausing DURATION between runs (≥ 1m, e.g. 30m)")
	fl.DurationVar(&f.jitter, "jitter", 0, "loop mode: add a random pause in [0, DURATION) to every interval")
	fl.BoolVar(&f.dryRun, "dry-run", false, "detect and report drift, change nothing (exit 3 on drift)")
	fl.StringVar(&f.reportFile, "report", "", "also write each run's report as JSON to FILE (replaced atomically)")
	addAllowReplaceFlag(cmd, &f.allowReplace)
	return cmd
}

// addAllowReplaceFlag is --allow-replace, shared by up and reconcile.
func addAllowReplaceFlag(cmd *cobra.Command, v *[]string) {
	cmd.Flags().StringArrayVar(v, "allow-replace", nil,
		"allow replacing or deleting this stateful resource (Cloud SQL instance or database, VPC connector, network, Direct VPC egress subnet): its URN or name; repeatable")
}

// exitFor maps one run's code and error to the command's error.
func exitFor(code int, err error) error {
	if err != nil {
		return &exitError{Code: code, Err: err}
	}
	return nil
}

// runOnce is one reconcile run: it re-reads the stack file (a loop sees
// config changes), reconciles, writes the report(s) and one status line
// on stderr, and returns the run's exit code.
func (f *reconcileFlags) runOnce(cmd *cobra.Command, ctx context.Context) (int, error) {
	ls, root, format, pol, cleanup, err := f.prepare()
	defer cleanup()
	if err != nil {
		if !f.once {
			fmt.Fprintf(cmd.ErrOrStderr(), "headroom: reconcile %s: %s\n", f.stack, oneLine(err.Error()))
		}
		return exitCode(err), err
	}
	progress := progressWriter(cmd)
	out, err := deploy.Reconcile(ctx, openStack(f.pulumi), deploy.ReconcileOptions{
		Stack: ls.Name, Environment: string(ls.Policy.Env()), WorkDir: root, Policy: pol,
		AllowReplace: deploy.AllowList(f.allowReplace), DryRun: f.dryRun, Progress: progress, Now: reconcileNow,
		Gate: func(ctx context.Context) (report.Report, error) {
			return plan.Report(ctx, ls, progress)
		},
	})
	code := out.Code
	if err != nil {
		if errors.Is(err, deploy.ErrUsage) {
			code = exitUsage
			err = errors.New(strings.TrimPrefix(err.Error(), deploy.ErrUsage.Error()+": "))
		}
		if code == exitOK {
			code = deploy.ExitFailure
		}
	}
	if werr := writeReport(cmd, out.Report, format, f.out); werr != nil {
		if !f.once {
			fmt.Fprintf(cmd.ErrOrStderr(), "headroom: reconcile %s: %s\n", f.stack, oneLine(werr.Error()))
		}
		return exitCode(werr), werr
	}
	if f.reportFile != "" {
		if werr := writeJSONAtomic(f.reportFile, out.Report); werr != nil {
			if !f.once {
				fmt.Fprintf(cmd.ErrOrStderr(), "headroom: reconcile %s: --report %s: %v\n", f.stack, f.reportFile, werr)
			}
			return deploy.ExitFailure, fmt.Errorf("--report %s: %w", f.reportFile, werr)
		}
	}
	result := report.ResultFailed
	if out.Report.Reconcile != nil {
		result = out.Report.Reconcile.Result
	}
	reason := out.Reason
	if err != nil {
		reason = err.Error()
	}
	line := fmt.Sprintf("reconcile %s: %s (exit %d): %s", f.stack, result, code, oneLine(reason))
	if f.once && code != exitOK {
		return code, errors.New(line) // main prints it
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "headroom: %s\n", line)
	return code, nil
}

// writeJSONAtomic writes the report as JSON next to path and renames it
// into place, so a reader never sees half a report.
func writeJSONAtomic(path string, r report.Report) error {
	var b bytes.Buffer
	if err := report.JSON(&b, r); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return badinput.PathCause(err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
