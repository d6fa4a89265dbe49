// Package deploy is `headroom up` and `headroom drift`: the offline gate,
// then the Pulumi engine through the Automation API with the policy pack,
// with the engine's event stream turned into the same report the offline
// plan renders.
//
// The engine is reached through the small Stack interface (the subset of
// *auto.Stack these commands use), so the orchestration — ordering,
// fail-closed policy loading, exit codes — is tested against a fake that
// replays recorded engine events.
package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/headroom-dev/headroom/report"
)

// Exit codes (the CLI's contract, docs/cli.md).
const (
	ExitOK         = 0
	ExitViolations = 1
	ExitUsage      = 2
	ExitDrift      = 3
	// ExitFailure is an internal or environment failure: the engine or
	// the backend failed, the pack did not run, a file could not be
	// written. Nothing was applied unless the update itself failed.
	ExitFailure = 4
)

// Stack is the part of *auto.Stack that up, drift and reconcile use.
type Stack interface {
	Preview(ctx context.Context, opts ...optpreview.Option) (auto.PreviewResult, error)
	PreviewRefresh(ctx context.Context, opts ...optrefresh.Option) (auto.PreviewResult, error)
	Up(ctx context.Context, opts ...optup.Option) (auto.UpResult, error)
	Refresh(ctx context.Context, opts ...optrefresh.Option) (auto.RefreshResult, error)
}

var _ Stack = (*auto.Stack)(nil)

// Opener selects or creates a stack of the project in workDir.
type Opener func(ctx context.Context, stack, workDir string) (Stack, error)

// AutoOpener opens stacks with the Automation API's local workspace
// (auto.UpsertStackLocalSource): the Pulumi CLI runs the project in workDir
// (Pulumi.yaml, stacks/Pulumi.<stack>.yaml) against the logged-in backend.
// pulumiBin, when set, is the CLI to use instead of the one on PATH.
func AutoOpener(pulumiBin string) Opener {
	return func(ctx context.Context, stack, workDir string) (Stack, error) {
		var opts []auto.LocalWorkspaceOption
		if pulumiBin != "" {
			// The Automation API finds the CLI on PATH (or under
			// Root/bin); put the chosen binary's directory first.
			dir := filepath.Dir(pulumiBin)
			if err := os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH")); err != nil {
				return nil, err
			}
			cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{SkipVersionCheck: true})
			if err != nil {
				return nil, fmt.Errorf("pulumi CLI %s: %w", pulumiBin, err)
			}
			opts = append(opts, auto.Pulumi(cmd))
		}
		s, err := auto.UpsertStackLocalSource(ctx, stack, workDir, opts...)
		if err != nil {
			hint := ""
			if strings.Contains(err.Error(), "executable file not found") {
				hint = " (install the Pulumi CLI, run `make pulumi`, or pass --pulumi PATH)"
			}
			return nil, fmt.Errorf("stack %q: %w%s", stack, err, hint)
		}
		return &s, nil
	}
}

// Policy is the policy pack the engine must run.
type Policy struct {
	// Pack is the pack's path: a directory with PulumiPolicy.yaml or a
	// prebuilt pack binary.
	Pack string
	// Name is the pack's name as the engine reports it in its summary
	// (pack.Name); the operation fails closed when it did not run.
	Name string
	// Config is an optional --policy-pack-config file.
	Config string
}

// UpOptions configure Up.
type UpOptions struct {
	Stack   string
	WorkDir string
	Policy  Policy
	// Gate runs the offline plan; Up stops when it fails.
	Gate func(ctx context.Context) (report.Report, error)
	// Yes skips the confirmation.
	Yes bool
	// Confirm asks the operator; it is required unless Yes.
	Confirm func(prompt string) (bool, error)
	// Review, when set, is shown the preview's report just before Confirm,
	// so the operator confirms what they have read.
	Review func(report.Report)
	// Progress receives one line per phase (nil: discard).
	Progress io.Writer
	// PlanFile, when set, is where a copy of the update plan is kept (the
	// plan the preview saved and the update is constrained to). Without
	// it the plan lives in a temporary directory that Up removes.
	PlanFile string
	// AllowReplace names the stateful resources the preview may replace
	// or delete (--allow-replace); any other such step refuses the run.
	AllowReplace AllowList
}

// Outcome is a command's report and exit code.
type Outcome struct {
	Report  report.Report
	Code    int
	Applied bool
	// Reason explains a non-zero Code in one line.
	Reason string
	// PlanFile is where the update plan was kept (UpOptions.PlanFile),
	// empty when it was not.
	PlanFile string
}

// ErrUsage marks errors in the operator's input (exit 2).
var ErrUsage = errors.New("usage")

func checkPolicy(p Policy) error {
	if p.Pack == "" {
		return fmt.Errorf("%w: --policy-pack is required: the engine must run the headroom policy pack", ErrUsage)
	}
	if _, err := os.Stat(p.Pack); err != nil {
		return fmt.Errorf("%w: --policy-pack %s: %v (build it with `make policy-pack`)", ErrUsage, p.Pack, err)
	}
	if p.Config != "" {
		if _, err := os.Stat(p.Config); err != nil {
			return fmt.Errorf("%w: --policy-pack-config %s: %v", ErrUsage, p.Config, err)
		}
	}
	return nil
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "→ "+format+"\n", args...)
	}
}

// convertWithPack converts one operation's engine events and reports
// whether the policy pack ran; when it did not, missing is added to the
// operation's errors so the report says so.
func convertWithPack(op string, c *collector, pack, missing string) (Recorded, bool) {
	rec := Convert(op, c.events())
	ran := packRan(rec, pack)
	if !ran {
		rec.Changes.Errors = append(rec.Changes.Errors, missing)
	}
	return rec, ran
}

// packRan reports whether the engine ran the pack (its summary lists it;
// Convert keys packs by name).
func packRan(rec Recorded, name string) bool {
	if name == "" {
		return len(rec.Changes.PolicyPacks) > 0
	}
	_, ok := rec.Changes.PolicyPacks[name]
	return ok
}

// Up is `headroom up`: gate → preview with the policy pack, saving an
// update plan → confirmation → update with the policy pack, constrained to
// that plan. It changes nothing unless the gate passes, the pack ran and
// reported no mandatory violation, the preview saved a plan, and the
// operator (or --yes) confirmed. The plan is removed when Up returns
// unless UpOptions.PlanFile keeps a copy.
func Up(ctx context.Context, open Opener, o UpOptions) (Outcome, error) {
	if err := checkPolicy(o.Policy); err != nil {
		return Outcome{Code: ExitUsage}, err
	}
	if err := checkPlanFile(o.PlanFile); err != nil {
		return Outcome{Code: ExitUsage}, err
	}
	if err := o.AllowReplace.Check(); err != nil {
		return Outcome{Code: ExitUsage}, err
	}
	if !o.Yes && o.Confirm == nil {
		return Outcome{Code: ExitUsage}, fmt.Errorf("%w: --yes is required when stdin is not a terminal", ErrUsage)
	}
	progress(o.Progress, "gate: offline plan of %s", o.Stack)
	gate, err := o.Gate(ctx)
	if err != nil {
		return Outcome{Code: ExitUsage}, err
	}
	gate.Kind = report.KindUp
	// Until the engine ran, the preview section is empty (the report
	// stays valid against the schema whatever fails next).
	gate.Preview = &report.Changes{Operation: "preview", Summary: map[string]int{}, Steps: []report.Step{}, PolicyPacks: map[string]string{}}
	if gate.Failed() {
		return Outcome{Report: gate, Code: ExitViolations, Reason: fmt.Sprintf("gate failed: %d mandatory violation(s); nothing was previewed or changed", gate.Mandatory)}, nil
	}

	st, err := open(ctx, o.Stack, o.WorkDir)
	if err != nil {
		return Outcome{Report: gate, Code: ExitFailure}, err
	}
	// The preview saves an update plan (pulumi preview --save-plan) and the
	// update is constrained to it (pulumi up --plan): the engine refuses
	// any step the gated preview did not propose, so what was judged is
	// what is applied. A fresh private directory per run means a plan
	// file found after the preview was written by this preview.
	planDir, err := os.MkdirTemp("", "headroom-plan-*")
	if err != nil {
		return Outcome{Report: gate, Code: ExitFailure}, fmt.Errorf("update plan directory: %w", err)
	}
	defer os.RemoveAll(planDir)
	plan := filepath.Join(planDir, "update-plan.json")

	progress(o.Progress, "preview of %s with policy pack %s (saving the update plan)", o.Stack, o.Policy.Pack)
	c := newCollector()
	popts := []optpreview.Option{optpreview.PolicyPacks(o.Policy.Pack), optpreview.EventStreams(c.ch), optpreview.Plan(plan)}
	if o.Policy.Config != "" {
		popts = append(popts, optpreview.PolicyPackConfigs(o.Policy.Config))
	}
	_, perr := st.Preview(ctx, popts...)
	rec, ran := convertWithPack("preview", c, o.Policy.Name, notRun(o.Policy.Name))
	refused := o.AllowReplace.Apply(rec.Changes.Stateful)
	rep := merge(gate, rec, ran)
	out := Outcome{Report: rep}
	switch {
	case rep.Failed():
		out.Code, out.Reason = ExitViolations, fmt.Sprintf("preview: %d mandatory policy violation(s); nothing was changed", rep.Mandatory)
		return out, nil
	case len(protectedNames(rec.Changes.Stateful)) > 0:
		// The engine itself refused: a protected resource would be
		// replaced or deleted. A refusal, not a failure.
		out.Code, out.Reason = ExitViolations, fmt.Sprintf("the engine refused to replace or delete protected resource(s) %s (Pulumi's protect option; pulumi state unprotect first); nothing was changed",
			strings.Join(protectedNames(rec.Changes.Stateful), ", "))
		return out, nil
	case perr != nil:
		out.Code = ExitFailure
		return out, fmt.Errorf("preview of %s failed; nothing was changed: %w", o.Stack, engineError(perr))
	case !ran:
		// Fail closed: a preview without the pack proves nothing.
		out.Code = ExitFailure
		return out, fmt.Errorf("policy pack %q did not run during the preview of %s (engine summary lists %v); refusing to deploy", o.Policy.Name, o.Stack, rec.Changes.PolicyPacks)
	case len(refused) > 0:
		// Change safety: a stateful resource is replaced or deleted
		// only when the operator named it.
		out.Code, out.Reason = ExitViolations, refusal(refused)
		return out, nil
	}
	// Fail closed: without the plan the update would not be pinned to
	// the preview that was just judged.
	if err := checkPlan(plan); err != nil {
		out.Code = ExitFailure
		return out, fmt.Errorf("preview of %s saved no usable update plan (%v); refusing to deploy an update that is not pinned to the gated preview; nothing was changed", o.Stack, err)
	}
	if o.PlanFile != "" {
		// Kept before the confirmation, so a declined run leaves the
		// plan to inspect too.
		if err := copyPlan(plan, o.PlanFile); err != nil {
			out.Code = ExitFailure
			return out, fmt.Errorf("--plan-file %s: %w; nothing was changed", o.PlanFile, err)
		}
		out.PlanFile = o.PlanFile
	}

	if !o.Yes {
		if o.Review != nil {
			o.Review(out.Report)
		}
		ok, err := o.Confirm(fmt.Sprintf("Apply %s to stack %s?", summaryOrNone(rec.Changes), o.Stack))
		if err != nil {
			out.Code = ExitFailure
			return out, err
		}
		if !ok {
			out.Code, out.Reason = ExitViolations, "not confirmed; nothing was changed"
			return out, nil
		}
	}

	progress(o.Progress, "update of %s with policy pack %s, constrained to the previewed plan", o.Stack, o.Policy.Pack)
	uc := newCollector()
	uopts := []optup.Option{optup.PolicyPacks(o.Policy.Pack), optup.EventStreams(uc.ch), optup.Plan(plan)}
	if o.Policy.Config != "" {
		uopts = append(uopts, optup.PolicyPackConfigs(o.Policy.Config))
	}
	_, uerr := st.Up(ctx, uopts...)
	// The update's policy results supersede the preview's: they judged
	// the values the provider actually returned.
	urec, uran := convertWithPack("update", uc, o.Policy.Name, notRun(o.Policy.Name))
	// The update can only run steps of the plan, so every stateful step
	// in it was allowed above; the marks are carried over for the report.
	o.AllowReplace.Apply(urec.Changes.Stateful)
	out.Report = merge(gate, urec, uran)
	out.Report.Preview = &urec.Changes
	if uerr != nil {
		out.Code = ExitFailure
		if isPlanViolation(uerr) {
			return out, fmt.Errorf("update of %s stopped: it deviated from the previewed plan (resources already updated stay updated; re-run headroom up to preview and gate the current state): %w", o.Stack, engineError(uerr))
		}
		return out, fmt.Errorf("update of %s failed: %w", o.Stack, engineError(uerr))
	}
	if out.Report.Failed() {
		out.Code, out.Reason = ExitViolations, "update reported mandatory policy violations"
		return out, nil
	}
	out.Applied = true
	return out, nil
}

// checkPlanFile validates --plan-file before anything runs: its directory
// must exist and the path must not be a directory.
func checkPlanFile(path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%w: --plan-file %s: is a directory, expected a file path", ErrUsage, path)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%w: --plan-file %s: directory %s: %v", ErrUsage, path, dir, unwrapPathError(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: --plan-file %s: %s is not a directory", ErrUsage, path, dir)
	}
	return nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkPlan verifies that the preview wrote an update plan: a JSON
// apitype.DeploymentPlanV1 (what pulumi preview --save-plan writes, see
// pkg/cmd/pulumi/plan.Write) whose manifest carries the engine's timestamp.
// An empty or truncated file fails here rather than in the update.
func checkPlan(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("the engine wrote no plan file")
	}
	if err != nil {
		return unwrapPathError(err)
	}
	var p apitype.DeploymentPlanV1
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("update plan %s: %w", path, err)
	}
	if p.Manifest.Time.IsZero() {
		return fmt.Errorf("update plan %s: no manifest time: not a plan the engine wrote", path)
	}
	return nil
}

// copyPlan keeps the plan at dst. The plan holds the stack's config and
// the planned inputs (secrets stay encrypted unless the CLI was told to
// show them), so it is written owner-only, replacing any earlier plan.
func copyPlan(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		return unwrapPathError(err)
	}
	// WriteFile keeps the mode of an existing file; tighten it too.
	return os.Chmod(dst, 0o600)
}

// isPlanViolation recognises the engine's refusal of a step outside the
// plan (pkg/resource/deploy step_generator.go: "resource URN violates
// plan: …", "… is not allowed by the plan: …").
func isPlanViolation(err error) bool {
	m := err.Error()
	return strings.Contains(m, "violates plan") || strings.Contains(m, "is not allowed by the plan")
}

func summaryOrNone(c report.Changes) string {
	n := 0
	parts := map[string]int{}
	for op, k := range c.Summary {
		if op != "same" && k > 0 {
			parts[op] = k
			n += k
		}
	}
	if n == 0 {
		return "no changes"
	}
	s := ""
	for _, op := range []string{"create", "update", "replace", "delete"} {
		if parts[op] > 0 {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%d to %s", parts[op], op)
			delete(parts, op)
		}
	}
	for op, k := range parts {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d %s", k, op)
	}
	return s
}

func notRun(name string) string {
	return fmt.Sprintf("policy pack %q did not run: the policy results below are the offline gate's", name)
}

// merge keeps the gate's capacity view and, when the engine ran the pack,
// takes the engine's policy results: the same pack, judging the engine's
// view instead of mocks. Otherwise the gate's results stay.
func merge(gate report.Report, rec Recorded, packRan bool) report.Report {
	r := gate
	r.Kind = report.KindUp
	if packRan {
		r.Violations = append([]report.Violation(nil), rec.Violations...)
	}
	ch := rec.Changes
	r.Preview = &ch
	r.Finalize()
	return r
}

// DriftOptions configure Drift.
type DriftOptions struct {
	Stack       string
	Environment string
	WorkDir     string
	Policy      Policy
	Progress    io.Writer
}

// Drift is `headroom drift`: `refresh --preview-only` (what changed in the
// cloud behind Pulumi's back), then `preview --refresh --expect-no-changes`
// with the policy pack (what the program would change, judged on the
// refreshed state). Nothing is written. Exit 3 when drift is found, else 1
// on mandatory violations, else 4 on failures, else 0.
func Drift(ctx context.Context, open Opener, o DriftOptions) (Outcome, error) {
	if err := checkPolicy(o.Policy); err != nil {
		return Outcome{Code: ExitUsage}, err
	}
	st, err := open(ctx, o.Stack, o.WorkDir)
	if err != nil {
		return Outcome{Code: ExitFailure}, err
	}
	return detectDrift(ctx, st, o)
}

// detectDrift is the drift check on an open stack; Drift and Reconcile
// share it.
func detectDrift(ctx context.Context, st Stack, o DriftOptions) (Outcome, error) {
	progress(o.Progress, "refresh --preview-only of %s", o.Stack)
	rc := newCollector()
	_, rerr := st.PreviewRefresh(ctx, optrefresh.EventStreams(rc.ch))
	refresh := Convert("refresh", rc.events())

	progress(o.Progress, "preview --refresh --expect-no-changes of %s with policy pack %s", o.Stack, o.Policy.Pack)
	pc := newCollector()
	popts := []optpreview.Option{
		optpreview.Refresh(), optpreview.ExpectNoChanges(),
		optpreview.PolicyPacks(o.Policy.Pack), optpreview.EventStreams(pc.ch),
	}
	if o.Policy.Config != "" {
		popts = append(popts, optpreview.PolicyPackConfigs(o.Policy.Config))
	}
	_, perr := st.Preview(ctx, popts...)
	preview, ran := convertWithPack("preview", pc, o.Policy.Name,
		fmt.Sprintf("policy pack %q did not run: no policy results", o.Policy.Name))

	r := report.Report{
		Kind: report.KindDrift, Stack: o.Stack, Environment: o.Environment,
		Violations: append([]report.Violation(nil), preview.Violations...),
		Drift: &report.Drift{
			// A replacement the engine refused (protected resource)
			// fails the preview before its step: still drift.
			Detected: len(refresh.Changes.Steps) > 0 || len(preview.Changes.Steps) > 0 || len(preview.Changes.Stateful) > 0,
			Refresh:  refresh.Changes,
			Preview:  preview.Changes,
		},
	}
	r.Finalize()
	out := Outcome{Report: r}
	switch {
	case ctx.Err() != nil:
		// A cancelled check proves nothing, whatever it saw so far.
		out.Code = ExitFailure
		return out, fmt.Errorf("drift check of %s interrupted: %w", o.Stack, ctx.Err())
	case r.Drift.Detected:
		// preview --expect-no-changes fails by design when there are
		// changes; that error is the drift itself.
		out.Code = ExitDrift
		out.Reason = fmt.Sprintf("drift: %d resource(s) changed in the cloud, %d would be changed by the program", len(refresh.Changes.Steps), len(preview.Changes.Steps))
		return out, nil
	case rerr != nil:
		out.Code = ExitFailure
		return out, fmt.Errorf("refresh --preview-only of %s failed: %w", o.Stack, engineError(rerr))
	case r.Failed():
		out.Code, out.Reason = ExitViolations, fmt.Sprintf("%d mandatory policy violation(s) on the refreshed state", r.Mandatory)
		return out, nil
	case perr != nil:
		out.Code = ExitFailure
		return out, fmt.Errorf("preview of %s failed: %w", o.Stack, engineError(perr))
	case !ran:
		out.Code = ExitFailure
		return out, fmt.Errorf("policy pack %q did not run during the preview of %s; the drift check is incomplete", o.Policy.Name, o.Stack)
	}
	return out, nil
}

// engineError keeps the Automation API's error wrappable but puts the
// Pulumi CLI's own "error: …" line first: the API's message is
// "failed to run preview: exit status 1" followed by the CLI's whole
// stdout and stderr, and the CLI prints one line per failure.
func engineError(err error) error {
	if err == nil {
		return nil
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, "error: "); i >= 0 && !strings.HasPrefix(line, "stdout:") {
			return &summarized{line: strings.TrimSpace(line[i+len("error: "):]), err: err}
		}
	}
	return err
}

type summarized struct {
	line string
	err  error
}

func (s *summarized) Error() string { return s.line }
func (s *summarized) Unwrap() error { return s.err }
