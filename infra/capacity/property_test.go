package capacity

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The monotonicity properties are checked on storms of one workload (its
// instances identical), where they hold for the model by construction of
// FIFO service. With several heterogeneous workloads they can fail, as in
// real systems: an instance that is going to fail anyway holds slots and
// connector share until its deadline, so a longer timeout (or more slots
// letting it hold more) can starve others; and adding instances to a
// workload that always succeeds raises the overall rate by mix. Those
// limits are documented in docs/capacity-model.md.

const propertyCases = 400

// randomTopology draws a small storm-prone topology: one database, one
// connector region, one to three workloads. Sizes make slot exhaustion,
// accept queueing and connector scale-out all frequent.
func randomTopology(r *rand.Rand) Topology {
	t := Topology{
		Stack: "random", Environment: EnvStaging,
		Databases: []Database{{Name: "db", Region: "r1", Tier: "db-custom-1-3840", MaxConnections: 14 + r.IntN(120)}},
		Egress: []Egress{{Region: "r1", Kind: EgressConnector, Name: "c", MachineType: "e2-micro",
			MinInstances: 2 + r.IntN(3), MaxInstances: 6 + r.IntN(5), IPCIDRRange: "10.8.0.0/28"}},
		Assumptions: Assumptions{
			ConnectorScaleOutSeconds: float64(5 + r.IntN(30)),
			AcceptRatePerSecond:      float64(5 + r.IntN(60)),
			RampSeconds:              float64(r.IntN(3) * 10),
			Seed:                     int64(1 + r.IntN(1000)),
		},
	}
	n := 1 + r.IntN(3)
	for i := 0; i < n; i++ {
		t.Workloads = append(t.Workloads, Workload{
			Name: string(rune('a' + i)), Region: "r1", Egress: EgressConnector, EgressName: "c",
			Method: MethodPrivateIP, Database: "db", MaxInstances: 1 + r.IntN(25),
			EgressMbpsPerInstance: float64(r.IntN(60)), PoolSize: 5, MaxOverflow: 2,
			StartupConnections: 1 + r.IntN(6), ConnectTimeoutSeconds: float64(10 + r.IntN(80)),
			StartupProbe: probe240,
		})
	}
	return t
}

// singleWorkload is randomTopology with its first workload only.
func singleWorkload(r *rand.Rand) Topology {
	t := randomTopology(r)
	t.Workloads = t.Workloads[:1]
	return t
}

func cloneTopology(t Topology) Topology {
	t.Databases = append([]Database(nil), t.Databases...)
	t.Egress = append([]Egress(nil), t.Egress...)
	t.Workloads = append([]Workload(nil), t.Workloads...)
	return t
}

func TestPropertyMoreSlotsNeverLowersSuccess(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < propertyCases; i++ {
		base := singleWorkload(r)
		more := cloneTopology(base)
		more.Databases[0].MaxConnections += 1 + r.IntN(40)
		a, b := Simulate(base, SimOptions{}), Simulate(more, SimOptions{})
		require.GreaterOrEqual(t, b.SuccessRate, a.SuccessRate, "case %d: %+v", i, base)
	}
}

func TestPropertyMoreInstancesNeverRaisesSuccess(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for i := 0; i < propertyCases; i++ {
		base := singleWorkload(r)
		base.Assumptions.RampSeconds = 0 // with a ramp, late extra instances may find a warm system
		more := cloneTopology(base)
		more.Workloads[0].MaxInstances += 1 + r.IntN(10)
		a, b := Simulate(base, SimOptions{}), Simulate(more, SimOptions{})
		require.LessOrEqual(t, b.SuccessRate, a.SuccessRate, "case %d: %+v", i, base)
	}
}

func TestPropertyLongerTimeoutNeverLowersSuccess(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for i := 0; i < propertyCases; i++ {
		base := singleWorkload(r)
		more := cloneTopology(base)
		more.Workloads[0].ConnectTimeoutSeconds += float64(1 + r.IntN(30))
		a, b := Simulate(base, SimOptions{}), Simulate(more, SimOptions{})
		require.GreaterOrEqual(t, b.SuccessRate, a.SuccessRate, "case %d: %+v", i, base)
	}
}

// TestPropertySameSeedSameResult: any topology, run twice, same result.
func TestPropertySameSeedSameResult(t *testing.T) {
	f := func(seed int64, draw uint32) bool {
		topo := randomTopology(rand.New(rand.NewPCG(uint64(draw), 9)))
		topo.Assumptions.Seed = seed
		a, b := Simulate(topo, SimOptions{}), Simulate(topo, SimOptions{})
		return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b)
	}
	require.NoError(t, quick.Check(f, &quick.Config{MaxCount: 200, Rand: nil}))
}

// TestIncidentSweeps walks the incident's own knobs (two workloads) one at
// a time: success is monotone along each of them.
func TestIncidentSweeps(t *testing.T) {
	// Take the connector off the critical path so slots decide.
	slotsBound := incidentTopology()
	slotsBound.Egress[0].MachineType, slotsBound.Egress[0].MinInstances = "e2-standard-4", 3
	prev := -1.0
	for mc := 20; mc <= 200; mc += 5 {
		topo := cloneTopology(slotsBound)
		topo.Databases[0].MaxConnections = mc
		s := Simulate(topo, SimOptions{}).SuccessRate
		assert.GreaterOrEqual(t, s, prev, "max_connections %d", mc)
		prev = s
	}
	assert.Equal(t, 1.0, prev, "135 + 5 reserved connections carry all 130 startup connections")

	prev = 2
	for n := 1; n <= 40; n++ {
		topo := cloneTopology(slotsBound)
		topo.Workloads[0].MaxInstances = n
		s := Simulate(topo, SimOptions{}).SuccessRate
		assert.LessOrEqual(t, s, prev, "netra-backend maxInstances %d", n)
		prev = s
	}

	prev = -1
	for to := 5; to <= 240; to += 5 {
		topo := cloneTopology(incidentTopology())
		for i := range topo.Workloads {
			topo.Workloads[i].ConnectTimeoutSeconds = float64(to)
		}
		s := Simulate(topo, SimOptions{}).SuccessRate
		assert.GreaterOrEqual(t, s, prev, "timeout %d s", to)
		prev = s
	}
}
