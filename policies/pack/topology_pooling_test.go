package pack

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// pooledInstance is instance "db" in the pulumi-gcp ≥ 8.30 shape with
// Managed Connection Pooling: 8 vCPUs (2 poolers), the given edition and
// pool config (nil: none).
func pooledInstance(edition string, poolCfg any) map[string]any {
	props := topoInstance("db", "10.100.0.3")
	settings := props["settings"].(map[string]any)
	settings["tier"] = "db-perf-optimized-N-8"
	settings["edition"] = edition
	if poolCfg != nil {
		settings["connectionPoolConfigs"] = poolCfg
	}
	return props
}

func poolCfg(enabled bool, flags map[string]string) []any {
	var fs []any
	for k, v := range flags {
		fs = append(fs, map[string]any{"name": k, "value": v})
	}
	return []any{map[string]any{"connectionPoolingEnabled": enabled, "flags": fs}}
}

// The service "api" holds 10 instances × (5 + 2) = 70 clients; 2 poolers.
func TestManagedPoolingJudged(t *testing.T) {
	ep := capacity.EditionEnterprisePlus
	cases := []struct {
		name      string
		props     map[string]any
		issue     string // "" none
		mandatory bool
		unknown   bool
	}{
		{"no pooling", pooledInstance(ep, nil), "", false, false},
		{"disabled", pooledInstance(ep, poolCfg(false, nil)), "", false, false},
		{"clients fit: 70 ≤ 2 × 35", pooledInstance(ep, poolCfg(true, map[string]string{"max_client_connections": "35", "max_pool_size": "10"})), "", false, false},
		{"clients over: 70 > 2 × 34", pooledInstance(ep, poolCfg(true, map[string]string{"max_client_connections": "34", "max_pool_size": "10"})),
			"70 clients against 2 poolers × 34 = 68", true, false},
		{"client flag unset: said, advisory", pooledInstance(ep, poolCfg(true, map[string]string{"max_pool_size": "10"})),
			"max_client_connections unset", false, false},
		{"object shape of connectionPoolConfig", func() map[string]any {
			p := pooledInstance(ep, nil)
			p["settings"].(map[string]any)["connectionPoolConfig"] = map[string]any{"connectionPoolingEnabled": true,
				"flags": []any{map[string]any{"name": "max_client_connections", "value": "34"}}}
			return p
		}(), "68", true, false},
		{"Enterprise edition", pooledInstance(capacity.EditionEnterprise, poolCfg(true, nil)), "needs Enterprise Plus", true, false},
		{"bad flag", pooledInstance(ep, poolCfg(true, map[string]string{"max_pool_size": "lots"})), "max_pool_size: want an integer", true, false},
		{"unknown", pooledInstance(ep, []any{map[string]any{"connectionPoolingEnabled": pt.Computed}}), "", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ex := topoExtract(
				pt.Resource(TypeSQLInstance, "db", tc.props),
				pt.Resource(TypeConnector, "conn", topoConnector("conn", topoRegion)),
				pt.Resource(TypeRunService, "api", topoService()),
			)
			require.Len(t, ex.topo.Workloads, 1)
			var found *issue
			for i := range ex.issues {
				if strings.Contains(ex.issues[i].msg, "Managed Connection Pooling") {
					found = &ex.issues[i]
				}
			}
			if tc.issue == "" {
				assert.Nil(t, found, "%+v", found)
			} else {
				require.NotNil(t, found, "%+v", ex.issues)
				assert.Contains(t, found.msg, tc.issue)
				assert.Equal(t, !tc.mandatory, found.advisory)
			}
			gotUnknown := false
			for _, u := range ex.unknowns {
				if u.Path == "settings.connectionPoolConfigs" {
					gotUnknown = true
				}
			}
			assert.Equal(t, tc.unknown, gotUnknown)
		})
	}
}
