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

// The extraction sets the instance's pooling for the capacity model when it
// is on and its edition has it; otherwise the instance is judged unpooled,
// with a mandatory finding when Google rejects it. Both shapes read: the
// list settings.connectionPoolConfigs and the object
// settings.connectionPoolConfig.
func TestManagedPoolingRead(t *testing.T) {
	ep := capacity.EditionEnterprisePlus
	cases := []struct {
		name    string
		props   map[string]any
		pooling *capacity.ManagedPooling
		issue   string // "" none; otherwise a mandatory finding
		unknown bool
	}{
		{"no pooling", pooledInstance(ep, nil), nil, "", false},
		{"disabled", pooledInstance(ep, poolCfg(false, nil)), nil, "", false},
		{"list shape", pooledInstance(ep, poolCfg(true, map[string]string{"max_client_connections": "35", "max_pool_size": "10"})),
			&capacity.ManagedPooling{Enabled: true, MaxClientConnections: 35, MaxPoolSize: 10}, "", false},
		{"flags unset", pooledInstance(ep, poolCfg(true, nil)), &capacity.ManagedPooling{Enabled: true}, "", false},
		{"object shape of connectionPoolConfig", func() map[string]any {
			p := pooledInstance(ep, nil)
			p["settings"].(map[string]any)["connectionPoolConfig"] = map[string]any{"connectionPoolingEnabled": true,
				"flags": []any{map[string]any{"name": "max_client_connections", "value": "34"}}}
			return p
		}(), &capacity.ManagedPooling{Enabled: true, MaxClientConnections: 34}, "", false},
		{"Enterprise edition", pooledInstance(capacity.EditionEnterprise, poolCfg(true, nil)), nil,
			"db: Managed Connection Pooling is enabled on a ENTERPRISE instance; it needs Enterprise Plus, so Google rejects it", false},
		{"bad flag", pooledInstance(ep, poolCfg(true, map[string]string{"max_pool_size": "lots"})), nil,
			"db: Managed Connection Pooling: connection pool flag max_pool_size: want an integer ≥ 1, got \"lots\"", false},
		{"unknown", pooledInstance(ep, []any{map[string]any{"connectionPoolingEnabled": pt.Computed}}), nil, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ex := topoExtract(
				pt.Resource(TypeSQLInstance, "db", tc.props),
				pt.Resource(TypeConnector, "conn", topoConnector("conn", topoRegion)),
				pt.Resource(TypeRunService, "api", topoService()),
			)
			require.Len(t, ex.topo.Workloads, 1)
			require.Len(t, ex.topo.Databases, 1, "pooling never leaves the instance out")
			assert.Equal(t, tc.pooling, ex.topo.Databases[0].Pooling)
			var found []issue
			for _, is := range ex.issues {
				if strings.Contains(is.msg, "Managed Connection Pooling") {
					found = append(found, is)
				}
			}
			if tc.issue == "" {
				assert.Empty(t, found)
			} else {
				require.Len(t, found, 1, "%+v", ex.issues)
				assert.Equal(t, tc.issue, strings.SplitN(found[0].msg, " (docs/", 2)[0])
				assert.False(t, found[0].advisory)
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
