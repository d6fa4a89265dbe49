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
)

type driftWorkflow struct {
	Jobs map[string]struct {
		Needs       any               `yaml:"needs"`
		If          string            `yaml:"if"`
		Environment string            `yaml:"environment"`
		Strategy    map[string]any    `yaml:"strategy"`
		Env         map[string]string `yaml:"env"`
		Steps       []struct {
			ID  string `yaml:"id"`
			Run string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func loadDriftWorkflow(t *testing.T) driftWorkflow {
	raw, err := os.ReadFile("../../.github/workflows/drift.yml")
	require.NoError(t, err)
	var wf driftWorkflow
	require.NoError(t, yaml.Unmarshal(raw, &wf))
	return wf
}

// TestDriftWorkflowShape: detection changes nothing and needs no approval;
// the re-apply runs only for drifted stacks, behind the environment with
// required reviewers, without --allow-replace.
func TestDriftWorkflowShape(t *testing.T) {
	wf := loadDriftWorkflow(t)
	det, rec := wf.Jobs["detect"], wf.Jobs["reconcile"]
	assert.Empty(t, det.Environment, "detection is not held for approval")
	assert.Equal(t, "drift-reconcile", rec.Environment)
	assert.Equal(t, "detect", rec.Needs)
	assert.Contains(t, rec.If, "needs.detect.outputs.drifted")
	var detRun, recRun string
	for _, s := range det.Steps {
		detRun += s.Run
	}
	for _, s := range rec.Steps {
		recRun += s.Run
	}
	assert.Contains(t, detRun, "reconcile --stack \"$stack\" --once --dry-run")
	assert.Contains(t, recRun, "reconcile --stack \"$STACK\" --once")
	assert.NotContains(t, recRun, "--dry-run")
	assert.NotContains(t, recRun+detRun, "--allow-replace", "automation never allows a stateful replacement")
}

// TestDriftDetectStep runs the detect step's shell (bash -e, as GitHub
// does) with stand-ins for headroom, gh, make and go: each stack's exit
// code decides the issue action and the list of stacks to reconcile.
func TestDriftDetectStep(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not installed (GitHub's runners have it)")
	}
	wf := loadDriftWorkflow(t)
	var script string
	for _, s := range wf.Jobs["detect"].Steps {
		if s.ID == "detect" {
			script = s.Run
		}
	}
	require.NotEmpty(t, script)
	for _, tt := range []struct {
		name    string
		codes   string // stack=code …
		drifted string
		fails   bool
		gh      []string // gh subcommands expected, in order of appearance
	}{
		{"staging drifted, production in sync", "staging=3 production=0", `["staging"]`, false,
			[]string{"issue create --title Drift: stack staging", "issue close 7"}},
		{"both in sync", "staging=0 production=0", `[]`, false, []string{"issue close 7"}},
		{"production refused, staging failed: red after both", "staging=4 production=1", `[]`, true,
			[]string{"issue edit 7"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "fakebin")
			require.NoError(t, os.MkdirAll(bin, 0o755))
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
			write := func(path, body string) {
				require.NoError(t, os.WriteFile(path, []byte("#!/usr/bin/env bash\n"+body), 0o755))
			}
			write(filepath.Join(bin, "make"), "exit 0\n")
			write(filepath.Join(bin, "go"), "exit 0\n")
			// gh: production has an open issue (#7), staging none.
			write(filepath.Join(bin, "gh"), `echo "$*" >> "$GH_LOG"
case "$1 $2" in
  "issue list") case "$*" in *production*) echo 7 ;; esac ;;
esac
`)
			// headroom: exit with the stack's code, write its reports.
			write(filepath.Join(dir, "bin", "headroom"), `stack="$3"; out=""; rep=""
while [ $# -gt 0 ]; do case "$1" in --out) out="$2";; --report) rep="$2";; esac; shift; done
echo "report of $stack" > "$out"; echo '{}' > "$rep"
for kv in $CODES; do [ "${kv%%=*}" = "$stack" ] && exit "${kv#*=}"; done
exit 9
`)
			sh := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
			sh.Dir = dir
			sh.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"CODES="+tt.codes, "STACKS=staging production", "RUN_URL=https://example.invalid/run",
				"GH_LOG="+filepath.Join(dir, "gh.log"),
				"GITHUB_OUTPUT="+filepath.Join(dir, "out"), "GITHUB_STEP_SUMMARY="+filepath.Join(dir, "summary"))
			out, err := sh.CombinedOutput()
			if tt.fails {
				require.Error(t, err, "%s", out)
			} else {
				require.NoError(t, err, "%s", out)
			}
			outputs, err := os.ReadFile(filepath.Join(dir, "out"))
			require.NoError(t, err)
			assert.Equal(t, "drifted="+tt.drifted+"\n", string(outputs))
			log, _ := os.ReadFile(filepath.Join(dir, "gh.log"))
			var actions []string
			for _, l := range strings.Split(string(log), "\n") {
				if strings.HasPrefix(l, "issue create") || strings.HasPrefix(l, "issue close") || strings.HasPrefix(l, "issue edit") {
					f := strings.Fields(l)
					if f[1] == "create" {
						actions = append(actions, "issue create --title "+strings.Join(f[3:6], " "))
					} else {
						actions = append(actions, strings.Join(f[:3], " "))
					}
				}
			}
			assert.Equal(t, tt.gh, actions)
			summary, _ := os.ReadFile(filepath.Join(dir, "summary"))
			assert.Contains(t, string(summary), "report of staging")
			assert.Contains(t, string(summary), "report of production")
		})
	}
}
