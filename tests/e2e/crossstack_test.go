package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/testkit/enginetest"
)

// TestBudgetAcrossStacksUnderEngine: three stacks in one file backend. The
// platform stack is our program with the staging stack file (its database
// allows 796 connections; its own services hold 370 at full scale). Two
// app stacks (tests/testdata/foreign/go/crossapp) reach the database by
// the platform's exported private IP through a StackReference and export
// their own demand; the platform lists app-a in headroom:consumerStacks and
// republishes it. app-b's PR (10 instances × connection_limit, rolled out
// with the old revision's pools open: 2 × 10 × limit) is refused only when
// the sum no longer fits: 370 + app-a's 100 + 2 × 10 × 16 + 10 = 800 > 796,
// while 15 (780) fits — and 16 fits too before app-a's demand is
// republished (370 + 320 + 10 = 700).
func TestBudgetAcrossStacksUnderEngine(t *testing.T) {
	e := enginetest.Require(t)
	packBin := e.PolicyPack(t)
	platform := e.NewSandbox(t, map[string]string{"staging": filepath.Join(e.Root, "stacks", "Pulumi.staging.yaml")})
	up := platform.Pulumi(t, "up", "--yes", "--stack", "staging", "--non-interactive", "--skip-preview")
	require.Zero(t, up.Code, "platform up:\n%s", up.Out)

	bins := e.Module(t, "crossstack-go", filepath.Join(e.Root, "tests", "testdata", "foreign", "go"))
	const platformName = "organization/headroom/staging"
	app := func(stack, cidr string, limit int) *enginetest.Sandbox {
		sb := e.NewProgramSandbox(t, enginetest.Program{
			Dir:    filepath.Join(e.Root, "tests", "testdata", "foreign", "go", "crossapp"),
			Binary: filepath.Join(bins, "crossapp"),
		})
		sb.UseBackendOf(platform)
		cfg := "config:\n  gcp:project: acme-apps\n  crossapp:platform: " + platformName +
			"\n  crossapp:maxInstances: \"10\"\n  crossapp:connectionLimit: \"" + strconv.Itoa(limit) +
			"\"\n  crossapp:connectorRange: " + cidr + "\n"
		require.NoError(t, os.WriteFile(filepath.Join(sb.Dir, "Pulumi."+stack+".yaml"), []byte(cfg), 0o644))
		r := sb.Pulumi(t, "stack", "init", stack, "--non-interactive")
		require.Zero(t, r.Code, "stack init %s:\n%s", stack, r.Out)
		return sb
	}
	// The org's pack config: the connection verdicts at their level, the
	// rest advisory (so a refusal is the budget's), staging strictness.
	levels := map[string]any{pack.PolicyCapacityModel: map[string]any{"stagingStacks": []string{"app-a", "app-b"}}}
	for _, p := range pack.Catalog() {
		if p.Name != pack.PolicyCapacityModel && p.Name != pack.PolicyConnectionBudget {
			levels[p.Name] = pack.LevelAdvisory
		}
	}
	b, err := json.Marshal(levels)
	require.NoError(t, err)
	cfgPath := filepath.Join(t.TempDir(), "policy-config.json")
	require.NoError(t, os.WriteFile(cfgPath, b, 0o644))

	appA := app("app-a", "10.8.1.0/28", 10)
	r := appA.Pulumi(t, "up", "--yes", "--stack", "app-a", "--non-interactive", "--skip-preview")
	require.Zero(t, r.Code, "app-a up:\n%s", r.Out)

	appB := app("app-b", "10.8.2.0/28", 16)
	preview := func(limit int) engineRun {
		r := appB.Pulumi(t, "config", "set", "--stack", "app-b", "crossapp:connectionLimit", strconv.Itoa(limit))
		require.Zero(t, r.Code, r.Out)
		return pulumiWithLog(t, appB, "preview", "--stack", "app-b", "--policy-pack", packBin, "--policy-pack-config", cfgPath)
	}
	// Before the platform republishes app-a: 370 + 320 + 10 = 700 fits.
	run := preview(16)
	require.True(t, run.packRan, "the pack ran:\n%s", run.Out)
	assert.Zero(t, run.Code, "app-a's demand is not in the platform's export yet:\n%s", run.Out)

	// The platform republishes app-a's demand.
	r = platform.Pulumi(t, "config", "set", "--stack", "staging", "--path", "headroom:consumerStacks[0]", "organization/crossapp/app-a")
	require.Zero(t, r.Code, r.Out)
	up = platform.Pulumi(t, "up", "--yes", "--stack", "staging", "--non-interactive", "--skip-preview")
	require.Zero(t, up.Code, "platform up with consumerStacks:\n%s", up.Out)

	run = preview(16)
	assert.NotZero(t, run.Code, "370 + 100 + 320 + 10 = 800 > 796: app-b's PR is refused:\n%s", run.Out)
	assert.Contains(t, run.mandatory, pack.PolicyConnectionBudget)
	assert.True(t, strings.Contains(run.Out, "stack organization/crossapp/app-a 100"), "the message names app-a's share:\n%s", run.Out)

	run = preview(15)
	assert.Zero(t, run.Code, "370 + 100 + 300 + 10 = 780 ≤ 796 fits:\n%s", run.Out)
	assert.NotContains(t, run.mandatory, pack.PolicyConnectionBudget)
}
