package suggest

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
)

const sample = `# a stack
config:
  gcp:project: p   # the project
  headroom:database:
    name: db
    tier: "db-custom-1-3840"   # quoted
    maxConnections: 100        # A4
    backups: {enabled: true, retainedBackups: 7}
    replicas: []
  network:
    regions:
      us-central1:
        egress: connector
        # the connector
        connector:
          name: c
          minInstances: 2
        subnet: 10.10.0.0/20
  headroom:workloads:
    - name: w
      db:
        poolSize: 10
`

func TestApply(t *testing.T) {
	tests := []struct {
		name string
		ops  []Op
		want []string // lines that must be in the result
		gone []string // lines that must not
	}{
		{"plain scalar keeps its comment", []Op{{Path: []string{"headroom:database", "maxConnections"}, Value: "480"}},
			[]string{"    maxConnections: 480        # A4"}, []string{"maxConnections: 100"}},
		{"quoted scalar", []Op{{Path: []string{"headroom:database", "tier"}, Value: "db-custom-2-7680"}},
			[]string{"    tier: db-custom-2-7680   # quoted"}, nil},
		{"namespace-less key", []Op{{Path: []string{"headroom:network", "regions", "us-central1", "connector", "minInstances"}, Value: "3"}},
			[]string{"          minInstances: 3"}, nil},
		{"insert a key at its siblings' indent", []Op{{Path: []string{"headroom:database", "availability"}, Value: "REGIONAL"}},
			[]string{"    replicas: []\n    availability: REGIONAL\n  network:"}, nil},
		{"insert nested keys", []Op{{Path: []string{"headroom:workloads", "[0]", "startupProbe", "failureThreshold"}, Value: "24"}},
			[]string{"      db:\n        poolSize: 10\n      startupProbe:\n        failureThreshold: 24"}, nil},
		{"insert into a flow mapping", []Op{{Path: []string{"headroom:database", "backups", "pointInTimeRecovery"}, Value: "true"}},
			[]string{"    backups: {enabled: true, retainedBackups: 7, pointInTimeRecovery: true}"}, nil},
		{"replace a flow sequence", []Op{{Path: []string{"headroom:database", "replicas"}, Value: "[{name: r, region: us-east1}]", Flow: true}},
			[]string{"    replicas: [{name: r, region: us-east1}]"}, nil},
		{"delete a block with its head comment", []Op{
			{Path: []string{"headroom:network", "regions", "us-central1", "egress"}, Value: "direct"},
			{Path: []string{"headroom:network", "regions", "us-central1", "connector"}, Delete: true},
			{Path: []string{"headroom:network", "regions", "us-central1", "direct", "subnet"}, Value: "10.20.0.0/25"},
		}, []string{"        egress: direct\n        subnet: 10.10.0.0/20\n        direct:\n          subnet: 10.20.0.0/25\n"},
			[]string{"# the connector", "name: c", "minInstances"}},
		{"delete of an absent key is a no-op", []Op{{Path: []string{"headroom:database", "nope"}, Delete: true}}, []string{"# a stack"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Apply([]byte(sample), tt.ops)
			require.NoError(t, err)
			for _, w := range tt.want {
				assert.Contains(t, string(out), w)
			}
			for _, g := range tt.gone {
				assert.NotContains(t, string(out), g)
			}
			assert.Contains(t, string(out), "gcp:project: p   # the project", "untouched lines stay as they were")
			var n yaml.Node
			require.NoError(t, yaml.Unmarshal(out, &n), "the result is YAML")
		})
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name string
		op   Op
		want string
	}{
		{"bad index", Op{Path: []string{"headroom:workloads", "[5]", "name"}, Value: "x"}, `no element "[5]"`},
		{"a bare number is a key, not an index", Op{Path: []string{"headroom:workloads", "0", "name"}, Value: "x"}, `no element "0"`},
		{"block value", Op{Path: []string{"headroom:database", "backups", "enabled", "x"}, Value: "1"}, "not a mapping"},
		{"replace a block mapping", Op{Path: []string{"headroom:network", "regions"}, Value: "{}"}, "cannot replace a block mapping"},
		{"nested insert into flow", Op{Path: []string{"headroom:database", "backups", "a", "b"}, Value: "1"}, "flow mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Apply([]byte(sample), []Op{tt.op})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := Apply([]byte("- a\n"), []Op{{Path: []string{"x"}, Value: "1"}})
	assert.ErrorContains(t, err, "no config")
}

// TestApplyKeepsTheRealStackLoadable: editing the incident fixture's keys
// that suggest touches gives a file the config loader accepts with the new
// values, and nothing else changes.
func TestApplyKeepsTheRealStackLoadable(t *testing.T) {
	path := "../tests/testdata/incident/Pulumi.incident.yaml"
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	out, err := Apply(src, []Op{
		{Path: []string{keyDatabase, "tier"}, Value: "db-custom-2-7680"},
		{Path: []string{keyDatabase, "maxConnections"}, Value: "480"},
		{Path: []string{keyWorkloads, "[1]", "db", "connectTimeoutSeconds"}, Value: "90"},
		{Path: []string{keyNetwork, "regions", "us-central1", "connector", "machineType"}, Value: "e2-standard-4"},
	})
	require.NoError(t, err)
	f, err := config.LoadBytes(path, out)
	require.NoError(t, err)
	assert.Equal(t, "db-custom-2-7680", f.Stack.Database.Tier)
	assert.Equal(t, 480, f.Stack.Database.MaxConnections)
	assert.Equal(t, 90.0, f.Stack.Workloads[1].DB.ConnectTimeoutSeconds)
	assert.Equal(t, 75.0, f.Stack.Workloads[0].DB.ConnectTimeoutSeconds)
	assert.Equal(t, "e2-standard-4", f.Stack.Network.Regions["us-central1"].Connector.MachineType)
	assert.Equal(t, strings.Count(string(src), "\n"), strings.Count(string(out), "\n"), "in-place edits add no lines")
	assert.Equal(t, strings.Count(string(src), "#"), strings.Count(string(out), "#"), "comments kept")
}

func TestTierLadder(t *testing.T) {
	cur, err := capacity.ParseTier("db-custom-1-3840")
	require.NoError(t, err)
	l := tierLadder(cur)
	require.NotEmpty(t, l)
	assert.Equal(t, "db-custom-1-6656", l[0].Name, "the cheapest step up first")
	for _, tr := range l {
		assert.Equal(t, capacity.EditionEnterprise, tr.Edition)
		assert.GreaterOrEqual(t, tr.MemoryGB, cur.MemoryGB)
	}
	plus, err := capacity.ParseTier("db-perf-optimized-N-4")
	require.NoError(t, err)
	for _, tr := range tierLadder(plus) {
		assert.Equal(t, capacity.EditionEnterprisePlus, tr.Edition)
		assert.Greater(t, tr.VCPUs, 4)
	}
}

func TestFreeDirectSubnet(t *testing.T) {
	st := config.Stack{Network: config.Network{PrivateServiceAccessRange: "10.20.0.0/16",
		Regions: map[string]config.Region{"us-central1": {Subnet: "10.21.0.0/20"}}},
		Workloads: []config.Workload{{MaxInstances: 20, Regions: []string{"us-central1"}}, {MaxInstances: 10, Regions: []string{"us-central1"}}}}
	cidr, ok := freeDirectSubnet(st, "us-central1")
	require.True(t, ok)
	// A rollout runs both revisions: 2 × (2 × 30) + 16 = 136 addresses → a
	// /24 (252 usable), past both used ranges.
	assert.Equal(t, "10.22.0.0/24", cidr)
	// Boundary of a /25 (124 usable): 2 × (2 × 27) + 16 = 124 fits, 28 does not.
	st.Workloads[0].MaxInstances, st.Workloads[1].MaxInstances = 17, 10
	cidr, _ = freeDirectSubnet(st, "us-central1")
	assert.Equal(t, "10.22.0.0/25", cidr)
	st.Workloads[0].MaxInstances = 18
	cidr, _ = freeDirectSubnet(st, "us-central1")
	assert.Equal(t, "10.22.0.0/24", cidr)
	st.Workloads[0].MaxInstances = 1
	st.Workloads[1].MaxInstances = 1
	cidr, _ = freeDirectSubnet(st, "us-central1")
	assert.Equal(t, "10.22.0.0/26", cidr, "never smaller than /26")
}

func TestCombinations(t *testing.T) {
	a := option{what: "a", changes: []Change{{Key: "a"}}}
	b := option{what: "b", changes: []Change{{Key: "b"}}}
	c := option{what: "c", changes: []Change{{Key: "c"}}}
	got := combinations([]lever{{name: "x", required: true, options: []option{a, b}}, {name: "y", options: []option{c}}})
	assert.Len(t, got, 4, "required lever: 2 options; optional: none or c")
	assert.True(t, supersetOfAny([]option{a, c}, [][]option{{a}}))
	assert.False(t, supersetOfAny([]option{b, c}, [][]option{{a}}))
}

func FuzzApply(f *testing.F) {
	f.Add(sample, "headroom:database", "maxConnections", "480")
	f.Add(sample, "headroom:database", "backups", "x")
	f.Add("config:\n  a: {b: [1, 2]}\n", "a", "b", "[3]")
	f.Add("config:\n  a: 'q'\n", "a", "c", "1")
	f.Fuzz(func(t *testing.T, src, k1, k2, value string) {
		if strings.ContainsAny(value, "\n\r") {
			return
		}
		out, err := Apply([]byte(src), []Op{{Path: []string{k1, k2}, Value: value}})
		if err != nil {
			return
		}
		if !strings.ContainsAny(value, ":#{}[],&*!|>'\"%@`-?") && value != "" {
			var n yaml.Node
			if yaml.Unmarshal([]byte(src), &n) == nil && yaml.Unmarshal(out, &n) != nil {
				t.Fatalf("a plain value broke the YAML:\n%s\n→\n%s", src, out)
			}
		}
	})
}

// An index segment is "[1]" (yamlpath's convention); errors name the key
// in that convention.
func TestApplyBracketIndex(t *testing.T) {
	src := []byte("config:\n  headroom:workloads:\n    - name: a\n      maxInstances: 20\n    - name: b\n      maxInstances: 30\n")
	out, err := Apply(src, []Op{{Path: []string{"headroom:workloads", "[1]", "maxInstances"}, Value: "40"}})
	require.NoError(t, err)
	assert.Contains(t, string(out), "maxInstances: 40")
	assert.Contains(t, string(out), "maxInstances: 20")
	_, err = Apply(src, []Op{{Path: []string{"headroom:workloads", "[5]", "maxInstances"}, Value: "1"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "headroom:workloads[5].maxInstances")
}
