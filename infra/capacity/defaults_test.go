package capacity

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDefaults(t *testing.T) {
	assert.Equal(t, Assumptions{
		ConnectorScaleOutSeconds: 30, DirectEgressStartupSeconds: 60, AcceptRatePerVCPU: 50, HandshakeSeconds: 0.1,
		RevisionLingerSeconds: 600, MaxInstanceOvershoot: 2,
		RetryInitialSeconds: 0.5, RetryMaxSeconds: 8, RetryMultiplier: 2,
		ReservedConnections: 5, AdminSlackConnections: 10, RampSeconds: 0, Seed: 1278,
	}, DefaultAssumptions())
	assert.Equal(t, Targets{StartupSuccessRate: 0.90, ConnectP99Seconds: 30, ConnectionUtilization: 0.80}, DefaultTargets())
	assert.Equal(t, DefaultAssumptions(), Assumptions{}.WithDefaults())
	assert.Equal(t, DefaultTargets(), Targets{}.WithDefaults())
}

func TestWithDefaultsKeepsOverrides(t *testing.T) {
	a := Assumptions{ConnectorScaleOutSeconds: 8, DirectEgressStartupSeconds: 20, AcceptRatePerSecond: 200, AcceptRatePerVCPU: 80,
		RevisionLingerSeconds: 300, MaxInstanceOvershoot: 1.5, HandshakeSeconds: 0.03,
		RetryInitialSeconds: 1, RetryMaxSeconds: 4, RetryMultiplier: 1.5, ReservedConnections: 7, AdminSlackConnections: 3,
		RampSeconds: 20, Seed: 42}
	assert.Equal(t, a, a.WithDefaults())
	tg := Targets{StartupSuccessRate: 0.999, ConnectP99Seconds: 10, ConnectionUtilization: 0.7}
	assert.Equal(t, tg, tg.WithDefaults())

	// Meaningless values are replaced: a multiplier < 1 would shrink the
	// backoff; a max below the initial delay is raised to it; rates > 1.
	fixed := Assumptions{RetryMultiplier: 0.5, RetryInitialSeconds: 2, RetryMaxSeconds: 1, DirectEgressStartupSeconds: -1, RampSeconds: -5,
		AcceptRatePerSecond: -3, MaxInstanceOvershoot: 0.5, RevisionLingerSeconds: -1, AcceptRatePerVCPU: -2}.WithDefaults()
	assert.Equal(t, 2.0, fixed.RetryMultiplier)
	assert.Equal(t, 2.0, fixed.RetryMaxSeconds)
	assert.Equal(t, 60.0, fixed.DirectEgressStartupSeconds)
	assert.Equal(t, 0.0, fixed.AcceptRatePerSecond, "unset: derived from the tier's vCPUs")
	assert.Equal(t, 2.0, fixed.MaxInstanceOvershoot, "an overshoot below 1× means nothing")
	assert.Equal(t, 600.0, fixed.RevisionLingerSeconds)
	assert.Equal(t, 50.0, fixed.AcceptRatePerVCPU)
	assert.Equal(t, 0.0, fixed.RampSeconds)
	assert.Equal(t, DefaultTargets(), Targets{StartupSuccessRate: 1.5, ConnectionUtilization: 2, ConnectP99Seconds: -1}.WithDefaults())
}

// FuzzAnalyze builds small topologies from fuzzed numbers: Analyze must
// not panic or hang, and its success rate stays in [0, 1].
func FuzzAnalyze(f *testing.F) {
	f.Add(100, 20, 5, 10, 5, 75.0, 50.0, 2, 10, 30.0, 50.0, 0.0)
	f.Add(14, 1, 1, 0, 0, 0.0, 0.0, 0, 0, 0.0, 0.0, 0.0)
	f.Add(-5, -1, -1, -1, -1, -1.0, -1.0, -1, -1, -1.0, -1.0, -1.0)
	f.Fuzz(func(t *testing.T, maxConn, maxInst, startup, pool, overflow int, timeout, mbps float64, cmin, cmax int, scaleOut, rate, ramp float64) {
		if maxInst > 2000 || startup > 50 {
			return // keep each run small; limits are tested elsewhere
		}
		topo := incidentTopology()
		topo.Databases[0].MaxConnections = maxConn
		topo.Egress[0].MinInstances, topo.Egress[0].MaxInstances = cmin, cmax
		w := &topo.Workloads[0]
		w.MaxInstances, w.StartupConnections, w.PoolSize, w.MaxOverflow = maxInst, startup, pool, overflow
		w.ConnectTimeoutSeconds, w.EgressMbpsPerInstance = timeout, mbps
		topo.Assumptions = Assumptions{ConnectorScaleOutSeconds: scaleOut, AcceptRatePerSecond: rate, RampSeconds: ramp}
		r := Analyze(topo)
		if s := r.Simulation.SuccessRate; s < 0 || s > 1 {
			t.Fatalf("success rate %v", s)
		}
	})
}
