package capacity

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemandPerInstance(t *testing.T) {
	cases := []struct {
		name            string
		w               Workload
		conns, startups int
	}{
		{"one process, main pool", Workload{PoolSize: 5, MaxOverflow: 2, StartupConnections: 1}, 7, 1},
		{"zero processes means one", Workload{Processes: 0, PoolSize: 5, StartupConnections: 2}, 5, 2},
		{"processes multiply every pool", Workload{Processes: 2, PoolSize: 12, StartupConnections: 1,
			ExtraPools: []Pool{{Name: "sqlalchemy", PoolSize: 6, StartupConnections: 1}}}, 36, 4},
		{"overflow counts, negatives do not", Workload{Processes: 1, PoolSize: 8, MaxOverflow: -3,
			ExtraPools: []Pool{{PoolSize: 4, MaxOverflow: 4, StartupConnections: -1}}}, 16, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.conns, c.w.ConnectionsPerInstance())
			assert.Equal(t, c.startups, c.w.StartupConnectionsPerInstance())
		})
	}
}

func TestConsumersCountInTheBudget(t *testing.T) {
	base := Topology{
		Databases: []Database{{Name: "db", Region: "us-central1", Tier: "db-custom-1-3840", MaxConnections: 100}},
		Workloads: []Workload{{Name: "api", Region: "us-central1", Database: "db", MaxInstances: 10, PoolSize: 3, StartupConnections: 1}},
	}
	with := base
	with.Databases = []Database{base.Databases[0]}
	with.Databases[0].Consumers = []Consumer{{Name: "migrations", Connections: 5}, {Name: "psql", Connections: 2}, {Name: "broken", Connections: -4}}
	b0, b1 := Analyze(base).Budgets[0], Analyze(with).Budgets[0]
	assert.Equal(t, 0, b0.Consumers)
	assert.Equal(t, 7, b1.Consumers)
	assert.Equal(t, b0.Demand+7, b1.Demand)
}

func TestExtraPoolsRoundTrip(t *testing.T) {
	pools := []Pool{{Name: "asyncpg", PoolSize: 12, StartupConnections: 1}, {Name: "sqlalchemy", PoolSize: 6, MaxOverflow: 2}}
	s := EncodeExtraPools(pools)
	got, err := DecodeExtraPools(s)
	require.NoError(t, err)
	assert.Equal(t, pools, got)
	assert.Equal(t, "", EncodeExtraPools(nil))
	none, err := DecodeExtraPools("  ")
	require.NoError(t, err)
	assert.Nil(t, none)
}

func TestDecodeExtraPoolsRejects(t *testing.T) {
	for in, want := range map[string]string{
		`{"name":"x"}`:                                       "JSON array",
		`[{"name":"x","poolSize":0}]`:                        "poolSize: must be an integer ≥ 1, got 0",
		`[{"name":"x","poolSize":2,"size":3}]`:               "unknown field",
		`[{"name":"x","poolSize":2,"maxOverflow":-1}]`:       "maxOverflow: must be an integer ≥ 0, got -1",
		`[{"name":"x","poolSize":2,"startupConnections":3}]`: "got 3",
		`[{"name":"x","poolSize":2}] []`:                     "trailing data",
	} {
		_, err := DecodeExtraPools(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
		assert.Contains(t, err.Error(), EnvDBExtraPools, in)
	}
}

func TestConsumerLabelsRoundTrip(t *testing.T) {
	cs := []Consumer{{Name: "bi", Connections: 3}, {Name: "migrations", Connections: 5}}
	labels := ConsumerLabels(cs)
	labels["managed-by"] = "headroom"
	got, err := ParseConsumerLabels(labels)
	require.NoError(t, err)
	assert.Equal(t, cs, got)
	_, err = ParseConsumerLabels(map[string]string{ConsumerLabelPrefix + "psql": "0"})
	assert.ErrorContains(t, err, "positive number")
	assert.NoError(t, ValidateConsumerName("cron_jobs-1"))
	for _, bad := range []string{"", "Psql", "1job", "a.b", strings.Repeat("a", 46)} {
		assert.Error(t, ValidateConsumerName(bad), bad)
	}
}

func FuzzDecodeExtraPools(f *testing.F) {
	f.Add(`[{"name":"a","poolSize":1}]`)
	f.Add(`[]`)
	f.Add(`[{"poolSize":-1}]`)
	f.Fuzz(func(t *testing.T, s string) {
		pools, err := DecodeExtraPools(s)
		if err != nil {
			return
		}
		for _, p := range pools {
			require.NoError(t, ValidatePool(p.PoolSize, p.MaxOverflow, p.StartupConnections))
		}
		again, err := DecodeExtraPools(EncodeExtraPools(pools))
		require.NoError(t, err)
		assert.Equal(t, len(pools), len(again))
	})
}
