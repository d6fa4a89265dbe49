package capacity

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFullScaleDemand: per database, Σ max instances × connections per
// instance (100 instances when unset), the same number the cold-start
// budget counts for the services.
func TestFullScaleDemand(t *testing.T) {
	topo := Topology{
		Databases: []Database{
			{Name: "main", Region: "us-central1", Tier: "db-custom-4-16384", Consumers: []Consumer{{Name: "cron", Connections: 3}}},
			{Name: "other", Region: "us-central1", Tier: "db-custom-1-3840"},
		},
		Workloads: []Workload{
			{Name: "b-api", Region: "us-central1", Database: "main", MaxInstances: 4, PoolSize: 5, MaxOverflow: 2, StartupConnections: 1, Processes: 2},
			{Name: "a-web", Region: "us-central1", Database: "main", PoolSize: 1},
			{Name: "c-job", Region: "us-central1", Database: "other", MaxInstances: 2, PoolSize: 3},
			{Name: "d-nodb", Region: "us-central1", MaxInstances: 2, PoolSize: 3},
		},
	}
	got := FullScaleDemand(topo)
	require.Len(t, got, 2)
	assert.Equal(t, DatabaseDemand{Database: "main", Connections: 4*2*(5+2) + 100*1, StartupConnections: 4 * 2 * 1,
		Services: []string{"a-web", "b-api"}}, got[0])
	assert.Equal(t, DatabaseDemand{Database: "other", Connections: 6, Services: []string{"c-job"}}, got[1])

	rep := Analyze(topo)
	for _, b := range rep.Budgets {
		if b.Database == "main" {
			assert.Equal(t, got[0].Connections, b.Demand-b.AdminSlack-b.Consumers, "the cold-start budget counts the same demand")
		}
	}
	assert.Empty(t, FullScaleDemand(Topology{}))
}
