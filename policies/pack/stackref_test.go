package pack_test

import (
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// The budget across stacks. A platform stack exports one database, "main"
// (max_connections 205: 200 usable after 5 reserved, 160 allowed at 0.80
// utilization, 10 of them admin slack). App stack app-b's preview holds a
// StackReference to it and the service "api" (5 instances × Prisma's
// connection_limit 5, bound by the private IP in its DATABASE_URL). Its
// rollout keeps the old revision's pools open: 2 × 5 × 5 = 50. So the
// budget holds app-a's demand up to 160 − 10 − 50 = 100.

const refStack = "acme/platform/prod"

func platformExport(appA int) contract.StackExport {
	return contract.StackExport{
		Stack: refStack,
		Databases: []contract.ExportedDatabase{{
			Database: capacity.Database{Name: "main", Region: "us-central1", Tier: "db-custom-4-16384",
				Edition: "ENTERPRISE", Availability: "REGIONAL", MaxConnections: 205},
			ConnectionName: "p:us-central1:main", PrivateIP: "10.0.0.3",
		}},
		Demand: []contract.StackDemand{
			{Stack: "acme/app-a/prod", Database: "main", Connections: appA, Services: []string{"web-us-central1"}},
			// app-b's own entry, as the platform last republished it: the
			// preview counts app-b's live services instead.
			{Stack: "acme/app-b/prod", Database: "main", Connections: 1000},
		},
	}
}

// appB is app-b's preview graph: the reference with the given outputs, a
// connector and the service.
func appB(outputs any) *pt.Stack {
	s := pt.NewStack("app-b", "prod")
	s.Add(contract.TypeStackReference, "platform", map[string]any{
		"name": refStack, "outputs": outputs, "secretOutputNames": []any{},
	})
	s.Add(pt.TypeConnector, "conn", pt.ForeignConnector())
	s.Add(pt.TypeRunService, "api", apiService(map[string]any{"DATABASE_URL": "postgresql://app@10.0.0.3:5432/app?connection_limit=5"}))
	return s
}

// apiService is app-b's service: 5 instances, 1 Mbps each.
func apiService(env map[string]any) map[string]any {
	m := pt.ForeignService(5, env, nil)
	m["annotations"] = map[string]any{contract.AnnotationEgressMbps: "1"}
	return m
}

func exportOutputs(e contract.StackExport) map[string]any {
	return map[string]any{contract.StackRefOutput: contract.EncodeStackExport(e), "networkId": "vpc"}
}

var crossCfg = pack.Config{Environment: capacity.EnvStaging}

// TestBudgetAcrossStacksPreview: app-b's PR is refused only when app-a's
// demand and its own no longer fit: exactly at the budget passes, one more
// connection fails, and the failure names the other stack's share.
func TestBudgetAcrossStacksPreview(t *testing.T) {
	cases := []struct {
		appA    int
		refused bool
	}{
		{0, false},
		{100, false}, // 100 + 50 + 10 = 160 = allowed
		{101, true},  // 161 > 160
		{500, true},
	}
	for _, tc := range cases {
		s := appB(exportOutputs(platformExport(tc.appA)))
		res := evaluate(t, s, crossCfg)
		require.Len(t, res.Topology.Workloads, 1)
		assert.Equal(t, "main", res.Topology.Workloads[0].Database, "the service binds to the exported database by its private IP")
		require.Len(t, res.Topology.Databases, 1)
		db := res.Topology.Databases[0]
		assert.Equal(t, 205, db.MaxConnections)
		// app-b's own old entry (1000) is replaced by its live services,
		// never added.
		assert.Equal(t, []capacity.Consumer{{Name: "stack acme/app-a/prod", Connections: tc.appA}}, db.Consumers)
		budget := mandatoryOf(res, pack.PolicyConnectionBudget)
		assert.Equal(t, tc.refused, len(budget) > 0, "app-a %d: %v", tc.appA, budget)
		if !tc.refused {
			assert.Empty(t, res.Mandatory(), "app-a %d", tc.appA)
		}
		if tc.refused {
			msg := strings.Join(budget, "\n")
			assert.Contains(t, msg, "stack acme/app-a/prod "+itoa(tc.appA), "the other stack's share is named")
			assert.NotContains(t, msg, "acme/app-b/prod")
			for _, v := range res.Mandatory() {
				if v.Policy == pack.PolicyConnectionBudget {
					assert.Equal(t, s.URN(contract.TypeStackReference, "platform"), v.Resource, "reported on the reference that brought the database")
				}
			}
		}
		assert.Empty(t, messages(res, pack.PolicyCapacityModel), "a readable export is no capacity-model finding")
	}
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

// TestStackRefBinding: a service names the exported database by its
// Cloud SQL connection name too; the connection-name binding needs no IP.
func TestStackRefBinding(t *testing.T) {
	e := platformExport(10)
	e.Databases[0].PrivateIP = ""
	s := appB(exportOutputs(e))
	s.Props["api"] = apiService(map[string]any{"DATABASE_URL": "postgresql://app@/app?host=/cloudsql/p:us-central1:main&connection_limit=5"})
	res := evaluate(t, s, crossCfg)
	require.Len(t, res.Topology.Workloads, 1)
	assert.Equal(t, "main", res.Topology.Workloads[0].Database)
}

// TestStackRefUnreadable: an export that is unknown (the preview of a
// stack the engine has not seen) or malformed is reported by
// capacity-model, never a silent pass; a reference that carries no export
// is someone else's and is ignored.
func TestStackRefUnreadable(t *testing.T) {
	bad := exportOutputs(platformExport(10))
	bad[contract.StackRefOutput].(map[string]any)["databases"].([]any)[0].(map[string]any)["tier"] = 4
	cases := []struct {
		name     string
		outputs  any
		want     string
		advisory bool
	}{
		{"outputs unknown", pt.Computed, "cannot verify until known: platform outputs (the demand other stacks hold on its databases is not counted)", true},
		{"export unknown", map[string]any{contract.StackRefOutput: pt.Computed}, "cannot verify until known: platform outputs.headroomCapacity", true},
		{"part unknown", func() any {
			o := exportOutputs(platformExport(10))
			o[contract.StackRefOutput].(map[string]any)["demand"] = []any{pt.Computed}
			return o
		}(), "cannot verify until known: platform outputs.headroomCapacity", true},
		{"redacted secret", map[string]any{contract.StackRefOutput: "[secret]"}, "cannot verify until known: platform outputs.headroomCapacity", true},
		{"malformed", bad, "stack reference acme/platform/prod: headroomCapacity.databases[0].tier: want a string, got a number", false},
		{"not an object", map[string]any{contract.StackRefOutput: "x"}, "headroomCapacity: want an object, got a string", false},
		{"no export", map[string]any{"networkId": "vpc"}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := evaluate(t, appB(tc.outputs), crossCfg)
			assert.Empty(t, res.Topology.Databases, "nothing is imported")
			msgs := messages(res, pack.PolicyCapacityModel)
			if tc.want == "" {
				assert.NotContains(t, msgs, "headroomCapacity")
				assert.NotContains(t, msgs, "stack reference")
				return
			}
			assert.Contains(t, msgs, tc.want)
			if tc.advisory {
				// The service may bind to a database of the export: it
				// is unknown too, and nothing is refused on a guess.
				assert.Contains(t, msgs, "cannot verify until known: api its database (it may be one of stack reference acme/platform/prod's, whose export is not known yet)")
				assert.Empty(t, res.Mandatory())
			} else {
				assert.NotEmpty(t, mandatoryOf(res, pack.PolicyCapacityModel))
			}
		})
	}
}

// TestStackRefMergedGraph: when the platform and app-a are in the graph
// themselves (headroom plan --state platform --state app-a --state app-b),
// their live resources count and the export adds nothing.
func TestStackRefMergedGraph(t *testing.T) {
	s := appB(exportOutputs(platformExport(10)))
	rs := s.Resources()
	other := pt.NewStack("app-a", "prod")
	other.Add(pt.TypeSQLInstance, "main", func() map[string]any {
		m := pt.ForeignInstance()
		m["name"] = "main"
		return m
	}())
	rs = append(other.Resources(), rs...)
	res, err := pack.Evaluate(rs, crossCfg)
	require.NoError(t, err)
	require.Len(t, res.Topology.Databases, 1, "the graph's own instance, not the export's")
	assert.Equal(t, "db-custom-1-3840", res.Topology.Databases[0].Tier)
	assert.Empty(t, res.Topology.Databases[0].Consumers, "app-a and app-b are counted live")
}

// TestStackRefOwnExportWins: app-b references app-a directly too; app-a's
// own export is its word over the platform's republished copy.
func TestStackRefOwnExportWins(t *testing.T) {
	s := appB(exportOutputs(platformExport(10)))
	s.Add(contract.TypeStackReference, "app-a", map[string]any{"name": "acme/app-a/prod", "outputs": map[string]any{
		contract.StackRefOutput: contract.EncodeStackExport(contract.StackExport{Stack: "acme/app-a/prod",
			Demand: []contract.StackDemand{{Stack: "acme/app-a/prod", Database: "main", Connections: 120}}}),
	}})
	res := evaluate(t, s, crossCfg)
	require.Len(t, res.Topology.Databases, 1)
	assert.Equal(t, []capacity.Consumer{{Name: "stack acme/app-a/prod", Connections: 120}}, res.Topology.Databases[0].Consumers)
	assert.NotEmpty(t, mandatoryOf(res, pack.PolicyConnectionBudget), "120 + 50 + 10 > 160")
}

// TestExternalDemand: capacity-model.externalDemand counts like an export:
// on the platform stack's own instance (a platform PR that lowers
// max_connections is refused when the app stacks' demand no longer fits),
// a stack in the graph is skipped, an unknown instance is named.
func TestExternalDemand(t *testing.T) {
	platform := func() *pt.Stack {
		s := pt.NewStack("platform", "prod")
		s.Add(pt.TypeSQLInstance, "db", pt.ForeignInstance()) // 100 by default: 76 allowed
		return s
	}
	cfgWith := func(json string) pack.Config {
		cfg, err := pack.ParseConfig([]byte(json))
		require.NoError(t, err)
		return cfg
	}
	cfg := cfgWith(`{"capacity-model": {"environment": "staging", "externalDemand": {"db": {"acme/app-a/prod": 60, "reporting": 6, "acme/platform/prod": 500}}}}`)
	res := evaluate(t, platform(), cfg)
	require.Len(t, res.Topology.Databases, 1)
	assert.Equal(t, []capacity.Consumer{{Name: "stack acme/app-a/prod", Connections: 60}, {Name: "reporting", Connections: 6}},
		res.Topology.Databases[0].Consumers, "the platform's own entry is skipped: it is counted live")
	assert.Empty(t, mandatoryOf(res, pack.PolicyConnectionBudget), "60 + 6 + 10 = 76 fits")

	cfg = cfgWith(`{"capacity-model": {"environment": "staging", "externalDemand": {"db": {"acme/app-a/prod": 61, "reporting": 6}}}}`)
	res = evaluate(t, platform(), cfg)
	assert.Contains(t, strings.Join(mandatoryOf(res, pack.PolicyConnectionBudget), "\n"), "stack acme/app-a/prod 61 + reporting 6")

	cfg = cfgWith(`{"capacity-model": {"externalDemand": {"dbx": {"acme/app-a/prod": 1}}}}`)
	res = evaluate(t, platform(), cfg)
	assert.Contains(t, messages(res, pack.PolicyCapacityModel), "[advisory] capacity-model.externalDemand.dbx: no Cloud SQL instance dbx")

	// With a reference that already carries app-a, the config's entry
	// for app-a is not counted again.
	cfg = cfgWith(`{"capacity-model": {"environment": "staging", "externalDemand": {"main": {"acme/app-a/prod": 70}}}}`)
	res = evaluate(t, appB(exportOutputs(platformExport(10))), cfg)
	assert.Equal(t, []capacity.Consumer{{Name: "stack acme/app-a/prod", Connections: 10}}, res.Topology.Databases[0].Consumers)
}

// TestExternalDemandConfigRejects: one line naming the key.
func TestExternalDemandConfigRejects(t *testing.T) {
	for in, want := range map[string]string{
		`{"capacity-model": {"externalDemand": {"db": {"a": -1}}}}`:  "capacity-model.externalDemand.db.a: want a whole number of connections between 0 and 1000000, got -1",
		`{"capacity-model": {"externalDemand": {"db": {"a": 1.5}}}}`: "capacity-model: externalDemand: want int, got number 1.5",
		`{"capacity-model": {"externalDemand": {"db": {"": 1}}}}`:    "capacity-model.externalDemand.db: want a stack name or label as the key",
		`{"capacity-model": {"externalDemand": {"": {"a": 1}}}}`:     "capacity-model.externalDemand: want a Cloud SQL instance name as the key",
		`{"capacity-model": {"externalDemand": {"db": 3}}}`:          "capacity-model: externalDemand: want map[string]int, got number",
	} {
		_, err := pack.ParseConfig([]byte(in))
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want)
		assert.NotContains(t, err.Error(), "\n")
	}
}

// FuzzStackRef replaces parts of the reference's export with arbitrary
// values: never a panic, and an export that is not read is always a
// capacity-model finding (never a silent pass).
func FuzzStackRef(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5})
	f.Add([]byte{3, 4, 4, 4})
	f.Add([]byte("databases"))
	paths := []string{
		"outputs", "outputs." + contract.StackRefOutput, "outputs." + contract.StackRefOutput + ".version",
		"outputs." + contract.StackRefOutput + ".databases", "outputs." + contract.StackRefOutput + ".demand",
		"outputs." + contract.StackRefOutput + ".stack", "name",
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs := appB(exportOutputs(platformExport(10))).Resources()
		for len(data) > 1 {
			path := paths[int(data[0])%len(paths)]
			var v property.Value
			v, data = fuzzValue(data[1:], 0)
			rs[0].Properties = setPath(rs[0].Properties, path, v)
		}
		res, err := pack.Evaluate(rs, crossCfg)
		require.NoError(t, err)
		if len(res.Topology.Databases) == 0 {
			assert.NotEmpty(t, res.Violations, "an unread export is reported")
		}
	})
}

// TestStackOutputCarrier: under the engine a policy pack's stack policies
// get no read resource (no StackReference); the app stack exports the
// platform's export merged with its own entry, and the pack reads it from
// the root stack resource's outputs, with the same verdicts.
func TestStackOutputCarrier(t *testing.T) {
	appBWithOutput := func(out any) *pt.Stack {
		s := pt.NewStack("app-b", "prod")
		s.Add(contract.TypeRootStack, "app-b-prod", map[string]any{contract.StackRefOutput: out})
		s.Add(pt.TypeConnector, "conn", pt.ForeignConnector())
		s.Add(pt.TypeRunService, "api", apiService(map[string]any{"DATABASE_URL": "postgresql://app@10.0.0.3:5432/app?connection_limit=5"}))
		return s
	}
	for _, tc := range []struct {
		appA    int
		refused bool
	}{{100, false}, {101, true}} {
		e := platformExport(tc.appA)
		e.Stack = "acme/app-b/prod"
		res := evaluate(t, appBWithOutput(contract.EncodeStackExport(e)), crossCfg)
		require.Len(t, res.Topology.Databases, 1)
		assert.Equal(t, []capacity.Consumer{{Name: "stack acme/app-a/prod", Connections: tc.appA}}, res.Topology.Databases[0].Consumers)
		assert.Equal(t, tc.refused, len(mandatoryOf(res, pack.PolicyConnectionBudget)) > 0, "app-a %d", tc.appA)
	}
	// Unknown in an app stack's preview: advisory, nothing refused.
	res := evaluate(t, appBWithOutput(pt.Computed), crossCfg)
	assert.Contains(t, messages(res, pack.PolicyCapacityModel), "[advisory] cannot verify until known: app-b-prod headroomCapacity")
	assert.Empty(t, res.Mandatory())
	// Unknown in a stack with its own instance (our program's first
	// preview): not a finding.
	s := appBWithOutput(pt.Computed)
	s.Add(pt.TypeSQLInstance, "db", pt.ForeignInstance())
	res = evaluate(t, s, crossCfg)
	assert.NotContains(t, messages(res, pack.PolicyCapacityModel), "headroomCapacity")
	// Malformed: a capacity-model violation naming the field.
	res = evaluate(t, appBWithOutput(map[string]any{"version": 1}), crossCfg)
	assert.Contains(t, strings.Join(mandatoryOf(res, pack.PolicyCapacityModel), "\n"), "stack output headroomCapacity.stack: required")
}
