package capacity

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oneDB is a single database and one workload reaching it without VPC
// egress delay, for hand-computed simulations. The accept rate is set as
// if calibrated (50/s) so the timelines do not depend on the tier's vCPUs.
func oneDB(maxConn, instances, startup int, timeout float64) Topology {
	return Topology{
		Stack:       "hand",
		Assumptions: Assumptions{AcceptRatePerSecond: 50},
		Databases:   []Database{{Name: "db", Region: "r", Tier: "db-custom-4-16384", MaxConnections: maxConn}},
		Workloads: []Workload{{Name: "w", Region: "r", Method: MethodPrivateIP, Database: "db", Egress: EgressNone,
			MaxInstances: instances, PoolSize: startup, StartupConnections: startup, ConnectTimeoutSeconds: timeout, StartupProbe: probe240}},
	}
}

func TestSimulateHandComputed(t *testing.T) {
	// The three slot-exhaustion cases share one timeline. A pool opens its
	// startup connections concurrently, so at the server they arrive
	// interleaved across instances: every instance's first connection, then
	// every second one (simulate.go, arrivalSpacing). Accept rate 50/s → one
	// attempt served every 0.02 s; handshake 0.1 s; a refusal reaches the
	// client 0.1 s after it is served.
	//
	// 3 instances × 4 startup connections, max_connections 15 − 5 reserved
	// = 10 usable slots (demand 12 > 10):
	//   round c0: i0 0.00, i1 0.02, i2 0.04  → slots 1–3
	//   round c1: i0 0.06, i1 0.08, i2 0.10  → slots 4–6
	//   round c2: i0 0.12, i1 0.14, i2 0.16  → slots 7–9
	//   round c3: i0 0.18 → slot 10, established 0.28: i0 ready at 0.28;
	//             i1 0.20 and i2 0.22 refused (clients told at 0.30, 0.32).
	// i1 and i2 are half-connected: 3 slots each, 1 missing, no slot free.
	// (Served back to back per instance, as the model did before, i0 and i1
	// would both have been ready by 0.26 and only i2 refused: 2 of 3.)
	t.Run("slot exhaustion, no retry fits the timeout", func(t *testing.T) {
		// A 60 s initial backoff: the first retry would come ≥ 0.30 + 30 s,
		// past the 30 s timeout, so i1 gives up at 0.30 and i2 at 0.32 and
		// free their 3 slots each; no attempt is left to use them.
		topo := oneDB(15, 3, 4, 30)
		topo.Assumptions.RetryInitialSeconds = 60
		s := Simulate(topo, SimOptions{})
		assert.Equal(t, 3, s.Instances)
		assert.InDelta(t, 1.0/3, s.SuccessRate, 1e-9)
		assert.InDelta(t, 0.28, s.TimeToReadyP50Seconds, 1e-9)
		assert.InDelta(t, 0.28, s.TimeToReadyP99Seconds, 1e-9)
		assert.Equal(t, 10, s.PeakSlotsUsed)
		assert.Equal(t, 2, s.Failures.SlotExhaustion)
		assert.Equal(t, 12, s.Attempts) // no retries: 3 × 4
		assert.Equal(t, 2, s.Refused)
		require.Len(t, s.PerDatabase, 1)
		assert.Equal(t, DatabaseSim{Database: "db", Usable: 10, PeakSlots: 10, Attempts: 12, Refused: 2}, s.PerDatabase[0])
		// Connection latency: established at 0.10, 0.12 … 0.28 (10 of them,
		// the served times + 0.1) → p50 is the 5th = 0.18, p99 the 10th = 0.28.
		assert.InDelta(t, 0.18, s.ConnectP50Seconds, 1e-9)
		assert.InDelta(t, 0.28, s.ConnectP99Seconds, 1e-9)
		// The end state: i0 keeps its 4 slots, the other 6 are free again.
		last := s.Series[len(s.Series)-1]
		assert.Equal(t, SeriesPoint{Seconds: 32, Ready: 1, Failed: 2, SlotsInUse: 4}, last)
	})
	t.Run("slot exhaustion, half-connected pools wait for a give-up", func(t *testing.T) {
		// Default backoff (0.5 s × 2 up to 8 s, × (0.5 + 0.5u)). i1 and i2
		// retry their missing connection and are refused while all 10 slots
		// are held. An instance gives up only when its next retry would
		// start at or after its 30 s deadline, and a backoff is < 8 s, so
		// nobody gives up before 30 − 8 = 22 s: until then 1 ready, 10 slots.
		// The first to give up (at G > 22 s) frees 3 slots; the other one's
		// pending retry x comes after G and before 30 s (it has not given
		// up), finds free slots and is established at x + 0.1: 2 of 3 ready,
		// the second between 22.1 and 30 s. (Only if x fell in the last
		// 0.1 s before 30 s, or a refusal raced G, would it fail as well.)
		s := Simulate(oneDB(15, 3, 4, 30), SimOptions{})
		assert.InDelta(t, 2.0/3, s.SuccessRate, 1e-9)
		assert.InDelta(t, 0.28, s.TimeToReadyP50Seconds, 1e-9) // 1st of 2
		assert.Greater(t, s.TimeToReadyP99Seconds, 22.1)
		assert.LessOrEqual(t, s.TimeToReadyP99Seconds, 30.0)
		assert.Equal(t, 10, s.PeakSlotsUsed)
		assert.Equal(t, 1, s.Failures.SlotExhaustion)
		assert.Equal(t, s.Refused+11, s.Attempts) // 10 + 1 established, the rest refused
		// Connection latency: the 10 of the first pass plus the late one;
		// p50 is the 6th of 11 = 0.20, p99 the 11th = the late one.
		assert.InDelta(t, 0.20, s.ConnectP50Seconds, 1e-9)
		assert.InDelta(t, s.TimeToReadyP99Seconds, s.ConnectP99Seconds, 1e-9)
	})
	t.Run("slot exhaustion, every pool partial", func(t *testing.T) {
		// 4 instances × 5 connections on 10 slots: rounds c0 and c1 take 8
		// slots (0 … 0.14), round c2 gives i0 and i1 the last two (0.16,
		// 0.18): i0 and i1 hold 3, i2 and i3 hold 2, none is ready, all
		// retry. Nobody gives up before 22 s (as above), so no instance is
		// ready before then; at most 10 ÷ 5 = 2 can ever be ready at once,
		// and ready instances keep their slots, so success ≤ 50 %; whoever
		// completes does so before the 30 s deadline. (Back to back, the old
		// order, i0 and i1 were ready at 0.18 and 0.28.)
		s := Simulate(oneDB(15, 4, 5, 30), SimOptions{TimeStepSeconds: 0.5})
		assert.Equal(t, 4, s.Instances)
		// With the default seed two pools complete from the slots of the two
		// that give up (the most that fit: 10 ÷ 5 = 2), between 28 and 29 s.
		assert.Equal(t, 0.5, s.SuccessRate)
		ready := int(math.Round(s.SuccessRate * 4))
		require.Equal(t, 2, ready)
		assert.Greater(t, s.TimeToReadyP50Seconds, 22.0)
		assert.LessOrEqual(t, s.TimeToReadyP99Seconds, 30.0)
		assert.InDelta(t, 28.61, s.TimeToReadyP50Seconds, 0.01)
		assert.InDelta(t, 28.94, s.TimeToReadyP99Seconds, 0.01)
		assert.Equal(t, 10, s.PeakSlotsUsed)
		assert.Equal(t, 4-ready, s.Failures.SlotExhaustion)
		for _, p := range s.Series {
			// The first pass ends with the last round's attempts (0.32 …
			// 0.38 s); from then until 22 s the slots stay deadlocked.
			if p.Seconds >= 0.5 && p.Seconds <= 22 {
				require.Equal(t, SeriesPoint{Seconds: p.Seconds, Ready: 0, Failed: 0, SlotsInUse: 10}, p, "before any give-up")
			}
		}
		assert.Equal(t, SeriesPoint{Seconds: 32, Ready: ready, Failed: 4 - ready, SlotsInUse: 5 * ready}, s.Series[len(s.Series)-1])
	})
	t.Run("accept queue", func(t *testing.T) {
		// 100 attempts at 1/s accept rate: the k-th is served at k s, so
		// instances needing 1 connection each and 10 s to get it: served at
		// 0 … 9 (ready 0.1 … 9.1) succeed, 10 served at 10.0 + 0.1 > 10 fails.
		topo := oneDB(500, 100, 1, 10)
		topo.Assumptions.AcceptRatePerSecond = 1
		s := Simulate(topo, SimOptions{})
		assert.Equal(t, 0.10, s.SuccessRate)
		assert.Equal(t, 90, s.Failures.AcceptQueue)
		assert.Zero(t, s.Refused)
	})
	t.Run("connector scale-out", func(t *testing.T) {
		// e2-micro min 2 (200 Mbps), max 3; 3 instances × 100 Mbps. Two are
		// admitted at t = 0; the third waits for the scale-out at 30 s, then
		// connects: 30 + 0.1 s handshake. With a 45 s timeout all succeed.
		topo := Topology{
			Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-4-16384", MaxConnections: 500}},
			Egress:    []Egress{{Region: "r", Kind: EgressConnector, Name: "c", MachineType: "e2-micro", MinInstances: 2, MaxInstances: 3, IPCIDRRange: "10.8.0.0/28"}},
			Workloads: []Workload{{Name: "w", Region: "r", Method: MethodPrivateIP, Database: "db", Egress: EgressConnector, EgressName: "c",
				MaxInstances: 3, EgressMbpsPerInstance: 100, PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: 45, StartupProbe: probe240}},
		}
		s := Simulate(topo, SimOptions{})
		assert.Equal(t, 1.0, s.SuccessRate)
		assert.InDelta(t, 30.1, s.TimeToReadyP99Seconds, 1e-9)
		require.Len(t, s.PerRegion, 1)
		assert.Equal(t, RegionSim{Region: "r", Egress: "c", ConnectorInstancesStart: 2, ConnectorInstancesEnd: 3, ScaleOuts: 1,
			MaxEgressWaitSeconds: 30, DelayedInstances: 1}, s.PerRegion[0])
		// A 25 s timeout expires before the scale-out: 2 of 3 succeed.
		topo.Workloads[0].ConnectTimeoutSeconds = 25
		s = Simulate(topo, SimOptions{})
		assert.InDelta(t, 2.0/3, s.SuccessRate, 1e-9)
		assert.Equal(t, 1, s.Failures.EgressWait)
		// A calibrated 5 s scale-out fits again.
		topo.Assumptions.ConnectorScaleOutSeconds = 5
		s = Simulate(topo, SimOptions{})
		assert.Equal(t, 1.0, s.SuccessRate)
		assert.InDelta(t, 5.1, s.TimeToReadyP99Seconds, 1e-9)
	})
	t.Run("admin API quota", func(t *testing.T) {
		// Built-in connection: 2 Admin API calls per instance; 1,000 per
		// minute → 500 instances start in the first minute, the other 100
		// wait until t = 60 s, past their 45 s budget.
		topo := oneDB(4000, 600, 1, 45)
		topo.Databases[0].Tier = "db-perf-optimized-N-16"
		topo.Workloads[0].Method = MethodBuiltin
		topo.Assumptions.AcceptRatePerSecond = 1000
		s := Simulate(topo, SimOptions{})
		assert.InDelta(t, 500.0/600, s.SuccessRate, 1e-9)
		assert.Equal(t, 100, s.Failures.AdminQuota)
		// With a 90 s budget they start at 60 s and succeed.
		topo.Workloads[0].ConnectTimeoutSeconds = 90
		s = Simulate(topo, SimOptions{})
		assert.Equal(t, 1.0, s.SuccessRate)
		assert.InDelta(t, 60.1, s.TimeToReadyP99Seconds, 0.2)
	})
	t.Run("direct egress delay", func(t *testing.T) {
		topo := oneDB(500, 2, 1, 45)
		topo.Egress = []Egress{{Region: "r", Kind: EgressDirect, Name: "s", SubnetCIDR: "10.0.0.0/24"}}
		topo.Workloads[0].Egress = EgressDirect
		s := Simulate(topo, SimOptions{})
		assert.Zero(t, s.SuccessRate) // default 60 s warm-up: connects at 60 s > 45 s budget
		assert.Equal(t, 2, s.Failures.EgressWait)
		topo.Assumptions.DirectEgressStartupSeconds = 20
		s = Simulate(topo, SimOptions{})
		assert.Equal(t, 1.0, s.SuccessRate)
		assert.InDelta(t, 20.1, s.TimeToReadyP50Seconds, 1e-9)
	})
	t.Run("builtin cap and missing database", func(t *testing.T) {
		topo := oneDB(4000, 2, 101, 30) // 101 > 100 per instance on the built-in connection
		topo.Workloads[0].Method = MethodBuiltin
		topo.Workloads = append(topo.Workloads, Workload{Name: "ghost", Region: "r", Database: "nope", MaxInstances: 3, StartupConnections: 1, ConnectTimeoutSeconds: 10})
		topo.Workloads = append(topo.Workloads, Workload{Name: "nodb", Region: "r", MaxInstances: 5, ConnectTimeoutSeconds: 10})
		s := Simulate(topo, SimOptions{})
		assert.Equal(t, 10, s.Instances)
		assert.Equal(t, 2, s.Failures.BuiltinCap)
		assert.Equal(t, 3, s.Failures.NoDatabase)
		assert.InDelta(t, 0.5, s.SuccessRate, 1e-9) // the 5 without a database are ready at start
	})
	t.Run("probe window shorter than timeout", func(t *testing.T) {
		// budget = min(75 s timeout, 0 + 1 × 5 = 5 s window); accept rate 1/s → 5 of 20 get in.
		topo := oneDB(500, 20, 1, 75)
		topo.Workloads[0].StartupProbe = Probe{PeriodSeconds: 1, FailureThreshold: 5}
		topo.Assumptions.AcceptRatePerSecond = 1
		s := Simulate(topo, SimOptions{})
		assert.Equal(t, 0.25, s.SuccessRate)
	})
}

func TestSimulateSeriesAndHorizon(t *testing.T) {
	// The 3 × 4 storm on 10 slots of "slot exhaustion, half-connected pools
	// wait for a give-up": i0 ready at 0.28 s holding 4 slots, i1 and i2
	// holding 3 each until one gives up after 22 s and the other completes.
	s := Simulate(oneDB(15, 3, 4, 30), SimOptions{TimeStepSeconds: 0.5})
	require.NotEmpty(t, s.Series)
	// Horizon = ⌈30 + 0.1 + 1⌉ = 32 s → samples at 0, 0.5 … 32 = 65 points.
	assert.Equal(t, 32.0, s.HorizonSeconds)
	assert.Len(t, s.Series, 65)
	for i := 1; i < len(s.Series); i++ {
		assert.GreaterOrEqual(t, s.Series[i].Ready, s.Series[i-1].Ready)
		assert.InDelta(t, 0.5*float64(i), s.Series[i].Seconds, 1e-9)
	}
	// A sample shows the state after every event at its time: i0c0 is
	// served at 0 s, so one slot is already taken at 0.
	assert.Equal(t, SeriesPoint{Seconds: 0, Ready: 0, Failed: 0, SlotsInUse: 1}, s.Series[0])
	assert.Equal(t, SeriesPoint{Seconds: 0.5, Ready: 1, Failed: 0, SlotsInUse: 10}, s.Series[1])
	assert.Equal(t, SeriesPoint{Seconds: 22, Ready: 1, Failed: 0, SlotsInUse: 10}, s.Series[44]) // no give-up yet
	last := s.Series[len(s.Series)-1]
	assert.Equal(t, SeriesPoint{Seconds: 32, Ready: 2, Failed: 1, SlotsInUse: 8}, last)

	// A horizon that ends before any give-up (22 s): i1 and i2 are still
	// unresolved at 10 s and count as failed.
	h := Simulate(oneDB(15, 3, 4, 30), SimOptions{HorizonSeconds: 10})
	assert.Equal(t, 2, h.Failures.Horizon)
	assert.InDelta(t, 1.0/3, h.SuccessRate, 1e-9)

	// A tiny step is coarsened to at most 10,000 points.
	fine := Simulate(oneDB(15, 4, 5, 30), SimOptions{TimeStepSeconds: 1e-6})
	assert.LessOrEqual(t, len(fine.Series), 10001)

	assert.Equal(t, SimResult{Seed: DefaultSeed}, Simulate(Topology{}, SimOptions{}))
}

func TestSimulateRampAndPerWorkload(t *testing.T) {
	// Spreading the 4 starts over 20 s relieves a database with 10 usable
	// slots only if instances finish; they keep their slots, so ramping
	// does not create capacity: still 2 of 4. (With starts apart, each
	// instance's 5 connections are served together, 0.1 s in all — this
	// seed starts them at 0.8, 2.2, 6.5 and 18.2 s — so the first two to
	// start complete and the last two are refused.)
	topo := oneDB(15, 4, 5, 30)
	topo.Assumptions.RampSeconds = 20
	s := Simulate(topo, SimOptions{})
	assert.Equal(t, 0.5, s.SuccessRate)
	require.Len(t, s.PerWorkload, 1)
	assert.Equal(t, 4, s.PerWorkload[0].Instances)
	assert.Equal(t, 2, s.PerWorkload[0].Ready)
	assert.Equal(t, 2, s.PerWorkload[0].Failed)
	assert.Equal(t, 0.5, s.PerWorkload[0].SuccessRate)
	assert.Positive(t, s.PerWorkload[0].TimeToReadyP95Seconds)

	// With ramp, start times differ: the slowest ready instance started late.
	wide := oneDB(500, 50, 1, 30)
	wide.Assumptions.RampSeconds = 60
	r := Simulate(wide, SimOptions{})
	assert.Equal(t, 1.0, r.SuccessRate)
	var last SeriesPoint
	for _, p := range r.Series {
		if p.Ready == 50 {
			last = p
			break
		}
	}
	assert.Greater(t, last.Seconds, 30.0, "starts spread over 60 s")
}

func TestSimulateDeterministic(t *testing.T) {
	for _, topo := range []Topology{incidentTopology(), stagingTopology(), productionTopology()} {
		a := Simulate(topo, SimOptions{})
		b := Simulate(topo, SimOptions{})
		assert.Equal(t, a, b, topo.Stack)
	}
	// A different seed changes the jitter but not the shape of the result.
	slots := incidentTopology()
	slots.Egress[0].MachineType, slots.Egress[0].MinInstances = "e2-standard-4", 3
	slots.Assumptions.Seed = 7
	x := Simulate(slots, SimOptions{})
	slots.Assumptions.Seed = 8
	y := Simulate(slots, SimOptions{})
	assert.Equal(t, x.Instances, y.Instances)
	assert.Less(t, x.SuccessRate, 0.9)
	assert.Less(t, y.SuccessRate, 0.9)
	// The jitter did change: the retries land elsewhere (attempts 626 vs
	// 639 with seeds 7 and 8), and so do the latencies.
	assert.Equal(t, x.Seed+1, y.Seed)
	assert.NotEqual(t, x.Attempts, y.Attempts, "a different seed changes the retry timeline")
	assert.NotEqual(t, x.ConnectP99Seconds, y.ConnectP99Seconds, "a different seed changes the latencies")
	assert.NotEqual(t, x.Series, y.Series)
}

func TestPercentile(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	assert.Equal(t, 5.0, Percentile(xs, 0.50))  // ⌈0.5 × 10⌉ = 5th
	assert.Equal(t, 10.0, Percentile(xs, 0.95)) // ⌈9.5⌉ = 10th
	assert.Equal(t, 0.0, Percentile(nil, 0.5))
}

func TestUnitRange(t *testing.T) {
	for i := uint64(0); i < 1000; i++ {
		u := unit(1, i, i*7, i*13, i%5)
		require.GreaterOrEqual(t, u, 0.0)
		require.Less(t, u, 1.0)
	}
	assert.NotEqual(t, unit(1, 0, 0, 0, 0), unit(2, 0, 0, 0, 0))
}

func TestSimulateLimitsAndBadInput(t *testing.T) {
	big := oneDB(500, MaxSimulatedInstances+1, 1, 30)
	s := Simulate(big, SimOptions{})
	assert.Contains(t, s.Skipped, "exceed the simulator's limits")
	r := Analyze(big)
	assert.Contains(t, findings(r, CheckColdStartSuccess, "hand")[0].Message, "storm not simulated")

	conns := oneDB(500, 10, MaxSimulatedConnections, 30)
	assert.NotEmpty(t, Simulate(conns, SimOptions{}).Skipped)

	// Non-finite assumptions and options fall back to defaults instead of hanging.
	nan := oneDB(15, 4, 5, 30)
	nan.Assumptions = Assumptions{AcceptRatePerSecond: 50, AcceptRatePerVCPU: math.NaN(), HandshakeSeconds: math.Inf(1), RampSeconds: math.NaN()}
	nan.Targets = Targets{StartupSuccessRate: math.NaN()}
	got := Simulate(nan, SimOptions{HorizonSeconds: math.NaN(), TimeStepSeconds: math.Inf(1)})
	assert.Equal(t, Simulate(oneDB(15, 4, 5, 30), SimOptions{}), got)
	assert.Equal(t, DefaultTargets(), nan.Targets.WithDefaults())
}
