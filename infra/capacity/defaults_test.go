package capacity

import (
	"math"
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

// TestWithDefaultsBoundaries pins each replacement rule at its threshold:
// the smallest meaningful value is kept, the value just past it (and NaN,
// ±Inf) takes the default.
func TestWithDefaultsBoundaries(t *testing.T) {
	d := DefaultAssumptions()
	const tiny = 1e-6
	field := map[string]func(*Assumptions) *float64{
		"ConnectorScaleOutSeconds":   func(a *Assumptions) *float64 { return &a.ConnectorScaleOutSeconds },
		"DirectEgressStartupSeconds": func(a *Assumptions) *float64 { return &a.DirectEgressStartupSeconds },
		"AcceptRatePerSecond":        func(a *Assumptions) *float64 { return &a.AcceptRatePerSecond },
		"AcceptRatePerVCPU":          func(a *Assumptions) *float64 { return &a.AcceptRatePerVCPU },
		"RevisionLingerSeconds":      func(a *Assumptions) *float64 { return &a.RevisionLingerSeconds },
		"MaxInstanceOvershoot":       func(a *Assumptions) *float64 { return &a.MaxInstanceOvershoot },
		"HandshakeSeconds":           func(a *Assumptions) *float64 { return &a.HandshakeSeconds },
		"RetryInitialSeconds":        func(a *Assumptions) *float64 { return &a.RetryInitialSeconds },
		"RetryMultiplier":            func(a *Assumptions) *float64 { return &a.RetryMultiplier },
		"RampSeconds":                func(a *Assumptions) *float64 { return &a.RampSeconds },
	}
	tests := []struct {
		field    string
		in, want float64
	}{
		{"ConnectorScaleOutSeconds", 0, d.ConnectorScaleOutSeconds},
		{"ConnectorScaleOutSeconds", tiny, tiny},
		{"DirectEgressStartupSeconds", 0, d.DirectEgressStartupSeconds},
		{"DirectEgressStartupSeconds", tiny, tiny},
		{"AcceptRatePerSecond", -tiny, 0}, // unset: derived from the tier's vCPUs
		{"AcceptRatePerSecond", tiny, tiny},
		{"AcceptRatePerVCPU", 0, d.AcceptRatePerVCPU},
		{"AcceptRatePerVCPU", tiny, tiny},
		{"RevisionLingerSeconds", 0, d.RevisionLingerSeconds},
		{"RevisionLingerSeconds", tiny, tiny},
		// An overshoot or backoff multiplier of exactly 1× is meaningful
		// (no overshoot, constant backoff); below 1× is not.
		{"MaxInstanceOvershoot", 1, 1},
		{"MaxInstanceOvershoot", 1 - tiny, d.MaxInstanceOvershoot},
		{"RetryMultiplier", 1, 1},
		{"RetryMultiplier", 1 - tiny, d.RetryMultiplier},
		{"HandshakeSeconds", 0, d.HandshakeSeconds},
		{"HandshakeSeconds", tiny, tiny},
		{"RetryInitialSeconds", 0, d.RetryInitialSeconds},
		{"RetryInitialSeconds", tiny, tiny},
		{"RampSeconds", -tiny, d.RampSeconds},
		{"RampSeconds", tiny, tiny},
		{"RampSeconds", math.NaN(), d.RampSeconds},
		{"ConnectorScaleOutSeconds", math.Inf(1), d.ConnectorScaleOutSeconds},
		{"MaxInstanceOvershoot", math.Inf(-1), d.MaxInstanceOvershoot},
	}
	for _, tt := range tests {
		var a Assumptions
		*field[tt.field](&a) = tt.in
		got := a.WithDefaults()
		assert.Equal(t, tt.want, *field[tt.field](&got), "%s = %v", tt.field, tt.in)
	}

	// The backoff cap is at least the initial delay.
	for _, tt := range []struct{ initial, max, want float64 }{
		{2, 2, 2}, {2, 3, 3}, {2, 1, 2}, {2, 0, DefaultRetryMaxSeconds},
	} {
		got := Assumptions{RetryInitialSeconds: tt.initial, RetryMaxSeconds: tt.max}.WithDefaults()
		assert.Equal(t, tt.want, got.RetryMaxSeconds, "initial %v, max %v", tt.initial, tt.max)
	}
	for _, tt := range []struct{ in, wantReserved, wantSlack int }{
		{-1, DefaultReservedConnections, DefaultAdminSlackConnections},
		{0, DefaultReservedConnections, DefaultAdminSlackConnections},
		{1, 1, 1},
	} {
		got := Assumptions{ReservedConnections: tt.in, AdminSlackConnections: tt.in}.WithDefaults()
		assert.Equal(t, tt.wantReserved, got.ReservedConnections, tt.in)
		assert.Equal(t, tt.wantSlack, got.AdminSlackConnections, tt.in)
	}
	assert.Equal(t, int64(DefaultSeed), Assumptions{}.WithDefaults().Seed)
	assert.Equal(t, int64(-1), Assumptions{Seed: -1}.WithDefaults().Seed, "any non-zero seed is a seed")
}

// TestTargetsWithDefaultsBoundaries: rates are fractions in (0, 1], so 1
// (every instance, every slot) is kept and anything above is replaced.
func TestTargetsWithDefaultsBoundaries(t *testing.T) {
	d := DefaultTargets()
	const tiny = 1e-6
	for _, tt := range []struct {
		in, wantRate, wantUtil float64
	}{
		{0, d.StartupSuccessRate, d.ConnectionUtilization},
		{tiny, tiny, tiny},
		{1, 1, 1},
		{1 + tiny, d.StartupSuccessRate, d.ConnectionUtilization},
		{-tiny, d.StartupSuccessRate, d.ConnectionUtilization},
		{math.NaN(), d.StartupSuccessRate, d.ConnectionUtilization},
	} {
		got := Targets{StartupSuccessRate: tt.in, ConnectionUtilization: tt.in}.WithDefaults()
		assert.Equal(t, tt.wantRate, got.StartupSuccessRate, "rate %v", tt.in)
		assert.Equal(t, tt.wantUtil, got.ConnectionUtilization, "utilization %v", tt.in)
	}
	for _, tt := range []struct{ in, want float64 }{{0, d.ConnectP99Seconds}, {-tiny, d.ConnectP99Seconds}, {tiny, tiny}, {math.Inf(1), d.ConnectP99Seconds}} {
		assert.Equal(t, tt.want, Targets{ConnectP99Seconds: tt.in}.WithDefaults().ConnectP99Seconds, "p99 %v", tt.in)
	}
}
