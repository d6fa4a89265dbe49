package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/deploy"
	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/graph"
	"github.com/headroom-dev/headroom/plan"
	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/report"
	"github.com/headroom-dev/headroom/testkit/golden"
	"github.com/headroom-dev/headroom/testkit/mdcheck"
)

const incidentFile = "../../tests/testdata/incident/Pulumi.incident.yaml"

// runCLI runs the CLI as main does (exit-code mapping included).
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Assert(t, filepath.Join("testdata", name), got)
}

func TestPlanGoldens(t *testing.T) {
	stacks := []struct {
		name     string
		args     []string
		code     int
		policies []string // mandatory policies that must be named
	}{
		{"staging", []string{"--stack", "staging"}, exitOK, nil},
		{"production", []string{"--stack", "production"}, exitOK, nil},
		{"incident", []string{"--config-file", incidentFile}, exitViolations, []string{"connection-budget", "timeout-budget"}},
	}
	for _, st := range stacks {
		t.Run(st.name, func(t *testing.T) {
			for _, format := range []string{"text", "markdown", "json"} {
				args := append([]string{"plan", "--format", format}, st.args...)
				stdout, stderr, code := runCLI(t, args...)
				require.Equal(t, st.code, code, "exit code of %v; stderr: %s", args, stderr)
				if st.code == exitOK {
					assert.Empty(t, stderr, "no progress or errors on a non-terminal stderr")
				} else {
					assert.Equal(t, 1, strings.Count(stderr, "\n"), "one error line: %q", stderr)
					for _, p := range st.policies {
						assert.Contains(t, stderr, p)
					}
				}
				assert.NotContains(t, stdout, "\x1b[", "no color when stdout is not a terminal")
				ext := map[string]string{"text": "txt", "markdown": "md", "json": "json"}[format]
				goldenFile(t, "plan-"+st.name+"."+ext, []byte(stdout))

				switch format {
				case "json":
					require.NoError(t, report.Validate([]byte(stdout)), "the JSON contract")
					var r report.Report
					require.NoError(t, json.Unmarshal([]byte(stdout), &r))
					assert.Equal(t, map[int]string{exitOK: "pass", exitViolations: "fail"}[st.code], r.Verdict)
					assert.NotEmpty(t, r.Capacity.Databases)
					assert.NotEmpty(t, r.Capacity.Regions)
					assert.NotEmpty(t, r.Simulation.Series)
					for _, p := range st.policies {
						found := false
						for _, v := range r.Violations {
							found = found || (v.Policy == p && v.Level == report.LevelMandatory)
						}
						assert.True(t, found, "mandatory %s violation", p)
					}
				case "markdown":
					// violations table(s), simulation, budget, egress, timeouts, resources
					mdcheck.Check(t, []byte(stdout), mdcheck.Expect{Tables: 6, Mermaid: true})
					assert.True(t, strings.HasPrefix(stdout, report.Marker))
				case "text":
					assert.Contains(t, stdout, "ready instances over time")
				}
			}
		})
	}
}

func TestPlanOutFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "plan.json")
	stdout, stderr, code := runCLI(t, "plan", "--stack", "staging", "-f", "json", "-o", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stdout)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, report.Validate(b))
}

func TestPlanBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "Pulumi.bad.yaml")
	staging, err := os.ReadFile("../../stacks/Pulumi.staging.yaml")
	require.NoError(t, err)
	// A malformed value of one key: the error must name it.
	require.True(t, bytes.Contains(staging, []byte("maxConnections: ")))
	broken := bytes.Replace(staging, []byte("maxConnections: "), []byte("maxConnections: lots # "), 1)
	require.NoError(t, os.WriteFile(bad, broken, 0o644))
	notJSON := filepath.Join(dir, "policy.json")
	require.NoError(t, os.WriteFile(notJSON, []byte(`{"capacity-model": {"environment": "prod"}}`), 0o644))

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no stack", []string{"plan"}, "one of --stack NAME or --config-file PATH is required"},
		{"both", []string{"plan", "--stack", "staging", "--config-file", bad}, "mutually exclusive"},
		{"unknown stack", []string{"plan", "--stack", "nope"}, "--stack nope: no stack file"},
		{"missing file", []string{"plan", "--config-file", filepath.Join(dir, "missing.yaml")}, "--config-file"},
		{"malformed config", []string{"plan", "--config-file", bad}, "maxConnections"},
		{"bad format", []string{"plan", "--stack", "staging", "--format", "xml"}, `--format "xml"`},
		{"unknown flag", []string{"plan", "--stak", "staging"}, "unknown flag: --stak"},
		{"extra argument", []string{"plan", "staging"}, "unknown command"},
		{"unknown command", []string{"deploy"}, "unknown command"},
		{"missing policy config", []string{"plan", "--stack", "staging", "--policy-config", filepath.Join(dir, "none.json")}, "--policy-config"},
		{"bad policy config", []string{"plan", "--stack", "staging", "--policy-config", notJSON}, "environment"},
		{"out dir missing", []string{"plan", "--stack", "staging", "--out", filepath.Join(dir, "no", "plan.txt")}, "--out"},
		{"up without stack", []string{"up"}, "--stack NAME is required"},
		{"up without --yes off a terminal", []string{"up", "--stack", "staging", "--policy-pack", notJSON}, "--yes is required"},
		{"drift with a missing pack", []string{"drift", "--stack", "staging", "--policy-pack", filepath.Join(dir, "nopack")}, "--policy-pack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, tt.args...)
			assert.Equal(t, exitUsage, code, "stderr: %s", stderr)
			assert.Contains(t, stderr, tt.want)
			first := strings.SplitN(stderr, "\n", 2)[0]
			assert.True(t, strings.HasPrefix(first, "headroom: "), "the error is one line: %q", stderr)
			assert.NotContains(t, first, "\t")
			if !strings.Contains(tt.name, "unknown") && tt.name != "extra argument" {
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			}
			assert.Empty(t, stdout, "no report on bad input")
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {}, {"plan", "--help"}, {"up", "--help"}, {"drift", "--help"}} {
		stdout, stderr, code := runCLI(t, args...)
		assert.Equal(t, exitOK, code, "%v: %s", args, stderr)
		assert.Contains(t, stdout, "Examples:", "%v", args)
		assert.Contains(t, stdout, "--no-color", "%v", args)
	}
	stdout, _, code := runCLI(t, "schema")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, string(report.SchemaJSON), stdout)
}

func TestPolicyPackConfigRoundTrip(t *testing.T) {
	for _, st := range []string{"staging", "production"} {
		t.Run(st, func(t *testing.T) {
			f, err := config.LoadFile(config.StackFile("../..", st))
			require.NoError(t, err)
			want := plan.StackPolicyConfig(f.Stack)
			want.Levels = map[string]string{pack.PolicySQLMaintenance: pack.LevelMandatory}
			b, err := policyPackConfigJSON(want)
			require.NoError(t, err)
			got, err := pack.ParseConfig(b)
			require.NoError(t, err, "%s", b)
			assert.Equal(t, want.Env(), got.Env())
			assert.Equal(t, want.Targets, got.Targets)
			assert.Equal(t, want.Assumptions, got.Assumptions)
			assert.Equal(t, pack.LevelMandatory, got.Level(pack.PolicySQLMaintenance))
		})
	}
}

// cliFakeStack answers every operation with one recorded event log.
type cliFakeStack struct {
	calls []string
	logs  map[string]string // operation → testdata file of deploy/
}

func (f *cliFakeStack) replay(op string, chans []chan<- events.EngineEvent) error {
	f.calls = append(f.calls, op)
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "testdata", f.logs[op]))
	if err != nil {
		return err
	}
	evs, err := deploy.ReadEventLog(bytes.NewReader(b))
	if err != nil {
		return err
	}
	for _, e := range evs {
		for _, c := range chans {
			c <- events.EngineEvent{EngineEvent: e}
		}
	}
	for _, c := range chans {
		close(c)
	}
	return nil
}

func (f *cliFakeStack) Preview(_ context.Context, opts ...optpreview.Option) (auto.PreviewResult, error) {
	var o optpreview.Options
	for _, op := range opts {
		op.ApplyOption(&o)
	}
	if err := f.replay("preview", o.EventStreams); err != nil {
		return auto.PreviewResult{}, err
	}
	// up saves an update plan (pulumi preview --save-plan); the CLI
	// writes it when the preview succeeds.
	if o.Plan != "" && f.logs["no-plan"] == "" {
		return auto.PreviewResult{}, writeRecordedUpdatePlan(o.Plan)
	}
	return auto.PreviewResult{}, nil
}

// writeRecordedUpdatePlan stands in for `pulumi preview --save-plan`: it
// writes a recorded update plan to path.
func writeRecordedUpdatePlan(path string) error {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "testdata", "update-plan.json"))
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func (f *cliFakeStack) PreviewRefresh(_ context.Context, opts ...optrefresh.Option) (auto.PreviewResult, error) {
	var o optrefresh.Options
	for _, op := range opts {
		op.ApplyOption(&o)
	}
	return auto.PreviewResult{}, f.replay("refresh", o.EventStreams)
}

func (f *cliFakeStack) Refresh(_ context.Context, opts ...optrefresh.Option) (auto.RefreshResult, error) {
	var o optrefresh.Options
	for _, op := range opts {
		op.ApplyOption(&o)
	}
	return auto.RefreshResult{}, f.replay("refresh-apply", o.EventStreams)
}

func (f *cliFakeStack) Up(_ context.Context, opts ...optup.Option) (auto.UpResult, error) {
	var o optup.Options
	for _, op := range opts {
		op.ApplyOption(&o)
	}
	return auto.UpResult{}, f.replay("up", o.EventStreams)
}

func withFakeStack(t *testing.T, f *cliFakeStack) {
	t.Helper()
	prev := openStack
	openStack = func(string) deploy.Opener {
		return func(context.Context, string, string) (deploy.Stack, error) { return f, nil }
	}
	t.Cleanup(func() { openStack = prev })
}

func TestUpAndDriftCommands(t *testing.T) {
	pol := filepath.Join(t.TempDir(), "headroom-policies")
	require.NoError(t, os.WriteFile(pol, []byte("#!/bin/sh\n"), 0o755))
	// A project whose only stack is the incident.
	incidentRoot := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(incidentRoot, "stacks"), 0o755))
	for src, dst := range map[string]string{"../../Pulumi.yaml": "Pulumi.yaml", incidentFile: "stacks/Pulumi.incident.yaml"} {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(incidentRoot, dst), b, 0o644))
	}
	keptPlan := filepath.Join(t.TempDir(), "staging.plan.json")
	tests := []struct {
		name  string
		args  []string
		logs  map[string]string
		code  int
		calls []string
		err   string
	}{
		{"up applies", []string{"up", "--stack", "staging", "--yes", "--policy-pack", pol, "-f", "json"},
			map[string]string{"preview": "preview-clean.jsonl", "up": "update-ok.jsonl"}, exitOK, []string{"preview", "up"}, "updated"},
		{"up keeps the update plan", []string{"up", "--stack", "staging", "--yes", "--policy-pack", pol, "-f", "json", "--plan-file", keptPlan},
			map[string]string{"preview": "preview-clean.jsonl", "up": "update-ok.jsonl"}, exitOK, []string{"preview", "up"}, "update plan kept at " + keptPlan},
		{"up refuses without a saved update plan", []string{"up", "--stack", "staging", "--yes", "--policy-pack", pol, "-f", "json"},
			map[string]string{"preview": "preview-clean.jsonl", "up": "update-ok.jsonl", "no-plan": "true"}, exitInternal, []string{"preview"}, "no usable update plan"},
		{"up refuses on a mandatory violation", []string{"up", "--stack", "staging", "--yes", "--policy-pack", pol, "-f", "json"},
			map[string]string{"preview": "preview-mandatory.jsonl"}, exitViolations, []string{"preview"}, "mandatory policy violation"},
		{"up fails closed without the pack", []string{"up", "--stack", "staging", "--yes", "--policy-pack", pol, "-f", "json"},
			map[string]string{"preview": "preview-nopack.jsonl"}, exitInternal, []string{"preview"}, "did not run"},
		{"the gate stops up before the engine", []string{"up", "--stack", "incident", "--root", incidentRoot, "--yes", "--policy-pack", pol, "-f", "json"},
			map[string]string{}, exitViolations, nil, "gate failed"},
		{"drift found", []string{"drift", "--stack", "staging", "--policy-pack", pol, "-f", "json"},
			map[string]string{"refresh": "refresh-drift.jsonl", "preview": "preview-nochanges.jsonl"}, exitDrift, []string{"refresh", "preview"}, "drift"},
		{"drift clean", []string{"drift", "--stack", "staging", "--policy-pack", pol, "-f", "json"},
			map[string]string{"refresh": "refresh-clean.jsonl", "preview": "preview-nochanges.jsonl"}, exitOK, []string{"refresh", "preview"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &cliFakeStack{logs: tt.logs}
			withFakeStack(t, f)
			stdout, stderr, code := runCLI(t, tt.args...)
			assert.Equal(t, tt.code, code, "stderr: %s", stderr)
			assert.Equal(t, tt.calls, f.calls)
			if tt.err != "" {
				assert.Contains(t, stderr, tt.err)
			}
			require.NoError(t, report.Validate([]byte(stdout)), "the report is valid JSON: %s", stdout)
		})
	}
}

// BenchmarkPlanStaging is the warm in-process plan of the staging stack:
// config load, program under mocks, policy pack, capacity model and
// simulation, report. Target: well under 2 s per op.
func BenchmarkPlanStaging(b *testing.B) {
	f := &planFlags{stack: "staging", root: "../.."}
	for i := 0; i < b.N; i++ {
		r, err := planReport(context.Background(), f, nil)
		if err != nil {
			b.Fatal(err)
		}
		if r.Failed() {
			b.Fatal("staging must pass")
		}
		var buf bytes.Buffer
		if err := report.Markdown(&buf, r, report.MarkdownOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanStacks is the warm in-process plan, with every scenario, of
// each repository stack (target ≤ 50 ms per stack): config load, program
// under mocks, policy pack, capacity model with all scenarios and their
// simulations, report.
func BenchmarkPlanStacks(b *testing.B) {
	for _, s := range []struct{ name, stack, file string }{
		{"staging", "staging", ""}, {"production", "production", ""}, {"incident", "", incidentFile},
	} {
		b.Run(s.name, func(b *testing.B) {
			f := &planFlags{stack: s.stack, configFile: s.file, root: "../.."}
			for i := 0; i < b.N; i++ {
				r, err := planReport(context.Background(), f, nil)
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Scenarios) < 6 {
					b.Fatalf("%d scenarios judged", len(r.Scenarios))
				}
			}
		})
	}
}

// TestPlanViewsAgree: the plan judges the preview view (inputs, what
// `pulumi preview --policy-pack` sees); the state view (`pulumi policy
// analyze`, what drift judges) must reach the same verdicts on our stacks.
func TestPlanViewsAgree(t *testing.T) {
	for _, s := range []struct{ stack, file string }{{"staging", ""}, {"production", ""}, {"", incidentFile}} {
		ls, err := plan.Load(s.stack, s.file, "../..", "")
		require.NoError(t, err)
		t.Run(ls.Name, func(t *testing.T) {
			g, err := graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: ls.Name, Config: ls.File.Values, DryRun: true}, infra.Program)
			require.NoError(t, err)
			state, err := pack.Evaluate(g.AnalyzerResources(), ls.Policy)
			require.NoError(t, err)
			preview, err := pack.Evaluate(g.PreviewResources(), ls.Policy)
			require.NoError(t, err)
			key := func(vs []pack.Violation) []string {
				var out []string
				for _, v := range vs {
					out = append(out, v.Level+" "+v.Policy+" "+v.Resource)
				}
				return out
			}
			assert.Equal(t, key(state.Violations), key(preview.Violations))
		})
	}
}
