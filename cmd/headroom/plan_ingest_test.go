package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/graph"
	"github.com/headroom-dev/headroom/plan"
)

// foreignFiles writes what the Pulumi CLI would write about a stack of our
// program: its state export (the checkpoint writer's format, which `pulumi
// stack import` takes) and the preview JSON of a brand-new stack (one create
// step per resource), plus the policy config `headroom policy-config`
// derives, so plan --preview/--state can be compared with plan --stack.
func foreignFiles(t *testing.T, stack, configFile, edit string) (preview, state, policy string) {
	t.Helper()
	ls, err := plan.Load(stack, configFile, "../..", "")
	require.NoError(t, err)
	values := ls.File.Values
	if edit != "" {
		from, to, _ := strings.Cut(edit, "=>")
		values = map[string]string{}
		for k, v := range ls.File.Values {
			values[k] = strings.Replace(v, from, to, 1)
		}
	}
	g, err := graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: ls.Name, Config: values, DryRun: true}, infra.Program)
	require.NoError(t, err)
	cp, err := g.Checkpoint()
	require.NoError(t, err)
	dir := t.TempDir()
	state = filepath.Join(dir, "state-"+ls.Name+".json")
	require.NoError(t, os.WriteFile(state, cp, 0o644))
	var doc struct {
		Deployment struct {
			Resources []map[string]any `json:"resources"`
		} `json:"deployment"`
	}
	require.NoError(t, json.Unmarshal(cp, &doc))
	steps := []map[string]any{}
	for _, r := range doc.Deployment.Resources {
		steps = append(steps, map[string]any{"op": "create", "urn": r["urn"], "newState": r})
	}
	b, err := json.MarshalIndent(map[string]any{"steps": steps, "changeSummary": map[string]int{"create": len(steps)}}, "", "  ")
	require.NoError(t, err)
	preview = filepath.Join(dir, "preview-"+ls.Name+".json")
	require.NoError(t, os.WriteFile(preview, b, 0o644))
	policy = filepath.Join(dir, "policy-"+ls.Name+".json")
	pc, err := policyPackConfigJSON(ls.Policy)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(policy, pc, 0o644))
	return preview, state, policy
}

// ingestPlanJSON runs plan with --format json and returns its mandatory policies
// and the document.
func ingestPlanJSON(t *testing.T, wantCode int, args ...string) ([]string, map[string]any) {
	t.Helper()
	stdout, stderr, code := runCLI(t, append([]string{"plan", "--format", "json"}, args...)...)
	require.Equal(t, wantCode, code, "stderr: %s", stderr)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc), stdout)
	set := map[string]bool{}
	vs, _ := doc["violations"].([]any)
	for _, v := range vs {
		m := v.(map[string]any)
		if m["level"] == "mandatory" {
			set[m["policy"].(string)] = true
		}
	}
	out := []string{}
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, doc
}

// plan --preview and plan --state of a stack give plan --stack's verdicts:
// the same mandatory policies, the same connection budget; cost is priced
// from the resources.
func TestPlanPreviewAndStateAgreeWithStackFile(t *testing.T) {
	for _, tc := range []struct {
		stack, file string
		code        int
	}{{"staging", "", exitOK}, {"", incidentFile, exitViolations}} {
		preview, state, policy := foreignFiles(t, tc.stack, tc.file, "")
		name := tc.stack
		if name == "" {
			name = "incident"
		}
		t.Run(name, func(t *testing.T) {
			args := []string{"--stack", tc.stack}
			if tc.file != "" {
				args = []string{"--config-file", tc.file}
			}
			want, wantDoc := ingestPlanJSON(t, tc.code, args...)
			gotPv, pvDoc := ingestPlanJSON(t, tc.code, "--preview", preview, "--policy-config", policy)
			gotSt, stDoc := ingestPlanJSON(t, tc.code, "--state", state, "--policy-config", policy)
			assert.Equal(t, want, gotPv)
			assert.Equal(t, want, gotSt)
			for _, d := range []map[string]any{pvDoc, stDoc} {
				assert.Equal(t, wantDoc["verdict"], d["verdict"])
				assert.Equal(t, wantDoc["stack"], d["stack"])
				assert.Equal(t, wantDoc["capacity"], d["capacity"], "the same connection budgets")
				assert.Equal(t, wantDoc["scenarios"], d["scenarios"], "the same scenarios")
				assert.Equal(t, wantDoc["simulation"], d["simulation"], "the same simulation")
				c, _ := d["cost"].(map[string]any)
				require.NotNil(t, c)
				assert.Equal(t, wantDoc["cost"].(map[string]any)["monthlyUSD"], c["monthlyUSD"], "the same price from the resources")
			}
		})
	}
}

// --base between two preview files: the pull request that raises a ceiling
// is a verdict change from pass to fail.
func TestPlanPreviewBaseDiff(t *testing.T) {
	base, _, policy := foreignFiles(t, "staging", "", "")
	head, _, _ := foreignFiles(t, "staging", "", `"maxInstances":20=>"maxInstances":60`)
	stdout, stderr, code := runCLI(t, "plan", "--preview", head, "--base", base, "--policy-config", policy, "--format", "json")
	require.Equal(t, exitViolations, code, stderr)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	diff, _ := doc["diff"].(map[string]any)
	require.NotNil(t, diff, stdout)
	assert.Equal(t, true, diff["changed"])
	assert.Equal(t, true, diff["thresholdCrossed"])
	assert.Contains(t, stdout, `"verdict": "fail"`)

	// The same base as a saved JSON plan gives the same diff.
	saved := filepath.Join(t.TempDir(), "base-plan.json")
	_, stderr, code = runCLI(t, "plan", "--preview", base, "--policy-config", policy, "--format", "json", "--out", saved)
	require.Zero(t, code, stderr)
	stdout2, _, code := runCLI(t, "plan", "--preview", head, "--base", saved, "--policy-config", policy, "--format", "json")
	require.Equal(t, exitViolations, code)
	var doc2 map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout2), &doc2))
	d2 := doc2["diff"].(map[string]any)
	delete(d2, "base")
	delete(diff, "base")
	assert.Equal(t, diff, d2)
}

func TestPlanPreviewSARIF(t *testing.T) {
	_, state, policy := foreignFiles(t, "", incidentFile, "")
	stdout, stderr, code := runCLI(t, "plan", "--state", state, "--policy-config", policy, "--format", "sarif")
	require.Equal(t, exitViolations, code, stderr)
	var log sarifDoc
	require.NoError(t, json.Unmarshal([]byte(stdout), &log))
	require.Len(t, log.Runs, 1)
	require.NotEmpty(t, log.Runs[0].Results)
	src, err := os.ReadFile(state)
	require.NoError(t, err)
	lines := strings.Split(string(src), "\n")
	located := 0
	for _, r := range log.Runs[0].Results {
		loc := r.Locations[0]
		assert.True(t, strings.HasSuffix(loc.PhysicalLocation.ArtifactLocation.URI, "state-incident.json"))
		if len(loc.LogicalLocations) == 0 {
			continue
		}
		line := loc.PhysicalLocation.Region.StartLine
		require.LessOrEqual(t, line, len(lines))
		assert.Contains(t, lines[line-1], loc.LogicalLocations[0].FullyQualifiedName, "a result sits at its resource's URN")
		located++
	}
	assert.Positive(t, located)
}

func TestPlanPreviewBadInput(t *testing.T) {
	preview, state, _ := foreignFiles(t, "staging", "", "")
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.json")
	require.NoError(t, os.WriteFile(junk, []byte(`{"hello": 1}`), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing", []string{"--preview", filepath.Join(dir, "none.json")}, "none.json: no such file"},
		{"state as preview", []string{"--preview", state}, "expected the JSON of `pulumi preview --json`"},
		{"preview as state", []string{"--state", preview}, "expected the JSON of `pulumi stack export`"},
		{"junk", []string{"--preview", junk}, "junk.json: neither a preview"},
		{"with --stack", []string{"--preview", preview, "--stack", "staging"}, "drop --stack"},
		{"both", []string{"--preview", preview, "--state", state}, "mutually exclusive"},
		{"same state twice", []string{"--state", state, "--state", state}, "give each stack once"},
		{"bad base", []string{"--preview", preview, "--base", junk}, "--base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, append([]string{"plan"}, tt.args...)...)
			assert.Equal(t, exitUsage, code, "stderr: %s", stderr)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.Empty(t, stdout)
		})
	}
}
