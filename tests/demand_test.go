package tests

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/policies/pack"
)

// TestDemandReachesThePack: processes, extra pools and database consumers
// set in stack config travel through the program (env vars and instance
// labels) to the policy pack's topology, in the preview and the state view.
func TestDemandReachesThePack(t *testing.T) {
	g := runEdited(t, "staging", map[string]func(any) any{
		"headroom:workloads": func(v any) any {
			w := v.([]any)[0].(map[string]any)
			w["processes"] = 2
			w["db"].(map[string]any)["extraPools"] = []any{map[string]any{"name": "asyncpg", "poolSize": 4, "startupConnections": 1}}
			return v
		},
		"headroom:database": func(v any) any {
			v.(map[string]any)["consumers"] = []any{map[string]any{"name": "migrations", "connections": 5}}
			return v
		},
	})
	views := map[string][]policyx.AnalyzerResource{"preview": g.PreviewResources(), "state": g.AnalyzerResources()}
	for view, rs := range views {
		t.Run(view, func(t *testing.T) {
			res, err := pack.Evaluate(rs, loadPolicyConfig(t, "staging"))
			require.NoError(t, err)
			var found bool
			for _, w := range res.Topology.Workloads {
				if w.Processes == 2 {
					found = true
					assert.Equal(t, []capacity.Pool{{Name: "asyncpg", PoolSize: 4, StartupConnections: 1}}, w.ExtraPools)
				}
			}
			assert.True(t, found, "a workload with two processes")
			require.NotEmpty(t, res.Topology.Databases)
			assert.Equal(t, []capacity.Consumer{{Name: "migrations", Connections: 5}}, res.Topology.Databases[0].Consumers)
			assert.Equal(t, 5, res.Capacity.Budgets[0].Consumers)
		})
	}
}
