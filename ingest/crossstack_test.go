package ingest_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/ingest"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// fqName is a split stack's fully-qualified name (the file backend's
// organisation).
func fqName(s *ingest.Stack) string { return "organization/" + s.Project + "/" + s.Name }

// exportOf is what the platform stack's headroomCapacity output says: its
// database (read from its state) and the full-scale demand of the given
// app stacks (each judged with the platform, as its own plan would).
func exportOf(t *testing.T, platform *ingest.Stack, apps ...*ingest.Stack) contract.StackExport {
	t.Helper()
	res := evaluate(t, platform.Resources, pack.Config{Environment: capacity.EnvStaging})
	e := contract.StackExport{Stack: fqName(platform)}
	for _, d := range res.Topology.Databases {
		var ip, conn string
		for _, r := range platform.Resources {
			if r.Type == contract.TypeSQLInstance && urnName(r.URN) == d.Name {
				ip = r.Properties.Get("privateIpAddress").AsString()
				conn = r.Properties.Get("connectionName").AsString()
			}
		}
		e.Databases = append(e.Databases, contract.ExportedDatabase{Database: d, ConnectionName: conn, PrivateIP: ip})
	}
	for _, app := range apps {
		m, err := ingest.Merge(platform, app)
		require.NoError(t, err)
		for _, dd := range capacity.FullScaleDemand(evaluate(t, m.Resources, pack.Config{Environment: capacity.EnvStaging}).Topology) {
			e.Demand = append(e.Demand, contract.StackDemand{Stack: fqName(app), Database: dd.Database,
				Connections: dd.Connections, StartupConnections: dd.StartupConnections, Services: dd.Services})
		}
	}
	return e
}

func urnName(u string) string { return u[strings.LastIndex(u, "::")+2:] }

// withReference is app's state plus a StackReference to the platform
// whose outputs carry e, as the app stack's program would hold it.
func withReference(app *ingest.Stack, e contract.StackExport) *ingest.Stack {
	out := *app
	ref := policyx.AnalyzerResource{
		Type: contract.TypeStackReference, Name: e.Stack,
		URN: "urn:pulumi:" + app.Name + "::" + app.Project + "::" + contract.TypeStackReference + "::" + e.Stack,
		Properties: pt.Map(map[string]any{"name": e.Stack, "secretOutputNames": []any{},
			"outputs": map[string]any{contract.StackRefOutput: contract.EncodeStackExport(e)}}),
	}
	out.Resources = append([]policyx.AnalyzerResource{ref}, app.Resources...)
	return &out
}

// budgetFails reports the connection-budget violations of the stacks
// judged as one graph, by scenario.
func budgetFails(t *testing.T, stacks ...*ingest.Stack) []string {
	t.Helper()
	m, err := ingest.Merge(stacks...)
	require.NoError(t, err)
	var out []string
	for _, v := range evaluate(t, m.Resources, pack.Config{Environment: capacity.EnvStaging}).Mandatory() {
		if v.Policy == pack.PolicyConnectionBudget {
			scenario, _, _ := strings.Cut(v.Message, ":")
			out = append(out, scenario)
		}
	}
	return out
}

// TestPlanAgreesWithCrossStackPreviews: the platform stack holds the
// database, app-a (netra-backend, 20 × 15 = 300 at full scale) and app-b
// (auth-service, 10 × 7 = 70). Each app's preview sees the other through
// the platform's export; `headroom plan --state platform --state app-a
// --state app-b` sees all three. With 10 of admin slack, app-b's preview
// is refused when its rollout (2 × 70) plus app-a's 300 exceeds the
// allowed connections, app-a's when 2 × 300 + 70 does; the merged plan is
// refused exactly when one of them is — except between 680 and 750, where
// only the merged plan's rollout/all (one deploy of both stacks, which
// separate stacks never do) fails.
func TestPlanAgreesWithCrossStackPreviews(t *testing.T) {
	type verdict struct{ merged, appA, appB []string }
	judge := func(maxConns string) verdict {
		platform, a, b := splitStaging(t, maxConns)
		// Each app's preview: its own resources and the reference; the
		// platform's export carries both apps (the other's and its own
		// old entry, which the pack replaces by its live services).
		e := exportOf(t, platform, a, b)
		return verdict{
			merged: budgetFails(t, platform, a, b),
			appA:   budgetFails(t, withReference(a, e)),
			appB:   budgetFails(t, withReference(b, e)),
		}
	}
	has := func(ss []string, s string) bool {
		for _, x := range ss {
			if x == s {
				return true
			}
		}
		return false
	}
	// Fits everywhere.
	v := judge("1000")
	assert.Empty(t, v.merged)
	assert.Empty(t, v.appA)
	assert.Empty(t, v.appB)
	// app-b's preview counts app-a's 300 from the export and its own
	// services live: its own exported entry is replaced, not added.
	platform, a, b := splitStaging(t, "1000")
	res := evaluate(t, withReference(b, exportOf(t, platform, a, b)).Resources, pack.Config{Environment: capacity.EnvStaging})
	require.Len(t, res.Topology.Databases, 1)
	assert.Equal(t, []capacity.Consumer{{Name: "stack organization/headroom/app-a", Connections: 300}}, res.Topology.Databases[0].Consumers)
	require.Len(t, res.Topology.Workloads, 1)
	assert.Equal(t, res.Topology.Databases[0].Name, res.Topology.Workloads[0].Database)
	// app-b's boundary: its rollout 2 × 70 + app-a's 300 + 10 = 450.
	// ⌊(568 − 5) × 0.8⌋ = 450 passes, ⌊(567 − 5) × 0.8⌋ = 449 fails.
	v = judge("568")
	assert.False(t, has(v.appB, "rollout/auth-service"), "450 = allowed: app-b fits: %v", v.appB)
	assert.True(t, has(v.merged, "rollout/netra-backend") && len(v.appA) > 0, "app-a's own rollout (680) does not fit in 450, in both views")
	v = judge("567")
	assert.True(t, has(v.appB, "rollout/auth-service"), "449 < 450: app-b's PR is refused: %v", v.appB)
	assert.True(t, has(v.merged, "rollout/auth-service"), "the merged plan refuses the same scenario")
	// app-a's boundary: 2 × 300 + 70 + 10 = 680. ⌊(855 − 5) × 0.8⌋ = 680.
	v = judge("855")
	assert.Empty(t, v.appA, "680 = allowed: app-a fits")
	assert.Empty(t, v.appB)
	assert.Equal(t, []string{"rollout/all"}, v.merged, "only the one-deploy-of-both-stacks scenario, which separate stacks never run")
	v = judge("854")
	assert.True(t, has(v.appA, "rollout/netra-backend"), "679 < 680: app-a's PR is refused: %v", v.appA)
	assert.True(t, has(v.merged, "rollout/netra-backend"))
	assert.Empty(t, v.appB, "app-b's rollout (450) still fits")
	// Wherever the merged plan refuses a scenario other than rollout/all,
	// the app whose rollout it is refuses it in its preview, and vice versa.
	for _, mc := range []string{"1000", "900", "855", "854", "700", "568", "567", "400"} {
		v := judge(mc)
		for _, s := range []string{"rollout/netra-backend", "rollout/auth-service"} {
			app := v.appA
			if s == "rollout/auth-service" {
				app = v.appB
			}
			assert.Equal(t, has(v.merged, s), has(app, s), "max_connections %s, %s: merged %v, preview %v", mc, s, v.merged, app)
		}
	}
}
