// Package plan is the offline plan pipeline: a stack file → the Pulumi
// program under Pulumi's mocks → the resource graph → the policy pack's
// Evaluate (topology, capacity analyses, simulation, verdicts) → the report
// model with its cost. It also plans a base (a git ref or a JSON plan) for
// the capacity diff. Nothing here writes a report: package report renders.
package plan

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/headroom-dev/headroom/badinput"
	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/cost"
	"github.com/headroom-dev/headroom/infra/graph"
	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/report"
)

// StackFile resolves --stack / --config-file to a file; root is --root.
func StackFile(stack, configFile, root string) (string, error) {
	switch {
	case stack != "" && configFile != "":
		return "", badinput.Errorf("--stack and --config-file are mutually exclusive: pass one")
	case stack == "" && configFile == "":
		return "", badinput.Errorf("one of --stack NAME or --config-file PATH is required")
	case configFile != "":
		if _, err := os.Stat(configFile); err != nil {
			return "", badinput.Errorf("--config-file %s: %v", configFile, badinput.PathCause(err))
		}
		return configFile, nil
	}
	r, err := ProjectRoot(root)
	if err != nil {
		return "", err
	}
	p := config.StackFile(r, stack)
	if _, err := os.Stat(p); err != nil {
		known := KnownStacks(r)
		return "", badinput.Errorf("--stack %s: no stack file %s (known stacks: %s)", stack, p, strings.Join(known, ", "))
	}
	return p, nil
}

// ProjectRoot is --root, or the nearest directory at or above the working
// directory that holds Pulumi.yaml.
func ProjectRoot(flag string) (string, error) {
	if flag != "" {
		if _, err := os.Stat(filepath.Join(flag, "Pulumi.yaml")); err != nil {
			return "", badinput.Errorf("--root %s: no Pulumi.yaml there", flag)
		}
		return flag, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "Pulumi.yaml")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", badinput.Errorf("no Pulumi.yaml in %s or above: run headroom inside the repository or pass --root", dir)
		}
	}
}

// KnownStacks lists the stacks with a file under <root>/stacks.
func KnownStacks(root string) []string {
	m, _ := filepath.Glob(filepath.Join(root, "stacks", "Pulumi.*.yaml"))
	var out []string
	for _, p := range m {
		b := filepath.Base(p)
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(b, "Pulumi."), ".yaml"))
	}
	return out
}

// Stack is a loaded stack file with the policy-pack config it is judged
// under.
type Stack struct {
	File   *config.File
	Name   string
	Policy pack.Config
}

// Load reads a stack (--stack NAME or --config-file PATH under --root) and
// its policy-pack config (--policy-config, else the stack's own). Every
// error about the input is a badinput error naming the flag, file or key.
func Load(stack, configFile, root, policyConfig string) (*Stack, error) {
	path, err := StackFile(stack, configFile, root)
	if err != nil {
		return nil, err
	}
	file, err := config.LoadFile(path)
	if err != nil {
		// config errors are one line naming the file and the key.
		return nil, badinput.Wrap(err)
	}
	name := stack
	if name == "" {
		name = config.StackName(path)
	}
	pc, err := PolicyConfigFor(file.Stack, policyConfig)
	if err != nil {
		return nil, err
	}
	return &Stack{File: file, Name: name, Policy: pc}, nil
}

// PolicyConfigFor is the --policy-config file parsed, or the stack's own
// settings when path is empty.
func PolicyConfigFor(st config.Stack, path string) (pack.Config, error) {
	if path == "" {
		return StackPolicyConfig(st), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return pack.Config{}, badinput.Errorf("--policy-config %s: %v", path, badinput.PathCause(err))
	}
	c, err := pack.ParseConfig(b)
	if err != nil {
		return pack.Config{}, badinput.Errorf("--policy-config %s: %s", path, badinput.OneLine(err.Error()))
	}
	return c, nil
}

// StackPolicyConfig is the pack config a stack implies: its environment
// (strictness), targets and assumptions. Levels stay the pack's defaults.
func StackPolicyConfig(st config.Stack) pack.Config {
	c := pack.DefaultConfig()
	if st.Environment != "" {
		c.Environment = capacity.Environment(st.Environment)
	}
	c.Targets = st.CapacityTargets()
	c.Assumptions = st.CapacityAssumptions()
	return c
}

// Outcome is the plan's report and the capacity model's own report (what
// suggest reads its remedies from).
type Outcome struct {
	Report   report.Report
	Capacity capacity.Report
}

// Run is the plan pipeline: program under mocks → resource graph → policy
// pack (topology, capacity, verdicts) → report with cost. progress (nil:
// none) gets one line per step.
func Run(ctx context.Context, s *Stack, progress io.Writer) (Outcome, error) {
	if err := ctx.Err(); err != nil {
		return Outcome{}, err
	}
	Progressf(progress, "running the Pulumi program with mocks (%s)", s.File.Path)
	g, err := graph.Run(graph.RunOptions{
		Project: infra.ProjectName, Stack: s.Name, Config: s.File.Values, DryRun: true,
	}, infra.Program)
	if err != nil {
		return Outcome{}, fmt.Errorf("stack %s: program: %w", s.Name, err)
	}
	Progressf(progress, "evaluating the policy pack on %d resources", len(g.Resources))
	// The preview view (inputs), which is what `pulumi preview
	// --policy-pack` hands the pack before anything exists.
	res, err := pack.Evaluate(g.PreviewResources(), s.Policy)
	if err != nil {
		return Outcome{}, fmt.Errorf("stack %s: policy pack: %w", s.Name, err)
	}
	topo := res.Topology
	topo.Targets = topo.Targets.WithDefaults()
	vs := make([]report.Violation, 0, len(res.Violations))
	for _, v := range res.Violations {
		vs = append(vs, report.Violation{Policy: v.Policy, Level: v.Level, Message: v.Message, Resource: v.Resource})
	}
	r := report.FromPlan(report.PlanInput{
		Stack:       s.Name,
		Environment: string(s.Policy.Env()),
		Counts:      g.Counts(),
		Topology:    topo,
		Capacity:    res.Capacity,
		Violations:  vs,
	})
	r.Cost = report.CostOf(cost.Estimate(s.File.Stack))
	return Outcome{Report: r, Capacity: res.Capacity}, nil
}

// Report is Run's report alone.
func Report(ctx context.Context, s *Stack, progress io.Writer) (report.Report, error) {
	o, err := Run(ctx, s, progress)
	return o.Report, err
}

// Progressf writes one progress line to w; a nil w (not a terminal, CI
// logs, pipes) gets nothing.
func Progressf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "→ "+format+"\n", args...)
	}
}
