package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/headroom-dev/headroom/plan"
	"github.com/headroom-dev/headroom/report"
)

func init() { register(newPlanCmd) }

type planFlags struct {
	stack        string
	configFile   string
	format       string
	out          string
	policyConfig string
	root         string
	diff         diffFlags
	ingest       ingestFlags
}

func newPlanCmd() *cobra.Command {
	f := &planFlags{}
	cmd := &cobra.Command{
		Use:   "plan [--stack NAME | --config-file PATH]",
		Short: "Offline plan and policy gate of a stack (no cloud, no credentials)",
		Long: `plan runs the Pulumi program in-process against Pulumi's mocks with the stack's
config, evaluates the Headroom policy pack on the recorded resource graph (the
same policies pulumi preview --policy-pack runs), and reports: the resources
declared, the connection budget per database instance, the egress headroom per
region, the timeout budget per workload, the simulated cold-start curve and the
policy results by level with what to change.

The policy-pack config is built from the stack's environment, targets and
assumptions unless --policy-config names a --policy-pack-config file.

Exit codes: 0 no mandatory violation, 1 mandatory violations, 2 bad input.`,
		Example: `  headroom plan --stack staging
  headroom plan --stack production --format markdown --out plan-production.md
  headroom plan --config-file tests/testdata/incident/Pulumi.incident.yaml --format json | jq .verdict
  headroom plan --stack staging --policy-config policy-config.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := checkPlanFormat(f.format)
			if err != nil {
				return err
			}
			if err := f.diff.check(format); err != nil {
				return err
			}
			if f.ingest.set() {
				return runPlanIngest(cmd, f, format)
			}
			r, ls, err := planReportStack(cmd.Context(), f, progressWriter(cmd))
			if err != nil {
				return err
			}
			switch {
			case format == formatSARIF:
				err = writeSARIF(cmd, r, ls, f.out)
			case f.diff.base != "":
				if err = plan.Diff(cmd.Context(), f.diff.base, f.policyConfig, &r, ls, progressWriter(cmd)); err == nil {
					err = writeDiffReport(cmd, r, format, f.out, f.diff.commentWhen)
				}
			default:
				err = writeReport(cmd, r, format, f.out)
			}
			if err != nil {
				return err
			}
			return verdictError(r)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.stack, "stack", "", "stack name: reads stacks/Pulumi.<NAME>.yaml")
	fl.StringVar(&f.configFile, "config-file", "", "a stack config file (Pulumi.<stack>.yaml format) instead of --stack")
	fl.StringVarP(&f.format, "format", "f", formatText, "output format: text, markdown, json or sarif")
	fl.StringVarP(&f.out, "out", "o", "", "write the report to FILE instead of stdout")
	fl.StringVar(&f.policyConfig, "policy-config", "", "a --policy-pack-config JSON file; default: built from the stack's config")
	fl.StringVar(&f.root, "root", "", "repository root (default: nearest directory with Pulumi.yaml)")
	f.diff.register(fl)
	fl.StringVar(&f.ingest.preview, "preview", "", "judge the JSON of `pulumi preview --json` (a program in any language) instead of a stack file")
	fl.StringArrayVar(&f.ingest.states, "state", nil, "judge a `pulumi stack export` file instead of a stack file; repeat to judge stacks together (platform + apps)")
	return cmd
}

// verdictError is exit 1 with a one-line summary when the gate fails.
func verdictError(r report.Report) error {
	if !r.Failed() {
		return nil
	}
	var names []string
	seen := map[string]bool{}
	for _, v := range r.Violations {
		if v.Level == report.LevelMandatory && !seen[v.Policy] {
			seen[v.Policy] = true
			names = append(names, v.Policy)
		}
	}
	return &exitError{Code: exitViolations, Err: fmt.Errorf("stack %s: %d mandatory policy violation(s): %s",
		r.Stack, r.Mandatory, strings.Join(names, ", "))}
}

// loadPlanStack loads the stack of --stack/--config-file with its policy
// config.
func loadPlanStack(f *planFlags) (*plan.Stack, error) {
	return plan.Load(f.stack, f.configFile, f.root, f.policyConfig)
}

// planReport is the whole offline plan of the flags' stack.
func planReport(ctx context.Context, f *planFlags, progress io.Writer) (report.Report, error) {
	r, _, err := planReportStack(ctx, f, progress)
	return r, err
}

// planReportStack is planReport that also returns the loaded stack.
func planReportStack(ctx context.Context, f *planFlags, progress io.Writer) (report.Report, *plan.Stack, error) {
	plan.Progressf(progress, "loading stack config")
	ls, err := loadPlanStack(f)
	if err != nil {
		return report.Report{}, nil, err
	}
	r, err := plan.Report(ctx, ls, progress)
	return r, ls, err
}

// diffFlags are the capacity-diff flags of `headroom plan`.
type diffFlags struct {
	base        string
	commentWhen string
}

func (d *diffFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&d.base, "base", "", "compare with a base: a git ref (the stack file at that ref, planned now) or a JSON plan file (headroom plan --format json)")
	fl.StringVar(&d.commentWhen, "comment-when", "", "with --base and --format markdown: write the comment only when "+
		"'changed' (anything differs), 'threshold' (verdict, a severity, a violation or a scenario changed) or 'always' (default)")
}

func (d *diffFlags) check(format string) error {
	switch d.commentWhen {
	case "", report.CommentAlways, report.CommentChanged, report.CommentThreshold:
	default:
		return usageErrorf("--comment-when %q: want changed, threshold or always", d.commentWhen)
	}
	if d.commentWhen != "" && d.base == "" {
		return usageErrorf("--comment-when needs --base REF_OR_FILE")
	}
	if d.commentWhen != "" && format != formatMarkdown {
		return usageErrorf("--comment-when applies to --format markdown (the JSON diff carries changed and thresholdCrossed)")
	}
	if d.base != "" && format == formatSARIF {
		return usageErrorf("--base does not apply to --format sarif (code scanning compares results itself)")
	}
	return nil
}

// writeDiffReport renders a report that carries a diff: the diff first,
// then the head's report (JSON: the head's report with its "diff" field).
// With --comment-when and nothing due, Markdown writes nothing at all and
// says so on stderr, so a workflow can skip the comment.
func writeDiffReport(cmd *cobra.Command, r report.Report, format, out, commentWhen string) error {
	if format == formatMarkdown && commentWhen != "" && !r.Diff.ShouldComment(commentWhen) {
		fmt.Fprintf(cmd.ErrOrStderr(), "headroom: stack %s: no comment (--comment-when %s): nothing %s against %s\n",
			r.Stack, commentWhen, map[string]string{report.CommentChanged: "changed", report.CommentThreshold: "crossed a threshold"}[commentWhen], r.Diff.Base.Source)
		if out != "" {
			// An empty file, so a stale comment from an earlier run is not reused.
			return os.WriteFile(out, nil, 0o644)
		}
		return nil
	}
	return writeReport(cmd, r, format, out)
}
