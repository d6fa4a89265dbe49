package capacity

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Boundary cases at every threshold: each side of each comparison, so a
// one-character change (> for ≥ or back) makes a test fail.

func TestBoundaryDemandEqualsAllowed(t *testing.T) {
	// issueStack: allowed 124; cold-start demand 8 × 14 + 10 = 122.
	tests := []struct {
		consumers int
		demand    int
		sev       Severity
	}{
		{2, 124, SeverityOK},   // demand = allowed: fits
		{3, 125, SeverityFail}, // one over
	}
	for _, tt := range tests {
		topo := issueStack()
		topo.Databases[0].Consumers = []Consumer{{Name: "cron", Connections: tt.consumers}}
		r := Analyze(topo)
		b := scenarioOf(t, r, ScenarioColdStart).Budgets[0]
		assert.Equal(t, 124, b.Allowed)
		assert.Equal(t, tt.demand, b.Demand)
		assert.Equal(t, tt.sev, b.Severity, "demand %d", tt.demand)
		assert.Len(t, scenarioFindings(r, ScenarioColdStart, CheckConnectionBudget, "db"), map[Severity]int{SeverityOK: 0, SeverityFail: 1}[tt.sev])
	}
}

func TestBoundaryScaleOutTenSeconds(t *testing.T) {
	// 5 × 50 Mbps = 250 Mbps on e2-micro (100 Mbps each) from 2: one
	// scale-out. At exactly 10 s it fails the "< 10 s" criterion.
	mk := func(scaleOut float64) Report {
		return Analyze(Topology{
			Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-4-16384", MaxConnections: 500}},
			Egress:    []Egress{{Region: "r", Kind: EgressConnector, Name: "c", MachineType: "e2-micro", MinInstances: 2, MaxInstances: 10, IPCIDRRange: "10.8.0.0/28"}},
			Workloads: []Workload{{Name: "w", Region: "r", Egress: EgressConnector, Method: MethodPrivateIP, Database: "db", MaxInstances: 5,
				EgressMbpsPerInstance: 50, PoolSize: 2, StartupConnections: 1, ConnectTimeoutSeconds: 60, StartupProbe: httpProbe240}},
			Assumptions: Assumptions{ConnectorScaleOutSeconds: scaleOut},
		})
	}
	for _, tt := range []struct {
		seconds float64
		sev     Severity
	}{{10, SeverityFail}, {9.99, SeverityWarn}} {
		r := mk(tt.seconds)
		h := r.Egress[0]
		assert.Equal(t, 1, h.ScaleOutsNeeded)
		assert.Equal(t, tt.seconds, h.ScaleOutSeconds)
		assert.Equal(t, tt.sev, h.Severity, "%g s", tt.seconds)
		fs := findings(r, CheckEgressHeadroom, "c")
		require.Len(t, fs, 1)
		assert.Equal(t, tt.sev, fs[0].Severity)
		assert.Contains(t, fs[0].Message, "criterion < 10 s")
	}
}

// acceptTopology: n instances × 1 connection, accept rate 1/s, handshake
// h: the k-th connection is served at k s and established at k + h.
func acceptTopology(n int, h, timeout float64) Topology {
	return Topology{
		Stack:     "accept",
		Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-4-16384", MaxConnections: 500}},
		Workloads: []Workload{{Name: "w", Region: "r", Method: MethodConnector, Database: "db", Egress: EgressNone,
			MaxInstances: n, PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: timeout, StartupProbe: httpProbe240}},
		Assumptions: Assumptions{AcceptRatePerSecond: 1, HandshakeSeconds: h},
	}
}

func TestBoundarySuccessEqualsTarget(t *testing.T) {
	// 10 instances, 9.05 s timeout: established at 0.1 … 8.1 (9 ready),
	// the 10th at 9.1 > 9.05: success exactly 90 %. The criterion is
	// "> 90 %", so 90 % is flagged; a target of 89 % is met.
	topo := acceptTopology(10, 0.1, 9.05)
	r := Analyze(topo)
	require.Equal(t, 0.9, r.Simulation.SuccessRate)
	fs := messageWith(findings(r, CheckColdStartSuccess, "accept"), "storm success")
	require.NotNil(t, fs)
	assert.Contains(t, fs.Message, "predicted storm success 90.0% (9 of 10 instances ready) is not above the 90.0% target")
	// The timeout budget fails too (10 connections at 1/s + 0.1 s > 9.05 s),
	// so the simulation's verdict is mandatory here.
	assert.Equal(t, SeverityFail, scenarioOf(t, r, ScenarioColdStart).Verdict(CheckTimeoutBudget))
	assert.Equal(t, SeverityFail, scenarioOf(t, r, ScenarioColdStart).Verdict(CheckColdStartSuccess))
	topo.Targets.StartupSuccessRate = 0.89
	assert.Nil(t, messageWith(findings(Analyze(topo), CheckColdStartSuccess, "accept"), "storm success"))
}

func TestBoundaryConnectP99EqualsTarget(t *testing.T) {
	// 30 instances, handshake 1 s: established at 1 … 30 s; p99 (the 30th
	// of 30) = 30 s: not "< 30 s", flagged. 29 instances: p99 29 s, met.
	r := Analyze(acceptTopology(30, 1, 40))
	require.Equal(t, 30.0, r.Simulation.ConnectP99Seconds)
	fs := messageWith(findings(r, CheckColdStartSuccess, "accept"), "connect p99")
	require.NotNil(t, fs)
	assert.Contains(t, fs.Message, "predicted connect p99 30.0 s is not under the 30 s target")
	// No monotone rule fails here (worst case 31 s ≤ the 40 s budget), so
	// the simulation only advises.
	assert.Equal(t, SeverityWarn, fs.Severity)
	assert.NotEqual(t, SeverityFail, r.Severity())
	r = Analyze(acceptTopology(29, 1, 40))
	require.Equal(t, 29.0, r.Simulation.ConnectP99Seconds)
	assert.Nil(t, messageWith(findings(r, CheckColdStartSuccess, "accept"), "connect p99"))
}

func TestBoundaryWorstCaseEqualsBudget(t *testing.T) {
	// 1 connection at 2/s: queue 0.5 s + handshake 0.5 s = 1 s exactly.
	mk := func(timeout float64) Report {
		topo := acceptTopology(1, 0.5, timeout)
		topo.Assumptions.AcceptRatePerSecond = 2
		return Analyze(topo)
	}
	r := mk(1)
	require.Equal(t, 1.0, r.Timeouts[0].WorstCaseSeconds)
	assert.Equal(t, SeverityOK, r.Timeouts[0].Severity, "worst case = budget fits")
	r = mk(0.99)
	assert.Equal(t, SeverityFail, r.Timeouts[0].Severity)
	fs := scenarioFindings(r, ScenarioColdStart, CheckTimeoutBudget, "w")
	require.Len(t, fs, 1)
	assert.Contains(t, fs[0].Message, "worst-case connect 1.0 s (egress 0.0 s + queue 0.5 s + handshake 0.50 s) vs budget 1 s")
}

func TestBoundaryWorstCaseEqualsConnectTarget(t *testing.T) {
	// n connections at 2/s + 0.5 s handshake: 59 → 29.5 + 0.5 = 30 s, not
	// "< 30 s" (warning); 58 → 29.5 s, met.
	mk := func(n int) Report {
		topo := acceptTopology(n, 0.5, 60)
		topo.Assumptions.AcceptRatePerSecond = 2
		return Analyze(topo)
	}
	r := mk(59)
	require.Equal(t, 30.0, r.Timeouts[0].WorstCaseSeconds)
	assert.Equal(t, SeverityWarn, r.Timeouts[0].Severity)
	fs := scenarioFindings(r, ScenarioColdStart, CheckTimeoutBudget, "w")
	require.Len(t, fs, 1)
	assert.Contains(t, fs[0].Message, "worst-case connect 30.0 s is not under the 30 s connect target")
	r = mk(58)
	assert.Equal(t, 29.5, r.Timeouts[0].WorstCaseSeconds)
	assert.Equal(t, SeverityOK, r.Timeouts[0].Severity)
}

func TestBoundaryWindowEqualsTimeout(t *testing.T) {
	// Probe window 240 s: a 240 s connect timeout is allowed; 241 s outlasts it.
	topo := acceptTopology(1, 0.1, 240)
	assert.Empty(t, findings(Analyze(topo), CheckTimeoutBudget, "w"))
	topo.Workloads[0].ConnectTimeoutSeconds = 241
	fs := findings(Analyze(topo), CheckTimeoutBudget, "w")
	require.Len(t, fs, 1)
	assert.Equal(t, SeverityWarn, fs[0].Severity)
	assert.Contains(t, fs[0].Message, "connect timeout 241 s outlasts the startup probe window 240 s")
}

func TestBoundaryAdminAPI(t *testing.T) {
	mk := func(n int) Report {
		return Analyze(Topology{
			Databases: []Database{{Name: "db", Region: "r", Tier: "db-perf-optimized-N-16", Edition: EditionEnterprisePlus, MaxConnections: 4000}},
			Workloads: []Workload{{Name: "w", Region: "r", Method: MethodConnector, Database: "db", MaxInstances: n,
				PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: 30, StartupProbe: httpProbe240}},
		})
	}
	tests := []struct {
		n, calls int
		sev      Severity
	}{
		{400, 800, SeverityOK},    // = 80 %: not above the warning share
		{401, 802, SeverityWarn},  // > 80 %
		{500, 1000, SeverityWarn}, // = quota: fits
		{501, 1002, SeverityFail}, // > quota
	}
	for _, tt := range tests {
		r := mk(tt.n)
		a := scenarioOf(t, r, ScenarioColdStart).AdminAPI[0]
		assert.Equal(t, tt.calls, a.Calls)
		assert.Equal(t, tt.sev, a.Severity, "%d calls", tt.calls)
		fs := scenarioFindings(r, ScenarioColdStart, CheckAdminAPIQuota, "r")
		if tt.sev == SeverityOK {
			assert.Empty(t, fs)
			continue
		}
		require.Len(t, fs, 1)
		assert.Equal(t, tt.sev, fs[0].Severity)
		assert.Contains(t, fs[0].Message, fmt.Sprintf("region r: ≈%d Cloud SQL Admin API connect calls", tt.calls))
		assert.Contains(t, fs[0].Message, "cap maxInstances so the region starts ≤ 400 instances")
	}
}
