package pack_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

func intp(n int) *int { return &n }

// TestServiceOverrides: the pack config and the service's own annotations
// and labels state the demand of a service whose code sets its pool; the
// pack config wins over the resource, Headroom's DB_* contract over both.
func TestServiceOverrides(t *testing.T) {
	// Prisma's connection_limit=10 at 50 instances: refused unless an
	// override says 1 connection at 30.
	base := func() map[string]any {
		return pt.ForeignService(30, map[string]any{"DATABASE_URL": pt.PrismaURL("10")}, nil)
	}
	withCfg := func(o pack.ServiceOverride) pack.Config {
		c := pack.DefaultConfig()
		c.Services = map[string]pack.ServiceOverride{"api": o}
		return c
	}
	cases := []struct {
		name    string
		svc     func() map[string]any
		cfg     pack.Config
		perInst int
		db      string
		note    string
	}{
		{name: "no override", svc: base, cfg: pack.DefaultConfig(), perInst: 10, db: "db"},
		{name: "config pool", svc: base, cfg: withCfg(pack.ServiceOverride{PoolSize: intp(1)}), perInst: 1, db: "db"},
		{name: "config processes and overflow", svc: base, cfg: withCfg(pack.ServiceOverride{PoolSize: intp(1), MaxOverflow: intp(1), Processes: intp(3)}),
			perInst: 6, db: "db"},
		{name: "annotation pool", svc: func() map[string]any {
			m := base()
			m["annotations"] = map[string]any{"headroom.dev/pool-size": "1"}
			return m
		}, cfg: pack.DefaultConfig(), perInst: 1, db: "db"},
		{name: "label processes", svc: func() map[string]any {
			m := base()
			m["labels"] = map[string]any{"headroom-processes": "2", "headroom-pool-size": "1"}
			return m
		}, cfg: pack.DefaultConfig(), perInst: 2, db: "db"},
		{name: "config wins over annotation", svc: func() map[string]any {
			m := base()
			m["annotations"] = map[string]any{"headroom.dev/pool-size": "7"}
			return m
		}, cfg: withCfg(pack.ServiceOverride{PoolSize: intp(2)}), perInst: 2, db: "db"},
		{name: "bad annotation ignored and named", svc: func() map[string]any {
			m := base()
			m["annotations"] = map[string]any{"headroom.dev/pool-size": "0"}
			return m
		}, cfg: pack.DefaultConfig(), perInst: 10, db: "db", note: "annotation headroom.dev/pool-size must be an integer ≥ 1, is 0; ignored"},
		{name: "database override for an outside address", svc: func() map[string]any {
			return pt.ForeignService(30, map[string]any{"DATABASE_URL": "postgresql://app@10.9.9.9/app?connection_limit=1"}, nil)
		}, cfg: withCfg(pack.ServiceOverride{Database: "p:us-central1:db"}), perInst: 1, db: "db"},
		{name: "DB_* contract wins", svc: func() map[string]any {
			return pt.ForeignService(30, map[string]any{"DB_POOL_SIZE": "2", "DB_MAX_OVERFLOW": "0", "DB_STARTUP_CONNECTIONS": "1",
				"DB_CONNECT_TIMEOUT_SECONDS": "10", "DB_HOST": "10.0.0.3"}, nil)
		}, cfg: withCfg(pack.ServiceOverride{PoolSize: intp(9)}), perInst: 2, db: "db"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := evalForeign(t, pt.ForeignStack(c.svc()), c.cfg)
			require.Len(t, res.Topology.Workloads, 1, "%s", messages(res, pack.PolicyDemandReadable))
			w := res.Topology.Workloads[0]
			assert.Equal(t, c.perInst, w.ConnectionsPerInstance())
			assert.Equal(t, c.db, w.Database)
			if c.note != "" {
				assert.Contains(t, messages(res, pack.PolicyDemandReadable), c.note)
			}
		})
	}
}

// TestServiceOverrideConfig: the overrides and stagingStacks in the
// policy-pack config, and their errors naming the key.
func TestServiceOverrideConfig(t *testing.T) {
	cfg, err := pack.ParseConfig([]byte(`{"capacity-model": {"stagingStacks": ["dev-*", "*-staging"],
		"services": {"api": {"poolSize": 3, "processes": 2, "egressMbpsPerInstance": 5, "database": "db"}}}}`))
	require.NoError(t, err)
	require.Contains(t, cfg.Services, "api")
	assert.Equal(t, 3, *cfg.Services["api"].PoolSize)
	assert.Equal(t, "db", cfg.Services["api"].Database)
	for stack, want := range map[string]string{"dev-alice": "staging", "app-staging": "staging", "prod": "production", "devices": "production", "": "production"} {
		assert.Equal(t, want, string(cfg.EnvFor(stack)), stack)
	}
	cfg.Environment = "production"
	assert.Equal(t, "production", string(cfg.EnvFor("dev-alice")), "an explicit environment wins")

	for in, want := range map[string]string{
		`{"capacity-model": {"services": {"api": {"poolSize": 0}}}}`:   "capacity-model.services.api.poolSize: want a whole number ≥ 1, got 0",
		`{"capacity-model": {"services": {"api": {"pool": 3}}}}`:       `unknown key "pool"`,
		`{"capacity-model": {"services": {"api": {"processes": -1}}}}`: "capacity-model.services.api.processes: want a whole number ≥ 1, got -1",
		`{"capacity-model": {"stagingStacks": ["[dev"]}}`:              "capacity-model.stagingStacks[0]: want a stack-name glob",
		`{"capacity-model": {"services": {"api": {"poolSize": "3"}}}}`: "want int",
	} {
		_, err := pack.ParseConfig([]byte(in))
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
}

// TestStagingStacksPattern: a stack whose name matches stagingStacks is
// judged as staging (no multi-region requirement), any other as production.
func TestStagingStacksPattern(t *testing.T) {
	cfg := pack.DefaultConfig()
	cfg.StagingStacks = []string{"test"}
	rs := pt.ForeignStack(pt.ForeignService(3, map[string]any{"DATABASE_URL": pt.PrismaURL("1")}, nil))
	res := evalForeign(t, rs, cfg) // the fixture's stack is "test"
	assert.Empty(t, mandatoryOf(res, pack.PolicyMultiRegion))
	assert.Equal(t, "staging", string(res.Topology.Environment))
	cfg.StagingStacks = []string{"dev-*"}
	res = evalForeign(t, rs, cfg)
	assert.NotEmpty(t, mandatoryOf(res, pack.PolicyMultiRegion))
}

// TestProviderShapes: graphs from pulumi-gcp v7 through v10 where the
// shapes differ — ports a list (v7) or an object (v8+), requireSsl (v7)
// or sslMode only (v8+), connector throughput defaults (v7) or none (v8+),
// the service-level scaling.maxInstanceCount (v9+).
func TestProviderShapes(t *testing.T) {
	svc := func(edit func(m map[string]any)) []policyx.AnalyzerResource {
		m := pt.ForeignService(50, map[string]any{"DATABASE_URL": pt.PrismaURL("10")}, nil)
		if edit != nil {
			edit(m)
		}
		return pt.ForeignStack(m)
	}
	withInstance := func(rs []policyx.AnalyzerResource, edit func(m map[string]any)) []policyx.AnalyzerResource {
		m := pt.ForeignInstance()
		edit(m)
		rs[1] = pt.Resource(pt.TypeSQLInstance, "db", m)
		return rs
	}
	withConnector := func(rs []policyx.AnalyzerResource, edit func(m map[string]any)) []policyx.AnalyzerResource {
		m := pt.ForeignConnector()
		edit(m)
		rs[0] = pt.Resource(pt.TypeConnector, "conn", m)
		return rs
	}
	cases := []struct {
		name    string
		rs      []policyx.AnalyzerResource
		maxInst int
		sslFail bool
		connMax int
	}{
		{name: "v7 ports list", maxInst: 50, connMax: 3, rs: svc(func(m map[string]any) {
			pt.Set(m, "template.containers[0].ports", []any{map[string]any{"containerPort": 8080, "name": "http1"}})
		})},
		{name: "v8 ports object", maxInst: 50, connMax: 3, rs: svc(func(m map[string]any) {
			pt.Set(m, "template.containers[0].ports", map[string]any{"containerPort": 8080, "name": "http1"})
		})},
		{name: "v7 requireSsl true", maxInst: 50, connMax: 3, rs: withInstance(svc(nil), func(m map[string]any) {
			pt.Delete(m, "settings.ipConfiguration.sslMode")
			pt.Set(m, "settings.ipConfiguration.requireSsl", true)
		})},
		{name: "v8 no sslMode", maxInst: 50, connMax: 3, sslFail: true, rs: withInstance(svc(nil), func(m map[string]any) {
			pt.Delete(m, "settings.ipConfiguration.sslMode")
		})},
		{name: "v7 connector throughput defaults", maxInst: 50, connMax: 3, rs: withConnector(svc(nil), func(m map[string]any) {
			delete(m, "minInstances")
			delete(m, "maxInstances")
			m["minThroughput"], m["maxThroughput"] = 200, 300
		})},
		{name: "v8 connector without throughput", maxInst: 50, connMax: 10, rs: withConnector(svc(nil), func(m map[string]any) {
			m["maxInstances"] = 10
		})},
		{name: "v9 service-level max only", maxInst: 40, connMax: 3, rs: svc(func(m map[string]any) {
			pt.Delete(m, "template.scaling.maxInstanceCount")
			m["scaling"] = map[string]any{"maxInstanceCount": 40}
		})},
		{name: "v9 service-level max below the revision's", maxInst: 20, connMax: 3, rs: svc(func(m map[string]any) {
			m["scaling"] = map[string]any{"maxInstanceCount": 20, "minInstanceCount": 0}
		})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := evalForeign(t, c.rs, pack.DefaultConfig())
			require.Len(t, res.Topology.Workloads, 1)
			assert.Equal(t, c.maxInst, res.Topology.Workloads[0].MaxInstances)
			assert.NotEmpty(t, mandatoryOf(res, pack.PolicyConnectionBudget), "10 per instance never fits 76")
			assert.Empty(t, mandatoryOf(res, pack.PolicyRunMaxInstances), "the cap is explicit in every shape")
			assert.Equal(t, c.sslFail, len(mandatoryOf(res, pack.PolicySQLSSLRequired)) > 0)
			require.Len(t, res.Topology.Egress, 1)
			assert.Equal(t, c.connMax, res.Topology.Egress[0].MaxInstances)
		})
	}
}
