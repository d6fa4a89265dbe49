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

	"github.com/headroom-dev/headroom/cmd/headroom/internal/golden"
	"github.com/headroom-dev/headroom/cmd/headroom/internal/mdcheck"
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

	sh := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
	sh.Dir = dir
	sh.Env = append(os.Environ(),
		"GITHUB_SHA=0123456789abcdef",
		"GITHUB_OUTPUT="+filepath.Join(dir, "out"),
		"GITHUB_STEP_SUMMARY="+filepath.Join(dir, "summary"))
	out, err = sh.CombinedOutput()
	require.NoError(t, err, "the step itself must not fail: %s", out)

	outputs, err := os.ReadFile(filepath.Join(dir, "out"))
	require.NoError(t, err)
	assert.Equal(t, "exit=2\n", string(outputs), "worst exit code: the malformed stack")
	comment, err := os.ReadFile(filepath.Join(dir, "plan-comment.md"))
	require.NoError(t, err)
	c := string(comment)
	assert.Contains(t, c, "# Headroom plan for 0123456")
	assert.Contains(t, c, "## ✅ Headroom plan: `staging` — PASS")
	assert.Contains(t, c, "## ✅ Headroom plan: `production` — PASS")
	assert.Contains(t, c, "## ❌ Headroom plan: `incident` — FAIL")
	assert.Contains(t, c, "bad input (exit 2)")
	assert.Contains(t, c, "headroom:database.maxConnections")
	assert.Contains(t, c, "### 🛠️ Headroom suggest: `incident` — fixes that pass, cheapest first", "refused stacks get suggest's fixes")
	assert.Contains(t, c, "```suggestion\n")
	assert.Equal(t, 1, strings.Count(c, "Headroom suggest:"), "only the refused stack")
	assert.Equal(t, 3, strings.Count(c, "```mermaid"), "one chart per planned stack")
	mdcheck.Check(t, comment, mdcheck.Expect{Tables: 18})
	summary, err := os.ReadFile(filepath.Join(dir, "summary"))
	require.NoError(t, err)
	assert.Equal(t, c, string(summary), "forks see the same report in the job summary")
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
