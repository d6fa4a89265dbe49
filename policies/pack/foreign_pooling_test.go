package pack_test

import (
	"strconv"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// pooledForeignStack is the foreign Prisma program on an Enterprise Plus
// db-perf-optimized-N-8 (8 vCPUs: 2 poolers) with max_connections 100
// (allowed floor(95 × 0.80) = 76, 10 of admin slack) and 50 instances ×
// connection_limit 10 = 500 clients (1,000 in a rollout). cfg is the pool
// config in the shape of a pulumi-gcp ≥ 8.30 program (nil: none).
func pooledForeignStack(key string, cfg any) []policyx.AnalyzerResource {
	inst := pt.ForeignInstance()
	settings := inst["settings"].(map[string]any)
	settings["tier"] = "db-perf-optimized-N-8"
	settings["edition"] = "ENTERPRISE_PLUS"
	settings["databaseFlags"] = []any{map[string]any{"name": "max_connections", "value": "100"}}
	if cfg != nil {
		settings[key] = cfg
	}
	return []policyx.AnalyzerResource{
		pt.Resource(pt.TypeConnector, "conn", pt.ForeignConnector()),
		pt.Resource(pt.TypeSQLInstance, "db", inst),
		pt.Resource(pt.TypeRunService, "api", pt.ForeignService(50, map[string]any{"DATABASE_URL": pt.PrismaURL("10")}, nil)),
	}
}

func mcpConfig(maxPool, maxClients int) map[string]any {
	return map[string]any{"connectionPoolingEnabled": true, "flags": []any{
		map[string]any{"name": "max_pool_size", "value": strconv.Itoa(maxPool)},
		map[string]any{"name": "max_client_connections", "value": strconv.Itoa(maxClients)},
		map[string]any{"name": "pool_mode", "value": "transaction"},
	}}
}

// Without pooling the program is refused (510 > 76, and its rollout's
// storm meets 500 held connections on 95 usable slots); with Managed
// Connection Pooling its server connections are 2 poolers × max_pool_size
// 30 = 60 + 10 = 70 ≤ 76 in every scenario, and its rollout's 1,000
// clients fit 2 × max_client_connections 500 exactly: it passes, in both
// shapes of the config. One client connection fewer per pooler, or a
// max_pool_size whose server connections pass 76, is refused.
func TestForeignManagedPooling(t *testing.T) {
	storm := []string{pack.PolicyConnectionBudget, pack.PolicyColdStartSuccess, pack.PolicyTimeoutBudget}
	tests := []struct {
		name    string
		key     string
		cfg     any
		refused map[string]string // policy → a message it must carry; empty: passes
	}{
		{"no pooling", "", nil, map[string]string{
			pack.PolicyConnectionBudget: "cold-start: connection demand 510 (api (us-central1) 50×10=500 + admin slack 10) exceeds allowed 76",
			pack.PolicyColdStartSuccess: "rollout/api: predicted storm success 0.0% (0 of 50 instances ready)",
			pack.PolicyTimeoutBudget:    "slot exhaustion: 50 startup connections + 500 already held > 95 usable slots on db"}},
		{"connectionPoolConfigs (list)", "connectionPoolConfigs", []any{mcpConfig(30, 500)}, nil},
		{"connectionPoolConfig (object)", "connectionPoolConfig", mcpConfig(30, 500), nil},
		{"server connections one pool over", "connectionPoolConfigs", []any{mcpConfig(34, 500)}, map[string]string{
			pack.PolicyConnectionBudget: "cold-start: server connection demand through 2 Managed Connection Pooling poolers (each service min(its clients, 2 poolers × max_pool_size = 68)) 78 (api (us-central1) min(50×10, 68)=68 + admin slack 10) exceeds allowed 76"}},
		{"rollout clients one over", "connectionPoolConfigs", []any{mcpConfig(30, 499)}, map[string]string{
			pack.PolicyConnectionBudget: "rollout/api: 1000 client connections exceed the 998 Managed Connection Pooling accepts = 2 poolers (vCPU ÷ 4) × max_client_connections 499; raise max_client_connections to ≥ 500 (fixes rollout/api)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := evalForeign(t, pooledForeignStack(tt.key, tt.cfg), pack.DefaultConfig())
			for _, p := range storm {
				got := mandatoryOf(res, p)
				want, refused := tt.refused[p]
				if !refused {
					assert.Empty(t, got, "%s: %s", p, messages(res, p))
					continue
				}
				require.NotEmpty(t, got, p)
				assert.Contains(t, messages(res, p), want)
			}
			assert.Empty(t, mandatoryOf(res, pack.PolicyCapacityModel), messages(res, pack.PolicyCapacityModel))
		})
	}
}
