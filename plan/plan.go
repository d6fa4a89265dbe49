package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/cmd/headroom/internal/report"
	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/cost"
	"github.com/headroom-dev/headroom/infra/graph"
	"github.com/headroom-dev/headroom/policies/pack"
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
			r, ls, err := planReportStack(cmd.Context(), f, progressWriter(cmd))
			if err != nil {
				return err
			}
			switch {
			case format == formatSARIF:
				err = writeSARIF(cmd, r, ls, f.out)
			case f.diff.base != "":
				if err = planDiff(cmd.Context(), f, &r, ls, progressWriter(cmd)); err == nil {
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

// stackFilePath resolves --stack / --config-file to a file.
func stackFilePath(stack, configFile, root string) (string, error) {
	switch {
	case stack != "" && configFile != "":
		return "", usageErrorf("--stack and --config-file are mutually exclusive: pass one")
	case stack == "" && configFile == "":
		return "", usageErrorf("one of --stack NAME or --config-file PATH is required")
	case configFile != "":
		if _, err := os.Stat(configFile); err != nil {
			return "", usageErrorf("--config-file %s: %v", configFile, unwrapPath(err))
		}
		return configFile, nil
	}
	r, err := projectRoot(root)
	if err != nil {
		return "", err
	}
	p := config.StackFile(r, stack)
	if _, err := os.Stat(p); err != nil {
		known := knownStacks(r)
		return "", usageErrorf("--stack %s: no stack file %s (known stacks: %s)", stack, p, strings.Join(known, ", "))
	}
	return p, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadedStack is a stack file with its policy-pack config.
type loadedStack struct {
	file   *config.File
	name   string
	policy pack.Config
}

func loadStackAndPolicy(stack, configFile, root, policyConfig string) (*loadedStack, error) {
	path, err := stackFilePath(stack, configFile, root)
	if err != nil {
		return nil, err
	}
	file, err := config.LoadFile(path)
	if err != nil {
		// config errors are one line naming the file and the key.
		return nil, &exitError{Code: exitUsage, Err: err}
	}
	name := stack
	if name == "" {
		name = config.StackName(path)
	}
	pc, err := policyConfigFor(file.Stack, policyConfig)
	if err != nil {
		return nil, err
	}
	return &loadedStack{file: file, name: name, policy: pc}, nil
}

// policyConfigFor is --policy-config parsed, or the stack's own settings.
func policyConfigFor(st config.Stack, path string) (pack.Config, error) {
	if path == "" {
		return stackPolicyConfig(st), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return pack.Config{}, usageErrorf("--policy-config %s: %v", path, unwrapPath(err))
	}
	c, err := pack.ParseConfig(b)
	if err != nil {
		return pack.Config{}, usageErrorf("--policy-config %s: %s", path, oneLine(err.Error()))
	}
	return c, nil
}

// stackPolicyConfig is the pack config a stack implies: its environment
// (strictness), targets and assumptions. Levels stay the pack's defaults.
func stackPolicyConfig(st config.Stack) pack.Config {
	c := pack.DefaultConfig()
	if st.Environment != "" {
		c.Environment = capacity.Environment(st.Environment)
	}
	c.Targets = st.CapacityTargets()
	c.Assumptions = st.CapacityAssumptions()
	return c
}

// planReport is the whole offline plan: config → program under mocks →
// resource graph → policy pack (topology, capacity analyses, simulation,
// verdicts) → report.
func planReport(ctx context.Context, f *planFlags, progress io.Writer) (report.Report, error) {
	r, _, err := planReportStack(ctx, f, progress)
	return r, err
}

// planReportStack is planReport that also returns the loaded stack.
func planReportStack(ctx context.Context, f *planFlags, progress io.Writer) (report.Report, *loadedStack, error) {
	progressf(progress, "loading stack config")
	ls, err := loadStackAndPolicy(f.stack, f.configFile, f.root, f.policyConfig)
	if err != nil {
		return report.Report{}, nil, err
	}
	r, err := planLoaded(ctx, ls, progress)
	return r, ls, err
}

func planLoaded(ctx context.Context, ls *loadedStack, progress io.Writer) (report.Report, error) {
	o, err := planFull(ctx, ls, progress)
	return o.Report, err
}

// planOutcome is the plan's report and the capacity model's own report
// (what suggest reads its remedies from).
type planOutcome struct {
	Report   report.Report
	Capacity capacity.Report
}

// planFull is the plan pipeline: program under mocks → resource graph →
// policy pack (topology, capacity, verdicts) → report with cost.
func planFull(ctx context.Context, ls *loadedStack, progress io.Writer) (planOutcome, error) {
	if err := ctx.Err(); err != nil {
		return planOutcome{}, err
	}
	progressf(progress, "running the Pulumi program with mocks (%s)", ls.file.Path)
	g, err := graph.Run(graph.RunOptions{
		Project: infra.ProjectName, Stack: ls.name, Config: ls.file.Values, DryRun: true,
	}, infra.Program)
	if err != nil {
		return planOutcome{}, fmt.Errorf("stack %s: program: %w", ls.name, err)
	}
	progressf(progress, "evaluating the policy pack on %d resources", len(g.Resources))
	// The preview view (inputs), which is what `pulumi preview
	// --policy-pack` hands the pack before anything exists.
	res, err := pack.Evaluate(g.PreviewResources(), ls.policy)
	if err != nil {
		return planOutcome{}, fmt.Errorf("stack %s: policy pack: %w", ls.name, err)
	}
	topo := res.Topology
	topo.Targets = topo.Targets.WithDefaults()
	vs := make([]report.Violation, 0, len(res.Violations))
	for _, v := range res.Violations {
		vs = append(vs, report.Violation{Policy: v.Policy, Level: v.Level, Message: v.Message, Resource: v.Resource})
	}
	r := report.FromPlan(report.PlanInput{
		Stack:       ls.name,
		Environment: string(ls.policy.Env()),
		Counts:      g.Counts(),
		Topology:    topo,
		Capacity:    res.Capacity,
		Violations:  vs,
	})
	r.Cost = report.CostOf(cost.Estimate(ls.file.Stack))
	return planOutcome{Report: r, Capacity: res.Capacity}, nil
}
