package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/badinput"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/plan"
	"github.com/headroom-dev/headroom/suggest"
)

func init() { register(newSuggestCmd) }

const formatPatch = "patch"

type suggestFlags struct {
	stack, configFile, format, out, policyConfig, root string
	maxPlans                                           int
	ingest                                             ingestFlags
}

func newSuggestCmd() *cobra.Command {
	f := &suggestFlags{}
	cmd := &cobra.Command{
		Use:   "suggest [--stack NAME | --config-file PATH | --preview FILE | --state FILE...]",
		Short: "For a refused stack, the cheapest changes that make its plan pass (re-planned, with a patch)",
		Long: `suggest plans a stack like headroom plan and, when it is refused, searches
changes to its stack file: max_connections within the tier's ceiling, a larger
tier, connector minimum instances or machine type, Direct VPC egress, longer
connect timeouts and probe windows, an HTTP startup probe where the TCP-probe
rule is mandatory, HA and a replica where the multi-region rule needs them (sized
for the worst judged scenario, e.g. a rollout's peak), and — ranked after those — lower maxInstances or pool overflow
(saying what request capacity that gives up). Every candidate is applied to the
stack file (comments and layout kept), re-planned through the same pipeline as
headroom plan, and shown only when it passes, cheapest monthly cost first
(list-price estimate, docs/cost.md).

Formats: text, markdown (PR comment with GitHub suggestion blocks), json
(suggest.schema.json), patch (the best fix as a unified diff for git apply).

With --preview FILE or --state FILE (a program in any language, as for
headroom plan) there is no stack file to patch: each fix is a list of
property edits of the resources (a database flag or tier, maxInstanceCount,
the connector's size, a pool's env var or connection-string parameter),
re-judged through the same policy pack; what no property edit can make (a
value in Secret Manager, a pool set in code) is listed as not verified.
--format patch is refused there.

Exit codes: 0 the stack passes as it is (nothing to change), 1 the stack is
refused as it is (whether or not a passing fix was found), 2 bad input.`,
		Example: `  headroom suggest --config-file tests/testdata/incident/Pulumi.incident.yaml
  headroom suggest --stack staging                       # exit 0: nothing needs to change
  headroom suggest --config-file stacks/Pulumi.x.yaml --format patch --out fix.patch && git apply fix.patch
  headroom suggest --preview preview.json --policy-config policy-config.json   # any program: property edits`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := checkSuggestFormat(f.format)
			if err != nil {
				return err
			}
			if f.maxPlans < 1 {
				return usageErrorf("--max-plans %d: want at least 1", f.maxPlans)
			}
			if f.ingest.set() {
				return runSuggestIngest(cmd, f, format)
			}
			r, err := runSuggest(cmd.Context(), f, progressWriter(cmd))
			if err != nil {
				return err
			}
			if err := writeSuggest(cmd, r, format, f.out); err != nil {
				return err
			}
			return suggestVerdict(r)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.stack, "stack", "", "stack name: reads stacks/Pulumi.<NAME>.yaml")
	fl.StringVar(&f.configFile, "config-file", "", "a stack config file (Pulumi.<stack>.yaml format) instead of --stack")
	fl.StringVarP(&f.format, "format", "f", formatText, "output format: text, markdown, json or patch")
	fl.StringVarP(&f.out, "out", "o", "", "write the output to FILE instead of stdout")
	fl.StringVar(&f.policyConfig, "policy-config", "", "a --policy-pack-config JSON file; default: built from each candidate's config")
	fl.StringVar(&f.root, "root", "", "repository root (default: nearest directory with Pulumi.yaml)")
	fl.IntVar(&f.maxPlans, "max-plans", 150, "re-plan at most this many candidates")
	fl.StringVar(&f.ingest.preview, "preview", "", "suggest for the JSON of `pulumi preview --json` (a program in any language): fixes as property edits")
	fl.StringArrayVar(&f.ingest.states, "state", nil, "suggest for a `pulumi stack export` file (repeat to judge several stacks together)")
	return cmd
}

// suggestVerdict is suggest's exit: 0 when the stack passes as it is, 1
// when it is refused (whether or not a passing fix was found).
func suggestVerdict(r suggest.Result) error {
	if r.Verdict == "pass" {
		return nil
	}
	what := "no passing fix found"
	if len(r.Suggestions) > 0 {
		what = fmt.Sprintf("%d passing fix(es), best %s", len(r.Suggestions), r.Suggestions[0].Summary)
	}
	return &exitError{Code: exitViolations, Err: fmt.Errorf("stack %s is refused as it is (%s); %s",
		r.Stack, strings.Join(r.Violations, ", "), what)}
}

func checkSuggestFormat(s string) (string, error) {
	if strings.EqualFold(s, formatPatch) {
		return formatPatch, nil
	}
	f, err := checkFormat(s)
	if err != nil {
		return "", usageErrorf("--format %q: want text, markdown, json or patch", s)
	}
	return f, nil
}

// suggestPlanner plans a stack file's bytes through the plan pipeline.
func suggestPlanner(name, policyConfig string) suggest.Planner {
	return func(ctx context.Context, path string, data []byte) (*config.File, suggest.Outcome, error) {
		file, err := config.LoadBytes(path, data)
		if err != nil {
			return nil, suggest.Outcome{}, err
		}
		pc, err := plan.PolicyConfigFor(file.Stack, policyConfig)
		if err != nil {
			return nil, suggest.Outcome{}, err
		}
		o, err := plan.Run(ctx, &plan.Stack{File: file, Name: name, Policy: pc}, nil)
		if err != nil {
			return nil, suggest.Outcome{}, err
		}
		return file, suggest.Outcome{Report: o.Report, Capacity: o.Capacity}, nil
	}
}

func runSuggest(ctx context.Context, f *suggestFlags, progress io.Writer) (suggest.Result, error) {
	path, err := plan.StackFile(f.stack, f.configFile, f.root)
	if err != nil {
		return suggest.Result{}, err
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return suggest.Result{}, usageErrorf("%s: %v", path, badinput.PathCause(err))
	}
	name := f.stack
	if name == "" {
		name = config.StackName(path)
	}
	plan.Progressf(progress, "planning %s and searching fixes", path)
	r, err := suggest.Search(ctx, suggestPlanner(name, f.policyConfig), displayPath(path, f.root), src, suggest.Options{MaxPlans: f.maxPlans})
	if err != nil {
		var fe *config.FileError
		if errors.As(err, &fe) {
			return suggest.Result{}, &exitError{Code: exitUsage, Err: err}
		}
		var ee *exitError
		if errors.As(err, &ee) {
			return suggest.Result{}, err
		}
		return suggest.Result{}, fmt.Errorf("suggest: %w", err)
	}
	return r, nil
}

// displayPath is the stack file relative to the repository root when it is
// inside it (what a PR's review comments and git apply need), else its base
// name (the patch then applies in the file's directory).
func displayPath(path, root string) string {
	base := filepath.Base(path)
	r, err := plan.ProjectRoot(root)
	if err != nil {
		return base
	}
	abs, err1 := filepath.Abs(path)
	absRoot, err2 := filepath.Abs(r)
	if err1 != nil || err2 != nil {
		return base
	}
	rel, err := filepath.Rel(absRoot, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return base
	}
	return filepath.ToSlash(rel)
}

func writeSuggest(cmd *cobra.Command, r suggest.Result, format, out string) error {
	var w io.Writer = cmd.OutOrStdout()
	var file *os.File
	if out != "" {
		var err error
		if file, err = createOut(out); err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	var err error
	switch format {
	case formatMarkdown:
		err = suggest.Markdown(w, r)
	case formatJSON:
		err = suggest.JSON(w, r)
	case formatPatch:
		err = suggest.Patch(w, r)
	default:
		err = suggest.Text(w, r)
	}
	if err != nil {
		return fmt.Errorf("writing the suggestions: %w", err)
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return fmt.Errorf("--out %s: %w", out, err)
		}
	}
	return nil
}
