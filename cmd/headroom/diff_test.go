package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/report"
	"github.com/headroom-dev/headroom/testkit/mdcheck"
)

// gitRepo makes a throwaway repository holding the incident stack file,
// committed as the base, and returns the file's path in the work tree.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com",
			"-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	run("init", "-q", "-b", "main")
	src, err := os.ReadFile(incidentFile)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "stacks"), 0o755))
	file := filepath.Join(dir, "stacks", "Pulumi.incident.yaml")
	require.NoError(t, os.WriteFile(file, src, 0o644))
	run("add", ".")
	run("commit", "-q", "-m", "base")
	return file
}

// editFile replaces one occurrence of old in the file.
func editFile(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Contains(t, string(b), old)
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(string(b), old, new, 1)), 0o644))
}

// The head raises max_connections to the tier's ceiling (400 for
// db-custom-1-3840) and sizes the connector for the cold start: the egress,
// timeout and cold-start violations are resolved; the connection budget
// still fails (demand 380 > allowed 316), so the verdict stays FAIL.
func headEdits(t *testing.T, file string) {
	editFile(t, file, "maxConnections: 100 ", "maxConnections: 400 ")
	editFile(t, file, "machineType: e2-micro ", "machineType: e2-standard-4 ")
}

func TestPlanDiffGoldens(t *testing.T) {
	file := gitRepo(t)
	headEdits(t, file)
	for _, format := range []string{"text", "markdown", "json"} {
		t.Run(format, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "plan", "--config-file", file, "--base", "HEAD", "--format", format)
			require.Contains(t, []int{exitOK, exitViolations}, code, stderr)
			ext := map[string]string{"text": "txt", "markdown": "md", "json": "json"}[format]
			goldenFile(t, "diff-incident."+ext, []byte(stdout))
			assert.NotContains(t, stdout, filepath.Dir(file), "no temporary paths in the output")
			switch format {
			case "json":
				require.NoError(t, report.Validate([]byte(stdout)), "the JSON contract")
				var r report.Report
				require.NoError(t, json.Unmarshal([]byte(stdout), &r))
				require.NotNil(t, r.Diff)
				d := r.Diff
				assert.Equal(t, report.DiffBase{Source: "HEAD", Kind: "ref"}, d.Base)
				assert.True(t, d.Changed)
				assert.True(t, d.ThresholdCrossed)
				resolved := map[string]bool{}
				for _, v := range d.Violations.Resolved {
					resolved[v.Policy] = true
				}
				assert.True(t, resolved["egress-headroom"] && resolved["timeout-budget"] && resolved["cold-start-success"],
					"the connector's violations resolved: %+v", d.Violations.Resolved)
				assert.False(t, resolved["connection-budget"], "demand 380 still exceeds 316 (in every scenario)")
				assert.Positive(t, d.Violations.Unchanged)
				assert.Equal(t, report.FieldChange{Field: "verdict", Before: "fail", After: "fail"}, d.Verdict)
				sec := map[string]report.DiffTable{}
				for _, s := range d.Sections {
					sec[s.ID] = s
				}
				db := sec["databases"]
				require.Len(t, db.Rows, 1)
				assert.Equal(t, "staging-shared-postgres", db.Rows[0].Key)
				got := map[string]report.FieldChange{}
				for _, f := range db.Rows[0].Fields {
					got[f.Field] = f
				}
				assert.Equal(t, report.FieldChange{Field: "allowed", Before: 76.0, After: 316.0, Changed: true}, got["allowed"],
					"allowed = floor((max_connections − 5) × 0.80): 100 → 76, 400 → 316")
				assert.Equal(t, report.FieldChange{Field: "demand", Before: 380.0, After: 380.0, Changed: false}, got["demand"])
				assert.Equal(t, "fail", got["severity"].Before)
				require.Len(t, sec["egress"].Rows, 1)
				// Every scenario the model judges is a row; the cold-start
				// row carries the simulation's figures.
				require.NotEmpty(t, sec["scenarios"].Rows)
				cold := sec["scenarios"].Rows[0]
				assert.Equal(t, "cold-start", cold.Key)
				assert.Contains(t, cold.Fields, report.FieldChange{Field: "successRate", Before: 0.4333, After: 1.0, Changed: true})
				require.Len(t, sec["resources.databases"].Rows, 1)
				require.Len(t, sec["resources.egress"].Rows, 1)
				assert.Empty(t, sec["resources.services"].Rows, "services unchanged")
				// The cost delta (infra/cost): the connector's machine type
				// moves the connector line and the total, nothing else.
				keys := []string{}
				for _, r := range sec["cost"].Rows {
					keys = append(keys, r.Key)
					require.Equal(t, "monthlyUsd", r.Fields[0].Field)
					assert.Less(t, r.Fields[0].Before.(float64), r.Fields[0].After.(float64), "e2-standard-4 costs more")
				}
				assert.Equal(t, []string{"connector/staging-connector", "total"}, keys)
			case "markdown":
				assert.True(t, strings.HasPrefix(stdout, report.DiffMarker), "the comment leads with the diff")
				mdcheck.Check(t, []byte(stdout), mdcheck.Expect{Tables: 10, Mermaid: true})
				assert.Contains(t, stdout, "76 → **316**")
			case "text":
				assert.Contains(t, stdout, "76 → 316")
			}
		})
	}
}

func TestPlanDiffNoChange(t *testing.T) {
	file := gitRepo(t)
	stdout, stderr, code := runCLI(t, "plan", "--config-file", file, "--base", "HEAD")
	require.Equal(t, exitViolations, code, stderr)
	assert.Contains(t, stdout, "no change: same verdict, figures, violations and resources")

	// A saved JSON plan of the same stack is the same base.
	saved := filepath.Join(t.TempDir(), "base.json")
	_, stderr, code = runCLI(t, "plan", "--config-file", file, "-f", "json", "-o", saved)
	require.Equal(t, exitViolations, code, stderr)
	stdout, stderr, code = runCLI(t, "plan", "--config-file", file, "--base", saved, "-f", "json")
	require.Equal(t, exitViolations, code, stderr)
	var r report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	assert.False(t, r.Diff.Changed)
	assert.False(t, r.Diff.ThresholdCrossed)
	assert.Equal(t, "file", r.Diff.Base.Kind)
	assert.Equal(t, r.Mandatory+r.Advisory, r.Diff.Violations.Unchanged)
}

func TestPlanDiffCommentWhen(t *testing.T) {
	file := gitRepo(t)
	out := filepath.Join(t.TempDir(), "comment.md")
	cases := []struct {
		name   string
		edit   func()
		when   string
		writes bool
	}{
		{"nothing changed, changed", func() {}, "changed", false},
		{"nothing changed, threshold", func() {}, "threshold", false},
		{"nothing changed, always", func() {}, "always", true},
		// One more second of connect timeout moves figures but no verdict
		// or violation: a change below every threshold.
		{"figures moved, threshold", func() { editFile(t, file, "connectTimeoutSeconds: 75", "connectTimeoutSeconds: 76") }, "threshold", false},
		{"figures moved, changed", func() {}, "changed", true},
		{"violation resolved, threshold", func() { headEdits(t, file) }, "threshold", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.edit()
			_, stderr, code := runCLI(t, "plan", "--config-file", file, "--base", "HEAD", "-f", "markdown", "--comment-when", c.when, "-o", out)
			require.Contains(t, []int{exitOK, exitViolations}, code, stderr)
			b, err := os.ReadFile(out)
			require.NoError(t, err)
			if c.writes {
				assert.True(t, strings.HasPrefix(string(b), report.DiffMarker))
			} else {
				assert.Empty(t, b, "an empty file: no comment")
				assert.Contains(t, stderr, "no comment (--comment-when "+c.when+")")
			}
		})
	}
}

func TestPlanDiffBaseWithoutStackFile(t *testing.T) {
	file := gitRepo(t)
	added := filepath.Join(filepath.Dir(file), "Pulumi.added.yaml")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(added, b, 0o644))
	stdout, stderr, code := runCLI(t, "plan", "--config-file", added, "--base", "HEAD", "-f", "json")
	require.Equal(t, exitViolations, code, stderr)
	var r report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	assert.Equal(t, "no stack file stacks/Pulumi.added.yaml at HEAD", r.Diff.Base.Note)
	assert.Len(t, r.Diff.Violations.Added, r.Mandatory+r.Advisory, "every violation is new")
	for _, s := range r.Diff.Sections {
		for _, row := range s.Rows {
			assert.Equal(t, report.RowAdded, row.Status, "%s %s", s.ID, row.Key)
		}
	}
}

func TestPlanDiffBadInput(t *testing.T) {
	file := gitRepo(t)
	notPlan := filepath.Join(t.TempDir(), "x.json")
	require.NoError(t, os.WriteFile(notPlan, []byte(`{"kind": "drift"}`), 0o644))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--base", "no-such-ref"}, "--base no-such-ref: neither a file nor a git revision"},
		{[]string{"--base", notPlan}, `not a JSON plan: "kind" is "drift"`},
		{[]string{"--comment-when", "changed", "-f", "md"}, "--comment-when needs --base"},
		{[]string{"--base", "HEAD", "--comment-when", "sometimes", "-f", "markdown"}, `--comment-when "sometimes": want changed, threshold or always`},
		{[]string{"--base", "HEAD", "-f", "sarif"}, "--base does not apply to --format sarif"},
		{[]string{"--base", "HEAD", "--comment-when", "changed"}, "--comment-when applies to --format markdown"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			args := append([]string{"plan", "--config-file", file}, c.args...)
			stdout, stderr, code := runCLI(t, args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, c.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		})
	}
}
