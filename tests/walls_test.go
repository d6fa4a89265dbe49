package tests

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/headroom-dev/headroom"

// deps lists the transitive imports of the packages matching pattern.
func deps(t *testing.T, pattern string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pattern).Output()
	require.NoError(t, err, "go list -deps %s", pattern)
	return strings.Fields(string(out))
}

// TestArchitectureWalls keeps the data flow one-way (README "Architecture"):
// the capacity model is pure, the policy pack judges the resource graph
// without reading stack config or importing components, and components know
// nothing of the pack or the CLI.
func TestArchitectureWalls(t *testing.T) {
	walls := []struct {
		pattern   string
		forbidden []string
		why       string
	}{
		{"../infra/capacity", []string{"github.com/pulumi/", module + "/infra/config", module + "/infra/graph", module + "/policies", module + "/cmd"},
			"infra/capacity imports nothing of Pulumi and nothing of ours"},
		{"../policies/...", []string{module + "/infra/config", module + "/infra/network", module + "/infra/database", module + "/infra/workloads", module + "/infra/graph", module + "/cmd", module + "/plan", module + "/report", module + "/suggest", module + "/deploy", module + "/verify", module + "/testkit"},
			"policies/ never reads stack config or imports the components"},
		{"../infra/...", []string{module + "/policies", module + "/cmd", module + "/plan", module + "/report", module + "/suggest", module + "/deploy", module + "/verify", module + "/testkit"},
			"components never import policies/ or cmd/"},
		{"..", []string{module + "/infra/graph", module + "/testkit", module + "/infra/gcpfake", module + "/tests/", module + "/policies", module + "/cmd", module + "/plan", module + "/report", module + "/suggest", module + "/deploy", module + "/verify", module + "/badinput"},
			"the deployed program links neither the mock monitor, the test kit, the GCP fakes' shape table, the policy adapter nor the CLI's packages"},
		{"../probe/...", []string{"github.com/pulumi/", module + "/infra/config", module + "/infra/graph", module + "/policies", module + "/cmd", module + "/plan", module + "/report"},
			"the probe depends on the capacity model only, never on Pulumi, stack config or the CLI"},
		{"../plan/...", []string{module + "/cmd", module + "/suggest", module + "/deploy", module + "/verify", module + "/testkit"},
			"the plan pipeline stands on the program, the pack and the report model only; the CLI calls it, never the reverse"},
		{"../report/...", []string{module + "/cmd", module + "/plan", module + "/suggest", module + "/deploy", module + "/testkit", "github.com/pulumi/pulumi/sdk/v3/go/auto"},
			"the report model renders what it is given: no pipeline, no Automation API"},
		{"../suggest/...", []string{module + "/cmd", module + "/deploy", module + "/verify"},
			"suggest searches with a planner it is handed, never through the CLI"},
		{"../deploy/...", []string{module + "/cmd", module + "/suggest"},
			"deploy orchestration never reaches back into the CLI"},
		{"../verify/...", []string{module + "/cmd", module + "/plan", module + "/policies"},
			"verify checks a deployed stack's services; it judges nothing"},
	}
	for _, w := range walls {
		var broken []string
		for _, d := range deps(t, w.pattern) {
			for _, f := range w.forbidden {
				if d == f || strings.HasPrefix(d, strings.TrimSuffix(f, "/")+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(d, f)) {
					broken = append(broken, d)
				}
			}
		}
		assert.Empty(t, broken, "%s: %s", w.pattern, w.why)
	}
}
