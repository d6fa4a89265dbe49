package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/headroom-dev/headroom/testkit/golden"
	"github.com/headroom-dev/headroom/testkit/mdcheck"
)

// TestPRPreviewPlanStep runs the shell of pr-preview.yml's "Plan every
// stack" step, as GitHub would (bash -e), against the built CLI in a
// project holding the real stacks, the incident and a malformed stack: the
// sticky comment must hold every stack's report, the bad input's one-line
// error, and the step must output the worst exit code.
func TestPRPreviewPlanStep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	raw, err := os.ReadFile("../../.github/workflows/pr-preview.yml")
	require.NoError(t, err)
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				ID  string `yaml:"id"`
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &wf))
	var script string
	for _, s := range wf.Jobs["plan"].Steps {
		if s.ID == "plan" {
			script = s.Run
		}
	}
	require.NotEmpty(t, script, "pr-preview.yml: jobs.plan step id=plan")

	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "stacks"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	copyFile := func(src, dst string, edit func([]byte) []byte) {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		if edit != nil {
			b = edit(b)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, dst), b, 0o644))
	}
	copyFile("../../Pulumi.yaml", "Pulumi.yaml", nil)
	copyFile("../../stacks/Pulumi.staging.yaml", "stacks/Pulumi.staging.yaml", nil)
	copyFile("../../stacks/Pulumi.production.yaml", "stacks/Pulumi.production.yaml", nil)
	copyFile(incidentFile, "stacks/Pulumi.incident.yaml", nil)
	copyFile("../../stacks/Pulumi.staging.yaml", "stacks/Pulumi.broken.yaml", func(b []byte) []byte {
		return []byte(strings.Replace(string(b), "maxConnections: ", "maxConnections: lots # ", 1))
	})

	build := exec.Command("go", "build", "-o", filepath.Join(dir, "bin", "headroom"), ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	// The base branch: every stack as it was; the pull request then raises
	// the incident's max_connections and adds the malformed stack.
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com",
			"-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	git("init", "-q", "-b", "main")
	git("add", "Pulumi.yaml", "stacks/Pulumi.staging.yaml", "stacks/Pulumi.production.yaml", "stacks/Pulumi.incident.yaml")
	git("commit", "-q", "-m", "base")
	copyFile(incidentFile, "stacks/Pulumi.incident.yaml", func(b []byte) []byte {
		return []byte(strings.Replace(string(b), "maxConnections: 100 ", "maxConnections: 400 ", 1))
	})

	step := func(commentWhen string) (outputs, comment string) {
		t.Helper()
		sh := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
		sh.Dir = dir
		sh.Env = append(os.Environ(),
			"GITHUB_SHA=0123456789abcdef",
			"BASE_REF=main",
			"COMMENT_WHEN="+commentWhen,
			"GITHUB_OUTPUT="+filepath.Join(dir, "out"),
			"GITHUB_STEP_SUMMARY="+filepath.Join(dir, "summary"))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "out"), nil, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "summary"), nil, 0o644))
		out, err := sh.CombinedOutput()
		require.NoError(t, err, "the step itself must not fail: %s", out)
		o, err := os.ReadFile(filepath.Join(dir, "out"))
		require.NoError(t, err)
		c, err := os.ReadFile(filepath.Join(dir, "plan-comment.md"))
		require.NoError(t, err)
		summary, err := os.ReadFile(filepath.Join(dir, "summary"))
		require.NoError(t, err)
		assert.Equal(t, string(c), string(summary), "forks see the same report in the job summary")
		return string(o), string(c)
	}

	// always: every stack's diff and report.
	outputs, c := step("always")
	assert.Equal(t, "exit=2\ncomment=1\n", outputs, "worst exit code: the malformed stack")
	assert.Contains(t, c, "# Headroom plan for 0123456 against `main`")
	assert.Contains(t, c, "## ✅ Headroom plan: `staging` — PASS")
	assert.Contains(t, c, "## ✅ Headroom plan: `production` — PASS")
	assert.Contains(t, c, "## ❌ Headroom plan: `incident` — FAIL")
	assert.Contains(t, c, "Capacity change: `incident` against `main`")
	assert.Contains(t, c, "No capacity change against `main`", "staging and production did not change")
	assert.Contains(t, c, "bad input (exit 2)")
	assert.Contains(t, c, "headroom:database.maxConnections")
	assert.Contains(t, c, "### 🛠️ Headroom suggest: `incident` — fixes that pass, cheapest first", "refused stacks get suggest's fixes")
	assert.Contains(t, c, "```suggestion\n")
	assert.Equal(t, 1, strings.Count(c, "Headroom suggest:"), "only the refused stack")
	assert.Equal(t, 3, strings.Count(c, "```mermaid"), "one chart per planned stack")
	mdcheck.Check(t, []byte(c), mdcheck.Expect{Tables: 18})
	for _, stack := range []string{"staging", "production", "incident"} {
		b, err := os.ReadFile(filepath.Join(dir, "sarif", stack+".sarif"))
		require.NoError(t, err, "SARIF of %s", stack)
		assert.Contains(t, string(b), `"version": "2.1.0"`)
	}

	// changed: only the stack that changed (and the bad input) is shown.
	outputs, c = step("changed")
	assert.Equal(t, "exit=2\ncomment=1\n", outputs)
	assert.Contains(t, c, "## ❌ Headroom plan: `incident` — FAIL")
	assert.NotContains(t, c, "Headroom plan: `staging`")
	assert.NotContains(t, c, "Headroom plan: `production`")

	// Without the malformed stack and the change, nothing is due.
	require.NoError(t, os.Remove(filepath.Join(dir, "stacks", "Pulumi.broken.yaml")))
	git("checkout", "--", "stacks/Pulumi.incident.yaml")
	outputs, c = step("changed")
	assert.Equal(t, "exit=1\ncomment=0\n", outputs, "the incident still fails the gate")
	assert.Contains(t, c, "No capacity change against `main` in any stack (comment when: changed).")
	assert.NotContains(t, c, "Headroom plan: `incident`")
}

// TestPRCommentDoc keeps docs/pr-comment.md's real example equal to the
// incident golden (headings shifted two levels); -update rewrites it.
func TestPRCommentDoc(t *testing.T) {
	const doc = "../../docs/pr-comment.md"
	const sep = "\n---\n\n"
	raw, err := os.ReadFile(doc)
	require.NoError(t, err)
	incident, err := os.ReadFile("testdata/plan-incident.md")
	require.NoError(t, err)
	var shifted strings.Builder
	for _, line := range strings.SplitAfter(string(incident), "\n") {
		if strings.HasPrefix(line, "#") {
			line = "##" + line
		}
		shifted.WriteString(line)
	}
	text := string(raw)
	i := strings.Index(text, sep)
	require.GreaterOrEqual(t, i, 0, "%s: the example follows a --- line", doc)
	want := text[:i+len(sep)] + shifted.String()
	if golden.Update() {
		require.NoError(t, os.WriteFile(doc, []byte(want), 0o644))
		return
	}
	assert.Equal(t, want, text, "%s is stale: go test ./cmd/headroom -run TestPRCommentDoc -update", doc)
}
