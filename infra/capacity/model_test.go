package capacity

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEgressLinking: a workload uses the egress of its region and kind that
// it names; when it names none, the first one; when the name matches
// none, also the first one (not a later mismatch).
func TestEgressLinking(t *testing.T) {
	conn := func(name string) Egress {
		return Egress{Region: "r", Kind: EgressConnector, Name: name, MachineType: "e2-micro", MinInstances: 2, MaxInstances: 10, IPCIDRRange: "10.8.0.0/28"}
	}
	wl := func(name, egress string, instances int) Workload {
		return Workload{Name: name, Region: "r", Method: MethodPrivateIP, Database: "db", Egress: EgressConnector, EgressName: egress,
			MaxInstances: instances, EgressMbpsPerInstance: 1, PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: 10, StartupProbe: probe240}
	}
	topo := Topology{Stack: "link",
		Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-4-16384", MaxConnections: 500}},
		Egress: []Egress{conn("c1"), conn("c2"), conn("c3"),
			{Region: "q", Kind: EgressConnector, Name: "c2", MachineType: "e2-micro", IPCIDRRange: "10.8.0.16/28"}},
		Workloads: []Workload{wl("named", "c2", 10), wl("unnamed", "", 3), wl("misnamed", "nope", 5)},
	}
	demand := map[string]float64{}
	for _, e := range Analyze(topo).Egress {
		if e.Region == "r" {
			demand[e.Name] = e.DemandMbps
		}
	}
	assert.Equal(t, map[string]float64{"c1": 3 + 5, "c2": 10, "c3": 0}, demand)
}

// TestBudgetFromProbeWindowWithoutTimeout: a workload without a connect
// timeout has its startup probe window to connect in.
func TestBudgetFromProbeWindowWithoutTimeout(t *testing.T) {
	s := Simulate(oneDB(500, 1, 1, 0), SimOptions{})
	assert.Equal(t, 1.0, s.SuccessRate)
	// The horizon follows the latest deadline: ⌈window + handshake + 1⌉.
	assert.Equal(t, math.Ceil(ProbeWindowSeconds(probe240)+DefaultAssumptions().HandshakeSeconds+1), s.HorizonSeconds)
	// A shorter timeout is the budget instead.
	assert.Equal(t, math.Ceil(10+DefaultAssumptions().HandshakeSeconds+1), Simulate(oneDB(500, 1, 1, 10), SimOptions{}).HorizonSeconds)
}

// TestWorkloadReportOrder: budget contributors are listed by workload
// name, then region, whatever the topology's order.
func TestWorkloadReportOrder(t *testing.T) {
	topo := oneDB(500, 1, 1, 30)
	w := topo.Workloads[0]
	topo.Workloads = nil
	for _, nr := range [][2]string{{"b", "r0"}, {"a", "r2"}, {"a", "r1"}} {
		w.Name, w.Region = nr[0], nr[1]
		topo.Workloads = append(topo.Workloads, w)
	}
	r := Analyze(topo)
	require.NotEmpty(t, r.Budgets)
	var got [][2]string
	for _, c := range r.Budgets[0].Contributors {
		got = append(got, [2]string{c.Workload, c.Region})
	}
	assert.Equal(t, [][2]string{{"a", "r1"}, {"a", "r2"}, {"b", "r0"}}, got)
}
