package capacity

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connectorStack is one workload of maxInst instances, each sending mbps
// through an e2-micro connector of ConnectorMinInstancesFloor to
// ConnectorMaxInstancesCeiling instances, to a database large enough that
// only egress matters.
func connectorStack(maxInst int, mbps float64) Topology {
	return Topology{
		Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-4-16384", MaxConnections: 500}},
		Egress: []Egress{{Region: "r", Kind: EgressConnector, Name: "c", MachineType: "e2-micro",
			MinInstances: ConnectorMinInstancesFloor, MaxInstances: ConnectorMaxInstancesCeiling, IPCIDRRange: "10.8.0.0/28"}},
		Workloads: []Workload{{Name: "w", Region: "r", Egress: EgressConnector, Method: MethodPrivateIP, Database: "db", MaxInstances: maxInst,
			EgressMbpsPerInstance: mbps, PoolSize: 2, StartupConnections: 1, ConnectTimeoutSeconds: 60, StartupProbe: httpProbe240}},
	}
}

// TestWarmConnectorSize: outside a cold start a connector has the size
// full-scale traffic took it to, ⌈demand ÷ per-instance Mbps⌉ (connectors
// never scale in), and only the excess over that size needs a scale-out.
func TestWarmConnectorSize(t *testing.T) {
	e2, ok := LookupConnectorMachine("e2-micro")
	require.True(t, ok)
	per := e2.PerInstanceMbps
	tests := []struct {
		name      string
		maxInst   int
		mbps      float64
		warm      int // instances after full-scale traffic
		overshoot int // scale-outs the 2× overshoot still needs
	}{
		// 5 × 100 Mbps = 500 Mbps: exactly 5 instances, no spare one.
		{"exact", 5, per, 5, 5},
		// 5 × 90 = 450 Mbps: ⌈4.5⌉ = 5; the overshoot's 900 Mbps needs 9.
		{"fraction", 5, 0.9 * per, 5, 4},
		// 1 × 100 Mbps fits in one instance; the floor is 2.
		{"below the floor", 1, per, ConnectorMinInstancesFloor, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Analyze(connectorStack(tt.maxInst, tt.mbps))
			cold := scenarioOf(t, r, ScenarioColdStart).Egress[0]
			assert.Equal(t, float64(ConnectorMinInstancesFloor)*per, cold.CapacityMinMbps, "a cold start begins at the minimum")
			for _, id := range []string{"rollout/w", "restart/db"} {
				h := scenarioOf(t, r, id).Egress[0]
				assert.Equal(t, float64(tt.warm)*per, h.CapacityMinMbps, id)
				assert.Zero(t, h.ScaleOutsNeeded, id)
			}
			over := scenarioOf(t, r, ScenarioOvershoot).Egress[0]
			assert.Equal(t, float64(tt.warm)*per, over.CapacityMinMbps)
			assert.Equal(t, tt.overshoot, over.ScaleOutsNeeded)
		})
	}
}

// TestConnectorSaturationBoundary: demand exactly at the connector's
// maximum capacity fits; a fraction more saturates it.
func TestConnectorSaturationBoundary(t *testing.T) {
	e2, ok := LookupConnectorMachine("e2-micro")
	require.True(t, ok)
	maxMbps := float64(ConnectorMaxInstancesCeiling) * e2.PerInstanceMbps
	for _, tt := range []struct {
		mbps      float64 // per instance, 10 instances
		saturated bool
	}{
		{maxMbps / 10, false},
		{maxMbps/10 + 0.1, true},
	} {
		r := Analyze(connectorStack(10, tt.mbps))
		h := scenarioOf(t, r, ScenarioColdStart).Egress[0]
		assert.Equal(t, maxMbps, h.CapacityMaxMbps)
		assert.Equal(t, tt.saturated, h.Saturated, "%g Mbps", 10*tt.mbps)
		fs := scenarioFindings(r, ScenarioColdStart, CheckEgressHeadroom, "c")
		require.Len(t, fs, 1, "the scale-out from the minimum is flagged either way")
		if tt.saturated {
			assert.Contains(t, fs[0].Message, "at maxInstances 10")
		} else {
			assert.NotContains(t, fs[0].Message, "at maxInstances")
		}
	}
}

func TestNoWorkloadsNoOvershoot(t *testing.T) {
	r := Analyze(Topology{Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-1-3840"}}})
	assert.Equal(t, []string{ScenarioColdStart, ScenarioRestartPrefix + "db"}, scenarioIDs(r))
}

// TestRolloutDescriptions: a group's rollout names the group it rolls;
// rollout/all names no single group.
func TestRolloutDescriptions(t *testing.T) {
	r := Analyze(stagingTopology())
	groups := []string{"auth-service", "netra-backend"}
	for _, g := range groups {
		d := scenarioOf(t, r, ScenarioRolloutPrefix+g).Description
		assert.Contains(t, d, "a new revision of "+g+" ")
		for _, other := range groups {
			if other != g {
				assert.NotContains(t, d, other)
			}
		}
	}
	all := scenarioOf(t, r, ScenarioRolloutAll).Description
	assert.Contains(t, all, "every service")
	for _, g := range groups {
		assert.NotContains(t, all, g)
	}
}

// TestFailoverLeavesOtherDatabasesAlone: a database outside the failed
// primary's chain keeps its workloads connected and its load in place.
func TestFailoverLeavesOtherDatabasesAlone(t *testing.T) {
	const failover = ScenarioFailoverPrefix + "prod-postgres-use1"
	base := Analyze(productionTopology())

	prod := productionTopology()
	prod.Databases = append(prod.Databases, Database{Name: "analytics", Region: "us-central1", Tier: "db-custom-2-7680", MaxConnections: 200})
	prod.Workloads = append(prod.Workloads, Workload{Name: "reports", Region: "us-central1", Egress: EgressConnector, EgressName: "prod-connector-usc1",
		Method: MethodPrivateIP, Database: "analytics", MaxInstances: 4, PoolSize: 5, StartupConnections: 2, ConnectTimeoutSeconds: 45,
		StartupProbe: httpProbe240})
	r := Analyze(prod)

	s := scenarioOf(t, r, failover)
	budget := func(s ScenarioResult, db string) ConnectionBudget {
		for _, b := range s.Budgets {
			if b.Database == db {
				return b
			}
		}
		require.Failf(t, "no budget", "%s in %s", db, s.ID)
		return ConnectionBudget{}
	}
	// The replica carries what it carried without the other database.
	assert.Equal(t, budget(scenarioOf(t, base, failover), "prod-postgres-use1"), budget(s, "prod-postgres-use1"))
	// analytics holds its pools, as in a restart of another database.
	assert.Equal(t, budget(scenarioOf(t, r, ScenarioRestartPrefix+"prod-postgres"), "analytics"), budget(s, "analytics"))
	assert.Equal(t, 4, budget(s, "analytics").Contributors[0].Instances)
	// Only the failed chain's instances reconnect.
	assert.Equal(t, scenarioOf(t, base, failover).Simulation.Instances, s.Simulation.Instances)
	for _, tb := range s.Timeouts {
		assert.NotEqual(t, "reports", tb.Workload)
	}
}
