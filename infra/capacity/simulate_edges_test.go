package capacity

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connectorStorm is instances × mbps of one workload behind one e2-micro
// connector of minI … maxI instances in region r, one startup connection
// each to a database with room for all.
func connectorStorm(minI, maxI, instances int, mbps, timeout float64) Topology {
	return Topology{Stack: "hand",
		Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-4-16384", MaxConnections: 500}},
		Egress:    []Egress{{Region: "r", Kind: EgressConnector, Name: "c", MachineType: "e2-micro", MinInstances: minI, MaxInstances: maxI, IPCIDRRange: "10.8.0.0/28"}},
		Workloads: []Workload{{Name: "w", Region: "r", Method: MethodPrivateIP, Database: "db", Egress: EgressConnector, EgressName: "c",
			MaxInstances: instances, EgressMbpsPerInstance: mbps, PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: timeout, StartupProbe: probe240}},
	}
}

// longProbe gives every workload a 1,000 s startup probe window.
func longProbe(t Topology) Topology {
	for i := range t.Workloads {
		t.Workloads[i].StartupProbe = Probe{PeriodSeconds: 10, FailureThreshold: 100}
	}
	return t
}

func microMbps(t *testing.T) float64 {
	m, ok := LookupConnectorMachine("e2-micro")
	require.True(t, ok)
	return m.PerInstanceMbps
}

// TestSimulateConnectorScaling pins when the simulated connector scales out:
// only while an instance waits, one instance per ConnectorScaleOutSeconds,
// never beyond its maximum, and not again once the queue is empty.
func TestSimulateConnectorScaling(t *testing.T) {
	per := microMbps(t)
	scaleOut := DefaultAssumptions().ConnectorScaleOutSeconds
	for _, tc := range []struct {
		name            string
		topo            Topology
		want            RegionSim
		ready, egressed int
	}{
		{"fits at minimum: no scale-out", connectorStorm(2, 3, 1, per, 100),
			RegionSim{ConnectorInstancesStart: 2, ConnectorInstancesEnd: 2}, 1, 0},
		{"already at maximum: no scale-out, the third waits out its timeout", connectorStorm(2, 2, 3, per, 100),
			RegionSim{ConnectorInstancesStart: 2, ConnectorInstancesEnd: 2}, 2, 1},
		{"one scale-out admits the last waiter; room to grow is not used", connectorStorm(2, 5, 3, per, 100),
			RegionSim{ConnectorInstancesStart: 2, ConnectorInstancesEnd: 3, ScaleOuts: 1, MaxEgressWaitSeconds: scaleOut, DelayedInstances: 1}, 3, 0},
		{"stops at maximum while one still waits", connectorStorm(2, 3, 4, per, 100),
			RegionSim{ConnectorInstancesStart: 2, ConnectorInstancesEnd: 3, ScaleOuts: 1, MaxEgressWaitSeconds: scaleOut, DelayedInstances: 1}, 3, 1},
		{"unset maximum is the default", longProbe(connectorStorm(2, 0, 2+ConnectorDefaultMaxInstances, per, 1000)),
			RegionSim{ConnectorInstancesStart: 2, ConnectorInstancesEnd: ConnectorDefaultMaxInstances, ScaleOuts: ConnectorDefaultMaxInstances - 2,
				MaxEgressWaitSeconds: float64(ConnectorDefaultMaxInstances-2) * scaleOut, DelayedInstances: ConnectorDefaultMaxInstances - 2}, ConnectorDefaultMaxInstances, 2},
		// Egress is compared with the capacity within eps (float error), so
		// an instance asking for exactly capacity + eps still fits.
		{"capacity is compared within eps", connectorStorm(2, 3, 1, 2*per+eps, 100),
			RegionSim{ConnectorInstancesStart: 2, ConnectorInstancesEnd: 2}, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Simulate(tc.topo, SimOptions{})
			require.Len(t, s.PerRegion, 1)
			want := tc.want
			want.Region, want.Egress = "r", "c"
			assert.Equal(t, want, s.PerRegion[0])
			require.Len(t, s.PerWorkload, 1)
			assert.Equal(t, tc.ready, s.PerWorkload[0].Ready)
			assert.Equal(t, tc.egressed, s.Failures.EgressWait)
		})
	}

	t.Run("instances that arrive to free capacity did not wait", func(t *testing.T) {
		// Starts spread over 20 s: each is admitted when it starts, so none
		// counts as delayed, however late it started.
		topo := connectorStorm(2, 3, 2, per, 100)
		topo.Assumptions.RampSeconds = 20
		s := Simulate(topo, SimOptions{})
		require.Len(t, s.PerRegion, 1)
		assert.Equal(t, RegionSim{Region: "r", Egress: "c", ConnectorInstancesStart: 2, ConnectorInstancesEnd: 2}, s.PerRegion[0])
		assert.Equal(t, 1.0, s.SuccessRate)
	})

	t.Run("an instance without egress demand does not queue", func(t *testing.T) {
		// w (3 × the per-instance figure) fills the minimum size with two
		// instances; its third waits for the scale-out at 30 s, past the
		// 25 s timeout. v's instances carry no egress: they skip the queue,
		// even the one that starts after w's third is already waiting.
		topo := connectorStorm(2, 3, 3, per, 25)
		quiet := topo.Workloads[0]
		quiet.Name, quiet.EgressMbpsPerInstance = "v", 0
		topo.Workloads = append(topo.Workloads, quiet)
		s := Simulate(topo, SimOptions{})
		require.Len(t, s.PerWorkload, 2)
		assert.Equal(t, 2, s.PerWorkload[0].Ready)
		assert.Equal(t, WorkloadSim{Workload: "v", Region: "r", Instances: 3, Ready: 3, SuccessRate: 1,
			TimeToReadyP95Seconds: s.PerWorkload[1].TimeToReadyP95Seconds}, s.PerWorkload[1])
		assert.Less(t, s.PerWorkload[1].TimeToReadyP95Seconds, 1.0)
		assert.Equal(t, 1, s.Failures.EgressWait)
		assert.Zero(t, s.PerRegion[0].DelayedInstances)
	})
}

// TestSimulateAdminQuota pins which methods spend Admin API connect quota
// (the built-in connection and the connectors, not a private IP) and that
// the quota refills every AdminAPIQuotaIntervalSeconds.
func TestSimulateAdminQuota(t *testing.T) {
	perWindow := AdminAPIConnectQuotaPerMinute / AdminAPICallsPerInstancePerDatabase // 500 starts per minute
	storm := func(method ConnectionMethod, instances int, timeout float64) SimResult {
		topo := oneDB(4000, instances, 1, timeout)
		topo.Databases[0].Tier = "db-perf-optimized-N-16"
		topo.Workloads[0].Method = method
		topo.Workloads[0].StartupProbe = Probe{PeriodSeconds: 10, FailureThreshold: 36} // 360 s window
		topo.Assumptions.AcceptRatePerSecond = 1000
		return Simulate(topo, SimOptions{})
	}
	for _, tc := range []struct {
		method   ConnectionMethod
		quotaHit int
	}{{MethodBuiltin, 100}, {MethodConnector, 100}, {MethodPrivateIP, 0}} {
		s := storm(tc.method, perWindow+100, 45)
		assert.Equal(t, tc.quotaHit, s.Failures.AdminQuota, tc.method)
		assert.InDelta(t, float64(perWindow+100-tc.quotaHit)/float64(perWindow+100), s.SuccessRate, 1e-9, tc.method)
	}
	// Two full minutes and a bit: 500 start at 0 s, 500 at 60 s and 100 at
	// 120 s; all are ready within a 150 s timeout.
	s := storm(MethodConnector, 2*perWindow+100, 150)
	assert.Equal(t, 1.0, s.SuccessRate)
	assert.Zero(t, s.Failures.AdminQuota)
	window := float64(AdminAPIQuotaIntervalSeconds)
	assert.GreaterOrEqual(t, s.TimeToReadyP99Seconds, 2*window+DefaultAssumptions().HandshakeSeconds)
	assert.Less(t, s.TimeToReadyP99Seconds, 2*window+1)
}

// TestSimulateTimesAreFromEachInstanceStart: time to ready and connection
// latency run from the instance's own start, so with starts spread out and
// no contention every instance takes exactly one handshake.
func TestSimulateTimesAreFromEachInstanceStart(t *testing.T) {
	topo := oneDB(500, 3, 1, 30)
	topo.Assumptions.RampSeconds = 20
	s := Simulate(topo, SimOptions{})
	h := DefaultAssumptions().HandshakeSeconds
	require.Equal(t, 1.0, s.SuccessRate)
	for _, v := range []float64{s.TimeToReadyP50Seconds, s.TimeToReadyP99Seconds, s.ConnectP50Seconds, s.ConnectP99Seconds, s.PerWorkload[0].TimeToReadyP95Seconds} {
		assert.InDelta(t, h, v, 1e-9)
	}
	// The starts really were spread (and apart by more than one accept
	// slot, 1 ÷ 50 s, so nobody queued).
	var readyAt []float64
	for i := 1; i < len(s.Series); i++ {
		if s.Series[i].Ready > s.Series[i-1].Ready {
			readyAt = append(readyAt, s.Series[i].Seconds)
		}
	}
	assert.Len(t, readyAt, 3)
}

// TestSimulateLatencyCountsConnectionsOnly: an instance without a database
// is ready at once (time to ready 0) but opens no connection, so it adds
// nothing to the connection latencies.
func TestSimulateLatencyCountsConnectionsOnly(t *testing.T) {
	topo := oneDB(500, 1, 1, 30)
	topo.Workloads = append(topo.Workloads, Workload{Name: "nodb", Region: "r", MaxInstances: 5, ConnectTimeoutSeconds: 10, StartupProbe: probe240})
	s := Simulate(topo, SimOptions{})
	h := DefaultAssumptions().HandshakeSeconds
	assert.Equal(t, 1.0, s.SuccessRate)
	assert.Equal(t, 1, s.Attempts)
	assert.Zero(t, s.TimeToReadyP50Seconds) // 5 of 6 ready at 0 s
	assert.InDelta(t, h, s.TimeToReadyP99Seconds, 1e-9)
	assert.InDelta(t, h, s.ConnectP50Seconds, 1e-9)
	assert.InDelta(t, h, s.ConnectP99Seconds, 1e-9)
}

func TestSimulateBuiltinCapBoundary(t *testing.T) {
	for _, tc := range []struct {
		startup    int
		success    float64
		builtinCap int
	}{
		{BuiltinConnectionsPerInstance, 1, 0}, // at the cap: fine
		{BuiltinConnectionsPerInstance + 1, 0, 1},
	} {
		topo := oneDB(4000, 1, tc.startup, 30)
		topo.Databases[0].Tier = "db-perf-optimized-N-16"
		topo.Workloads[0].Method = MethodBuiltin
		s := Simulate(topo, SimOptions{})
		assert.Equal(t, tc.success, s.SuccessRate, "startup %d", tc.startup)
		assert.Equal(t, tc.builtinCap, s.Failures.BuiltinCap, "startup %d", tc.startup)
	}
}

// TestSimulateGivesUpWhenTheRetryIsDue: a refused connection whose next
// retry would start at or after the deadline gives up at the refusal; one
// whose retry starts before the deadline tries again. The retry time comes
// from the shared backoff (RetryDelay, EqualJitter) and the jitter draw of
// that attempt.
func TestSimulateGivesUpWhenTheRetryIsDue(t *testing.T) {
	a := DefaultAssumptions()
	refusedAt := 0 + a.HandshakeSeconds // no usable slot: refused at once
	retryAt := refusedAt + EqualJitter(RetryDelay(a.RetryInitialSeconds, a.RetryMultiplier, a.RetryMaxSeconds, 0), unit(a.Seed, 0, 0, 0, 1))
	require.Greater(t, retryAt, refusedAt+0.2)
	for _, tc := range []struct {
		name     string
		deadline float64
		attempts int
		failedAt float64
	}{
		{"retry due exactly at the deadline", retryAt, 1, refusedAt},
		{"retry due just before the deadline", retryAt + 0.05, 2, retryAt + 0.05},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topo := oneDB(a.ReservedConnections, 1, 1, tc.deadline) // 0 usable slots
			s := Simulate(topo, SimOptions{TimeStepSeconds: 0.01})
			assert.Zero(t, s.SuccessRate)
			assert.Equal(t, 1, s.Failures.SlotExhaustion)
			assert.Equal(t, tc.attempts, s.Attempts)
			assert.Equal(t, tc.attempts, s.Refused)
			for _, p := range s.Series {
				if p.Seconds > tc.failedAt+1e-9 {
					assert.Equal(t, 1, p.Failed, "at %g s", p.Seconds)
				} else if p.Seconds < tc.failedAt-1e-9 {
					assert.Equal(t, 0, p.Failed, "at %g s", p.Seconds)
				}
			}
		})
	}
}

func TestSimulateHorizonAndSeriesEdges(t *testing.T) {
	h := DefaultAssumptions().HandshakeSeconds
	// An event exactly at the horizon still happens: the one connection is
	// established at the handshake time.
	s := Simulate(oneDB(500, 1, 1, 30), SimOptions{HorizonSeconds: h})
	assert.Equal(t, 1.0, s.SuccessRate)
	assert.Zero(t, s.Failures.Horizon)
	// Just before it, the instance is unresolved.
	s = Simulate(oneDB(500, 1, 1, 30), SimOptions{HorizonSeconds: h / 2})
	assert.Zero(t, s.SuccessRate)
	assert.Equal(t, 1, s.Failures.Horizon)

	// A step finer than horizon ÷ 10,000 becomes horizon ÷ 10,000.
	fine := Simulate(oneDB(500, 1, 1, 30), SimOptions{HorizonSeconds: 20, TimeStepSeconds: 1e-6})
	require.GreaterOrEqual(t, len(fine.Series), maxSeriesPoints)
	assert.LessOrEqual(t, len(fine.Series), maxSeriesPoints+1)
	assert.InDelta(t, 20.0/maxSeriesPoints, fine.Series[1].Seconds, 1e-12)
}

func TestSimulateInstanceLimit(t *testing.T) {
	// Exactly MaxSimulatedInstances is simulated; one more is not
	// (TestSimulateLimitsAndBadInput). Kept cheap: the starts are spread
	// over a long ramp and the horizon ends before the first, so every
	// instance is left unresolved.
	topo := Topology{Assumptions: Assumptions{RampSeconds: 1e6},
		Workloads: []Workload{{Name: "n", Region: "r", MaxInstances: MaxSimulatedInstances, ConnectTimeoutSeconds: 10}}}
	s := Simulate(topo, SimOptions{HorizonSeconds: 1e-9})
	assert.Empty(t, s.Skipped)
	assert.Equal(t, MaxSimulatedInstances, s.Instances)
	assert.Equal(t, MaxSimulatedInstances, s.Failures.Horizon)
}

func TestSimulateConnectionLimit(t *testing.T) {
	// Exactly MaxSimulatedConnections is simulated (cheaply: a built-in
	// connection over its cap never opens them); one more is not.
	at := oneDB(4000, 1, MaxSimulatedConnections, 30)
	at.Workloads[0].Method = MethodBuiltin
	s := Simulate(at, SimOptions{})
	assert.Empty(t, s.Skipped)
	assert.Equal(t, 1, s.Failures.BuiltinCap)

	over := oneDB(4000, 1, MaxSimulatedConnections+5, 30)
	over.Workloads[0].Method = MethodBuiltin
	s = Simulate(over, SimOptions{})
	assert.Equal(t, fmt.Sprintf("1 instances with %d startup connections exceed the simulator's limits of %d and %d; set maxInstances and startupConnections explicitly",
		MaxSimulatedConnections+1, MaxSimulatedInstances, MaxSimulatedConnections), s.Skipped)
	assert.Equal(t, 1, s.Instances)
}

// TestSimulateScenarioListsStormingWorkloads: outside a cold start only the
// workloads that start or reconnect in the scenario are listed.
func TestSimulateScenarioListsStormingWorkloads(t *testing.T) {
	topo := oneDB(500, 2, 1, 30)
	topo.Databases = append(topo.Databases, Database{Name: "db2", Region: "r", Tier: "db-custom-4-16384", MaxConnections: 500})
	topo.Workloads = append(topo.Workloads, Workload{Name: "v", Region: "r", Method: MethodPrivateIP, Database: "db2", Egress: EgressNone,
		MaxInstances: 3, PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: 30, StartupProbe: probe240})
	s, ok := SimulateScenario(topo, ScenarioRestartPrefix+"db2", SimOptions{})
	require.True(t, ok)
	assert.Equal(t, 3, s.Instances)
	require.Len(t, s.PerWorkload, 1)
	assert.Equal(t, "v", s.PerWorkload[0].Workload)
	assert.Equal(t, 3, s.PerWorkload[0].Ready)

	cold, ok := SimulateScenario(topo, ScenarioColdStart, SimOptions{})
	require.True(t, ok)
	require.Len(t, cold.PerWorkload, 2)
	assert.Equal(t, []string{"w", "v"}, []string{cold.PerWorkload[0].Workload, cold.PerWorkload[1].Workload})
}
