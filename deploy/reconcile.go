package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"

	"github.com/headroom-dev/headroom/report"
)

// ReconcileOptions configure Reconcile.
type ReconcileOptions struct {
	Stack       string
	Environment string
	WorkDir     string
	Policy      Policy
	// Gate runs the offline plan (as for Up).
	Gate func(ctx context.Context) (report.Report, error)
	// AllowReplace names the stateful resources the re-apply may replace
	// or delete (as for Up).
	AllowReplace AllowList
	// DryRun detects and reports drift but changes nothing (exit 3 when
	// there is drift).
	DryRun   bool
	Progress io.Writer
	// Now is the clock of the report's timestamps (nil: time.Now).
	Now func() time.Time
}

// Reconcile is `headroom reconcile`, one run:
//
//  1. the drift check of `headroom drift` (refresh --preview-only, then
//     preview --refresh --expect-no-changes with the policy pack); no
//     drift ends the run (0, or 1 when the refreshed state violates a
//     mandatory policy);
//  2. with --dry-run, drift ends the run here (3);
//  3. pulumi refresh: the cloud's state becomes the recorded state;
//  4. Up, unchanged: the offline gate, the preview with the pack saving an
//     update plan, change safety, and the update pinned to that plan;
//  5. the drift check again: exit 0 only when the stack is now in sync.
//
// It fails closed: any error stops the run before the next step, and the
// update runs only when every check before it passed. Exit codes: 0 in
// sync or reconciled, 1 refused (gate, policy pack, change safety), 2 bad
// input, 3 drift left (dry run, or still drifting after the update),
// 4 failure.
func Reconcile(ctx context.Context, open Opener, o ReconcileOptions) (Outcome, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	rec := &report.Reconcile{DryRun: o.DryRun, StartedAt: now().UTC()}
	finish := func(out Outcome, err error, result string) (Outcome, error) {
		if out.Report.Kind == "" {
			out.Report = report.Report{Stack: o.Stack, Environment: o.Environment}
		}
		r := &out.Report
		r.Kind = report.KindReconcile
		if r.Environment == "" {
			r.Environment = o.Environment
		}
		if r.Violations == nil {
			r.Violations = []report.Violation{}
		}
		if r.Drift == nil {
			r.Drift = &report.Drift{Refresh: emptyChanges("refresh"), Preview: emptyChanges("preview")}
		}
		rec.Result = result
		rec.ExitCode = out.Code
		rec.Reason = out.Reason
		if err != nil {
			rec.Reason = err.Error()
		}
		rec.FinishedAt = now().UTC()
		r.Reconcile = rec
		r.Finalize()
		return out, err
	}

	if err := checkPolicy(o.Policy); err != nil {
		return finish(Outcome{Code: ExitUsage}, err, report.ResultFailed)
	}
	if err := o.AllowReplace.Check(); err != nil {
		return finish(Outcome{Code: ExitUsage}, err, report.ResultFailed)
	}
	st, err := open(ctx, o.Stack, o.WorkDir)
	if err != nil {
		return finish(Outcome{Code: ExitFailure}, err, report.ResultFailed)
	}
	dopts := DriftOptions{Stack: o.Stack, Environment: o.Environment, WorkDir: o.WorkDir, Policy: o.Policy, Progress: o.Progress}

	// 1. Is there drift?
	det, err := detectDrift(ctx, st, dopts)
	drift := det.Report.Drift
	switch {
	case err != nil:
		return finish(det, err, report.ResultFailed)
	case det.Code == ExitOK:
		det.Reason = "in sync: nothing drifted; nothing was changed"
		return finish(det, nil, report.ResultInSync)
	case det.Code == ExitViolations:
		det.Reason = "in sync, but the refreshed state violates mandatory policies (fix the program or the stack config); nothing was changed"
		return finish(det, nil, report.ResultRefused)
	case det.Code != ExitDrift:
		return finish(det, fmt.Errorf("drift check of %s: unexpected exit code %d", o.Stack, det.Code), report.ResultFailed)
	}
	// 2. Dry run: report the drift, change nothing.
	if o.DryRun {
		det.Reason = "dry run: " + det.Reason + "; drift left unreconciled"
		return finish(det, nil, report.ResultDrift)
	}

	// 3. Record the cloud's state, so the gated preview diffs the program
	// against what is really there.
	progress(o.Progress, "refresh of %s (recording the cloud's state)", o.Stack)
	rc := newCollector()
	_, rerr := st.Refresh(ctx, optrefresh.EventStreams(rc.ch))
	refreshed := Convert("refresh", rc.events())
	rec.Refresh = &refreshed.Changes
	if rerr == nil && ctx.Err() != nil {
		rerr = ctx.Err()
	}
	if rerr != nil {
		det.Code = ExitFailure
		return finish(det, fmt.Errorf("refresh of %s failed; nothing was applied: %w", o.Stack, engineError(rerr)), report.ResultFailed)
	}

	// 4. Re-apply through the path of headroom up, on the stack already
	// open: gate → preview with the pack and a saved plan → change safety
	// → update pinned to the plan.
	up, uerr := Up(ctx, func(context.Context, string, string) (Stack, error) { return st, nil }, UpOptions{
		Stack: o.Stack, WorkDir: o.WorkDir, Policy: o.Policy, Gate: o.Gate,
		Yes: true, AllowReplace: o.AllowReplace, Progress: o.Progress,
	})
	up.Report.Drift = drift
	if uerr != nil || up.Code != ExitOK || !up.Applied {
		result := report.ResultRefused
		if uerr != nil && up.Code != ExitViolations {
			result = report.ResultFailed
		}
		if up.Code == ExitOK {
			up.Code = ExitFailure
		}
		return finish(up, uerr, result)
	}

	// 5. Verify: the run succeeded only if the stack is now in sync.
	ver, verr := detectDrift(ctx, st, dopts)
	rec.Verify = ver.Report.Drift
	switch {
	case verr != nil:
		up.Code = ExitFailure
		return finish(up, fmt.Errorf("update of %s applied, but the check afterwards failed: %w", o.Stack, verr), report.ResultFailed)
	case ver.Code == ExitDrift:
		up.Code, up.Reason = ExitDrift, "update applied, but the stack still drifts: "+ver.Reason
		return finish(up, nil, report.ResultDrift)
	case ver.Code != ExitOK:
		up.Code, up.Reason = ver.Code, "update applied, but "+ver.Reason
		return finish(up, nil, report.ResultRefused)
	}
	up.Reason = "reconciled: drift re-applied through the gate; the stack is in sync"
	return finish(up, nil, report.ResultReconciled)
}

func emptyChanges(op string) report.Changes {
	return report.Changes{Operation: op, Summary: map[string]int{}, Steps: []report.Step{}, PolicyPacks: map[string]string{}}
}

// ScheduleOptions configure Schedule.
type ScheduleOptions struct {
	// Interval is the pause between the end of one run and the start of
	// the next; Jitter adds a uniformly random extra delay in [0, Jitter).
	Interval, Jitter time.Duration
	// Rand returns a number in [0, 1) (nil: math/rand/v2).
	Rand func() float64
	// Wait sleeps d or until ctx is done, reporting whether it slept the
	// whole time (nil: a timer).
	Wait func(ctx context.Context, d time.Duration) bool
}

// ErrInterval marks a schedule without a positive interval.
var ErrInterval = errors.New("interval must be > 0")

// Schedule runs run now and again after every pause until ctx is done,
// and returns the exit code of the last run that finished (0 when none
// did). A run is never interrupted by the schedule itself, only by ctx.
func Schedule(ctx context.Context, s ScheduleOptions, run func(context.Context) int) (int, error) {
	if s.Interval <= 0 || s.Jitter < 0 {
		return ExitUsage, fmt.Errorf("%w: interval %s, jitter %s", ErrInterval, s.Interval, s.Jitter)
	}
	rnd := s.Rand
	if rnd == nil {
		rnd = rand.Float64
	}
	wait := s.Wait
	if wait == nil {
		wait = sleep
	}
	last := ExitOK
	for ctx.Err() == nil {
		code := run(ctx)
		if ctx.Err() != nil {
			// An interrupted run is reported by run itself; the
			// loop only stops.
			return code, nil
		}
		last = code
		d := s.Interval + time.Duration(rnd()*float64(s.Jitter))
		if !wait(ctx, d) {
			break
		}
	}
	return last, nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
