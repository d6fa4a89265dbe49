package pack_test

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		check   func(t *testing.T, c pack.Config)
		wantErr string
	}{
		{name: "empty", in: "", check: func(t *testing.T, c pack.Config) {
			assert.Equal(t, capacity.EnvProduction, c.Env())
			assert.Equal(t, pack.LevelMandatory, c.Level(pack.PolicyConnectionBudget))
		}},
		{name: "shared settings", in: `{"capacity-model": {"environment": "staging",
			"targets": {"startupSuccessRate": 0.95, "connectP99Seconds": 20, "connectionUtilization": 0.7},
			"assumptions": {"connectorScaleOutSeconds": 12.5, "reservedConnections": 6, "seed": 7}}}`,
			check: func(t *testing.T, c pack.Config) {
				assert.Equal(t, capacity.EnvStaging, c.Env())
				assert.Equal(t, capacity.Targets{StartupSuccessRate: 0.95, ConnectP99Seconds: 20, ConnectionUtilization: 0.7}, c.Targets)
				assert.Equal(t, 12.5, c.Assumptions.ConnectorScaleOutSeconds)
				assert.Equal(t, 6, c.Assumptions.ReservedConnections)
				assert.Equal(t, int64(7), c.Assumptions.Seed)
			}},
		{name: "levels", in: `{"sql-maintenance-window": "mandatory", "connection-budget": {"enforcementLevel": "advisory"}}`,
			check: func(t *testing.T, c pack.Config) {
				assert.Equal(t, pack.LevelMandatory, c.Level(pack.PolicySQLMaintenance))
				assert.Equal(t, pack.LevelAdvisory, c.Level(pack.PolicyConnectionBudget))
			}},
		{name: "all", in: `{"all": "advisory", "cidr-overlap": "mandatory"}`, check: func(t *testing.T, c pack.Config) {
			assert.Equal(t, pack.LevelAdvisory, c.Level(pack.PolicyConnectionBudget))
			assert.Equal(t, pack.LevelMandatory, c.Level(pack.PolicyCIDROverlap))
		}},
		{name: "version 2", in: `{"version": 2, "policies": {"capacity-model": {"environment": "staging"}}, "exceptions": []}`,
			check: func(t *testing.T, c pack.Config) { assert.Equal(t, capacity.EnvStaging, c.Env()) }},
		{name: "version 2 without policies", in: `{"version": 2}`,
			check: func(t *testing.T, c pack.Config) {
				assert.Equal(t, pack.LevelMandatory, c.Level(pack.PolicyConnectionBudget))
			}},
		{name: "version 2 policies not an object", in: `{"version": 2, "policies": "all"}`, wantErr: "policies: want an object, got"},
		{name: "version 3", in: `{"version": 3}`, wantErr: "version: want 2, got 3"},
		// Bounds of the model settings, at and just past each edge.
		// Success passes strictly above its target: 1 could never be met.
		{name: "rate exactly 1", in: `{"capacity-model": {"targets": {"startupSuccessRate": 1}}}`, wantErr: "must be a number in (0, 1), got 1"},
		{name: "rate just under 1", in: `{"capacity-model": {"targets": {"startupSuccessRate": 0.999}}}`,
			check: func(t *testing.T, c pack.Config) { assert.Equal(t, 0.999, c.Targets.StartupSuccessRate) }},
		{name: "p99 5000 refused as by config validation", in: `{"capacity-model": {"targets": {"connectP99Seconds": 5000}}}`, wantErr: "capacity-model.targets.connectP99Seconds: must be a number in (0, 3600], got 5000"},
		{name: "rate 0", in: `{"capacity-model": {"targets": {"startupSuccessRate": 0}}}`, wantErr: "must be a number in (0, 1), got 0"},
		{name: "p99 at its maximum", in: `{"capacity-model": {"targets": {"connectP99Seconds": 3600}}}`,
			check: func(t *testing.T, c pack.Config) { assert.Equal(t, 3600.0, c.Targets.ConnectP99Seconds) }},
		{name: "p99 above its maximum", in: `{"capacity-model": {"targets": {"connectP99Seconds": 3600.5}}}`, wantErr: "must be a number in (0, 3600], got 3600.5"},
		{name: "scale-out 0 allowed", in: `{"capacity-model": {"assumptions": {"connectorScaleOutSeconds": 0}}}`,
			check: func(t *testing.T, c pack.Config) { assert.Equal(t, 0.0, c.Assumptions.ConnectorScaleOutSeconds) }},
		{name: "handshake 0 refused", in: `{"capacity-model": {"assumptions": {"handshakeSeconds": 0}}}`, wantErr: "handshakeSeconds: must be a number in (0, 3600], got 0"},
		{name: "reserved at its maximum", in: `{"capacity-model": {"assumptions": {"reservedConnections": 100000}}}`,
			check: func(t *testing.T, c pack.Config) { assert.Equal(t, 100000, c.Assumptions.ReservedConnections) }},
		{name: "reserved 0", in: `{"capacity-model": {"assumptions": {"reservedConnections": 0}}}`,
			check: func(t *testing.T, c pack.Config) { assert.Equal(t, 0, c.Assumptions.ReservedConnections) }},
		{name: "reserved above its maximum", in: `{"capacity-model": {"assumptions": {"reservedConnections": 100001}}}`, wantErr: "reservedConnections: must be a whole number in [0, 100000], got 100001"},
		{name: "reserved not whole", in: `{"capacity-model": {"assumptions": {"reservedConnections": 1.5}}}`, wantErr: "must be a whole number in [0, 100000], got 1.5"},
		{name: "seed", in: `{"capacity-model": {"assumptions": {"seed": 42}}}`,
			check: func(t *testing.T, c pack.Config) { assert.Equal(t, int64(42), c.Assumptions.Seed) }},
		{name: "seed 2^53", in: `{"capacity-model": {"assumptions": {"seed": 9007199254740992}}}`,
			check: func(t *testing.T, c pack.Config) { assert.Equal(t, int64(1)<<53, c.Assumptions.Seed) }},
		{name: "seed above 2^53", in: `{"capacity-model": {"assumptions": {"seed": 18014398509481984}}}`, wantErr: "seed: must be a whole number"},
		{name: "seed not whole", in: `{"capacity-model": {"assumptions": {"seed": 4.2}}}`, wantErr: "seed: must be a whole number in [-9007199254740992, 9007199254740992], got 4.2"},
		{name: "not json", in: `{`, wantErr: "policy-pack config: want a JSON object"},
		{name: "unknown policy", in: `{"conection-budget": "advisory"}`, wantErr: "conection-budget: unknown policy"},
		{name: "bad level", in: `{"cidr-overlap": "warn"}`, wantErr: `cidr-overlap: want advisory, mandatory or disabled, got "warn"`},
		{name: "remediate", in: `{"cidr-overlap": "remediate"}`, wantErr: "not supported by this pack"},
		{name: "bad env", in: `{"capacity-model": {"environment": "prod"}}`, wantErr: `capacity-model.environment: want staging or production, got "prod"`},
		{name: "typo key", in: `{"capacity-model": {"target": {}}}`, wantErr: `capacity-model: unknown key "target"`},
		{name: "wrong type", in: `{"capacity-model": {"targets": {"startupSuccessRate": "high"}}}`, wantErr: "targets.startupSuccessRate: want float64"},
		{name: "rate above 1", in: `{"capacity-model": {"targets": {"startupSuccessRate": 1.5}}}`,
			wantErr: "capacity-model.targets.startupSuccessRate: must be a number in (0, 1), got 1.5"},
		{name: "negative slack", in: `{"capacity-model": {"assumptions": {"adminSlackConnections": -1}}}`,
			wantErr: "assumptions.adminSlackConnections: must be a whole number in [0, 100000], got -1"},
		{name: "props on other policy", in: `{"connection-budget": {"utilization": 0.5}}`, wantErr: `connection-budget.utilization: unknown key`},
		{name: "array value", in: `{"connection-budget": []}`, wantErr: "connection-budget: want a level string or an object, got an array"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := pack.ParseConfig([]byte(c.in))
			if c.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.wantErr)
				assert.NotContains(t, err.Error(), "\n", "one-line error")
				return
			}
			require.NoError(t, err)
			c.check(t, cfg)
		})
	}
}

// TestShippedConfigs: the example configs parse and match the stacks.
func TestShippedConfigs(t *testing.T) {
	for env, rate := range map[string]float64{"staging": 0.90, "production": 0.999} {
		data, err := os.ReadFile(filepath.Join("..", "config", env+".json"))
		require.NoError(t, err)
		cfg, err := pack.ParseConfig(data)
		require.NoError(t, err, env)
		assert.Equal(t, capacity.Environment(env), cfg.Env())
		assert.Equal(t, rate, cfg.Targets.StartupSuccessRate)
		assert.Equal(t, 0.80, cfg.Targets.ConnectionUtilization)
	}
}

func TestCatalog(t *testing.T) {
	names := map[string]bool{}
	policies := pack.Policies(pack.DefaultConfig())
	require.Len(t, policies, len(pack.Catalog()))
	for i, info := range pack.Catalog() {
		assert.False(t, names[info.Name], "duplicate %s", info.Name)
		names[info.Name] = true
		assert.Regexp(t, `^[a-z0-9]+(-[a-z0-9]+)*$`, info.Name)
		assert.NotEmpty(t, info.Description)
		assert.Contains(t, []string{pack.LevelAdvisory, pack.LevelMandatory}, info.Level)
		assert.Equal(t, info.Name, policies[i].Name())
		if info.Kind == pack.KindResource {
			assert.NotEmpty(t, info.Types, info.Name)
		}
	}
	// Every capacity check is reported by a policy of the same name.
	for _, check := range []string{capacity.CheckConnectionBudget, capacity.CheckReplicaParity, capacity.CheckColdStartSuccess,
		capacity.CheckTimeoutBudget, capacity.CheckEgressHeadroom, capacity.CheckDirectEgressIPs, capacity.CheckAdminAPIQuota,
		capacity.CheckBuiltinConnCap, capacity.CheckMultiRegion} {
		assert.True(t, names[check], check)
	}
	_, err := pack.New(pack.DefaultConfig())
	require.NoError(t, err)
	yaml, err := os.ReadFile(filepath.Join("..", "PulumiPolicy.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(yaml), "version: "+pack.Version)
	assert.Contains(t, string(yaml), "runtime: go")
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `{"capacity-model": {"environment": "staging"}}`, `{"version": 2, "policies": {}}`,
		`{"all": "mandatory"}`, `{"capacity-model": {"targets": {"startupSuccessRate": 0.9}, "assumptions": {"seed": 1e300}}}`,
		`{"version": "x"}`, `[]`, `null`, `{"capacity-model": null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := pack.ParseConfig(data)
		if err == nil {
			_ = cfg.Env()
			for _, p := range pack.Catalog() {
				assert.Contains(t, []string{pack.LevelAdvisory, pack.LevelMandatory, pack.LevelDisabled}, cfg.Level(p.Name))
			}
		}
	})
}

// fuzzValue builds an arbitrary property value from fuzz bytes: every
// shape the engine may send (null, bool, number, string, computed, secret,
// nested arrays and maps).
func fuzzValue(data []byte, depth int) (property.Value, []byte) {
	if len(data) == 0 {
		return property.Value{}, data
	}
	b, data := data[0], data[1:]
	var v property.Value
	switch b % 9 {
	case 0:
		v = property.Value{}
	case 1:
		v = property.New(b%2 == 0)
	case 2:
		v = property.New(float64(int8(b)) * 1.5)
	case 3:
		n := int(b) % 6
		if n > len(data) {
			n = len(data)
		}
		v, data = property.New(string(data[:n])), data[n:]
	case 4:
		v = property.New(property.Computed)
	case 5:
		v = property.New("[secret]")
	case 6:
		v = property.New([]string{"10", "-1", "abc", "10.100.0.3", "0.0.0.0/0", "on"}[int(b)%6])
	case 7, 8:
		if depth > 3 {
			return property.New("x"), data
		}
		n := int(b) % 4
		if b%9 == 7 {
			arr := make([]property.Value, 0, n)
			for i := 0; i < n; i++ {
				var e property.Value
				e, data = fuzzValue(data, depth+1)
				arr = append(arr, e)
			}
			v = property.New(arr)
		} else {
			keys := []string{"name", "value", "tier", "envs", "containers", "scaling", "maxInstanceCount", "settings", "databaseFlags"}
			m := map[string]property.Value{}
			for i := 0; i < n; i++ {
				var e property.Value
				e, data = fuzzValue(data, depth+1)
				m[keys[(int(b)+i)%len(keys)]] = e
			}
			v = property.New(m)
		}
	}
	if b%5 == 0 {
		v = v.WithSecret(true)
	}
	return v, data
}

// FuzzExtractTopology replaces properties of the incident fixture at known
// paths with arbitrary values: missing, ill-typed, unknown and secret
// values must never panic, and Evaluate must still return a result.
func FuzzExtractTopology(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{4, 4, 4, 4, 4, 4, 4, 4})
	f.Add([]byte{5, 9, 14, 23, 32, 41, 50, 200, 255, 7, 8, 3, 3})
	f.Add([]byte("settings.databaseFlags"))
	paths := []string{
		"name", "region", "location", "settings", "settings.tier", "settings.databaseFlags", "settings.ipConfiguration",
		"template", "template.scaling.maxInstanceCount", "template.containers", "template.vpcAccess",
		"template.vpcAccess.connector", "template.vpcAccess.networkInterfaces", "annotations", "labels",
		"minInstances", "machineType", "ipCidrRange", "masterInstanceName", "privateIpAddress", "ipAddresses",
		"template.volumes", "settings.backupConfiguration", "address", "prefixLength",
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := pt.Incident()
		rs := s.Resources()
		for len(data) > 2 {
			ri := int(data[0]) % len(rs)
			path := paths[int(data[1])%len(paths)]
			var v property.Value
			v, data = fuzzValue(data[2:], 0)
			rs[ri].Properties = setPath(rs[ri].Properties, path, v)
		}
		_, _ = pack.ExtractTopology(rs, stagingCfg())
		res, err := pack.Evaluate(rs, stagingCfg())
		require.NoError(t, err)
		for _, v := range res.Violations {
			assert.NotEmpty(t, v.Message)
		}
		for _, r := range rs {
			m := &pt.Manager{}
			for _, p := range pack.Policies(stagingCfg()) {
				if rp, ok := p.(policyx.ResourceValidationPolicy); ok {
					require.NoError(t, rp.Validate(t.Context(), policyx.ResourceValidationArgs{Manager: m, Resource: r}))
				}
			}
		}
	})
}

// setPath sets a dotted path in a property map (maps only).
func setPath(m property.Map, path string, v property.Value) property.Map {
	head, rest, nested := cut(path)
	if !nested {
		return m.Set(head, v)
	}
	inner := property.Map{}
	if cur, ok := m.GetOk(head); ok && cur.IsMap() {
		inner = cur.AsMap()
	}
	return m.Set(head, property.New(setPath(inner, rest, v)))
}

func cut(path string) (string, string, bool) {
	for i := 0; i < len(path); i++ {
		if path[i] == '.' {
			return path[:i], path[i+1:], true
		}
	}
	return path, "", false
}

// TestDocsListEveryPolicy keeps the README's policy list in step with the catalog.
func TestDocsListEveryPolicy(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	doc := string(data)
	for _, p := range pack.Catalog() {
		assert.Contains(t, doc, "| `"+p.Name+"` | "+string(p.Kind)+" | "+p.Level, "README.md must list %s with its level", p.Name)
		assert.True(t, strings.Contains(doc, " | "+p.Description+" | "), "README.md must list %s with the catalog's description:\n%s", p.Name, p.Description)
	}
}

// TestServiceOverrideBounds: each per-service override at its edge and just
// past it; an unset one is never judged.
func TestServiceOverrideBounds(t *testing.T) {
	cases := []struct {
		override string
		wantErr  string
	}{
		{`"poolSize": 1`, ""},
		{`"poolSize": 0`, "api.poolSize: want a whole number ≥ 1, got 0"},
		{`"poolSize": 100000`, ""},
		{`"poolSize": 100001`, "api.poolSize: want a whole number ≥ 1, got 100001"},
		{`"maxOverflow": 0`, ""},
		{`"maxOverflow": -1`, "api.maxOverflow: want a whole number ≥ 0, got -1"},
		{`"processes": 1`, ""},
		{`"processes": 0`, "api.processes: want a whole number ≥ 1, got 0"},
		{`"startupConnections": 0`, ""},
		{`"startupConnections": 100001`, "api.startupConnections: want a whole number ≥ 0, got 100001"},
		{`"egressMbpsPerInstance": 0`, ""},
		{`"egressMbpsPerInstance": -0.5`, "api.egressMbpsPerInstance: want a number ≥ 0, got -0.5"},
	}
	for _, c := range cases {
		t.Run(c.override, func(t *testing.T) {
			_, err := pack.ParseConfig([]byte(`{"capacity-model": {"services": {"api": {` + c.override + `}}}}`))
			if c.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.wantErr)
		})
	}
}

// TestRetryPairBounds: retryMaxSeconds must be ≥ retryInitialSeconds, each
// compared with the other's default when only one is set; equal passes.
func TestRetryPairBounds(t *testing.T) {
	initial, maxS := float64(capacity.DefaultRetryInitialSeconds), float64(capacity.DefaultRetryMaxSeconds)
	cases := []struct {
		assumptions string
		wantErr     bool
	}{
		{fmt.Sprintf(`"retryInitialSeconds": %g, "retryMaxSeconds": %g`, 2.0, 2.0), false},
		{fmt.Sprintf(`"retryInitialSeconds": %g, "retryMaxSeconds": %g`, 2.0, 1.5), true},
		{fmt.Sprintf(`"retryInitialSeconds": %g`, maxS), false},
		{fmt.Sprintf(`"retryInitialSeconds": %g`, maxS+0.5), true},
		{fmt.Sprintf(`"retryMaxSeconds": %g`, initial), false},
	}
	for _, c := range cases {
		t.Run(c.assumptions, func(t *testing.T) {
			cfg, err := pack.ParseConfig([]byte(`{"capacity-model": {"assumptions": {` + c.assumptions + `}}}`))
			if c.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "retryMaxSeconds")
				assert.Contains(t, err.Error(), "must be ≥ retryInitialSeconds")
				return
			}
			require.NoError(t, err)
			assert.GreaterOrEqual(t, cmp.Or(cfg.Assumptions.RetryMaxSeconds, maxS), cmp.Or(cfg.Assumptions.RetryInitialSeconds, initial))
		})
	}
}
