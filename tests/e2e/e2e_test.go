// Package e2e runs the repository's program, policy pack and headroom CLI
// end to end under the real Pulumi engine (CLI v3.274.1, the Go language
// host, a file backend, passphrase secrets) with the stand-in GCP provider
// (testkit/standin/gcp) in place of the real plugin: no network, no cloud.
//
// Without the CLI or the language host the tests skip with one line;
// HEADROOM_REQUIRE_ENGINE=1 (CI) makes that a failure.
package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/testkit/enginetest"
)

// stackCase is one stack file judged end to end.
type stackCase struct {
	name string
	file string // relative to the repository root
	pass bool   // staging and production pass; the incident is refused
}

var stackCases = []stackCase{
	{name: "staging", file: "stacks/Pulumi.staging.yaml", pass: true},
	{name: "production", file: "stacks/Pulumi.production.yaml", pass: true},
	{name: "incident", file: "tests/testdata/incident/Pulumi.incident.yaml", pass: false},
}

func (sc stackCase) path(e *enginetest.Engine) string { return filepath.Join(e.Root, sc.file) }

// planMandatory is what `headroom plan --format json` reports as
// mandatory for a stack of the sandbox: the policies with a mandatory
// violation, sorted.
func planMandatory(t *testing.T, sb *enginetest.Sandbox, stack string) []string {
	t.Helper()
	r := sb.Headroom(t, "plan", "--stack", stack, "--root", sb.Dir, "--format", "json")
	require.Contains(t, []int{0, 1}, r.Code, r.Out)
	var rep struct {
		Verdict    string `json:"verdict"`
		Violations []struct {
			Policy string `json:"policy"`
			Level  string `json:"level"`
		} `json:"violations"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.Stdout), &rep), r.Out)
	set := map[string]bool{}
	for _, v := range rep.Violations {
		if v.Level == "mandatory" {
			set[v.Policy] = true
		}
	}
	return sorted(set)
}

// policyConfig writes the policy-pack config headroom derives from a stack
// (the one plan, up and drift use) and returns its path.
func policyConfig(t *testing.T, sb *enginetest.Sandbox, stack string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy-config."+stack+".json")
	r := sb.Headroom(t, "policy-config", "--stack", stack, "--root", sb.Dir, "--out", path)
	require.Zero(t, r.Code, r.Out)
	return path
}

// engineRun is one engine operation with its event log decoded.
type engineRun struct {
	enginetest.Result
	mandatory []string
	summary   map[string]int
	packRan   bool
	ops       map[string]string
}

// pulumiWithLog runs a pulumi operation with --event-log and decodes the
// policy events and the change summary.
func pulumiWithLog(t *testing.T, sb *enginetest.Sandbox, args ...string) engineRun {
	t.Helper()
	log := filepath.Join(t.TempDir(), "events.jsonl")
	r := sb.Pulumi(t, append(args, "--event-log", log, "--non-interactive")...)
	run := engineRun{Result: r}
	if _, err := os.Stat(log); err != nil {
		t.Fatalf("pulumi %v wrote no event log (exit %d):\n%s", args, r.Code, r.Out)
	}
	ev := enginetest.Events(t, log)
	run.mandatory = enginetest.Mandatory(enginetest.Violations(ev))
	run.summary, run.packRan = enginetest.Summary(ev, pack.Name)
	run.ops = enginetest.StepOps(ev)
	return run
}

// customCreates counts the provider resources (not components, not the
// stack) an operation created.
func customCreates(ops map[string]string) int {
	n := 0
	for urn, op := range ops {
		if op == "create" && strings.HasPrefix(string(resource.URN(urn).Type()), "gcp:") {
			n++
		}
	}
	return n
}

func sorted(set map[string]bool) []string {
	out := []string{}
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// assertVerdict checks one policy-gated operation against the stack's
// expectation: a pass has no mandatory violation and exit 0; a refusal
// names exactly the plan's mandatory policies and exits non-zero.
func assertVerdict(t *testing.T, sc stackCase, what string, code int, mandatory, want []string, out string) {
	t.Helper()
	if sc.pass {
		assert.Zero(t, code, "%s must pass:\n%s", what, out)
		assert.Empty(t, mandatory, "%s: mandatory violations", what)
		return
	}
	assert.NotZero(t, code, "%s must be refused:\n%s", what, out)
	assert.Equal(t, want, mandatory, "%s: mandatory violations must be the plan's", what)
}
