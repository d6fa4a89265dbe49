package capacity

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
