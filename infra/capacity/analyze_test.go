package capacity

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// findings returns the static and cold-start findings of check
// (optionally for subject).
func findings(r Report, check, subject string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Check == check && (subject == "" || f.Subject == subject) && (f.Scenario == "" || f.Scenario == ScenarioColdStart) {
			out = append(out, f)
		}
	}
	return out
}

// scenarioFindings returns the findings of check in one scenario
// (optionally for subject).
func scenarioFindings(r Report, scenario, check, subject string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Check == check && (subject == "" || f.Subject == subject) && f.Scenario == scenario {
			out = append(out, f)
		}
	}
	return out
}

func TestConnectionBudget(t *testing.T) {
	tests := []struct {
		name     string
		topo     Topology
		db       string
		max      int
		explicit bool
		usable   int
		allowed  int
		demand   int
		required int
		sev      Severity
	}{
		// staging (cold start): usable 1000 − 5 = 995; allowed floor(995 × 0.8) = 796;
		// demand 20×(10+5) + 10×(5+2) + 10 = 300 + 70 + 10 = 380 ≤ 796.
		// required = 5 + ⌈380 ÷ 0.8⌉ = 5 + 475 = 480.
		{"staging", stagingTopology(), "staging-shared-postgres", 1000, true, 995, 796, 380, 480, SeverityOK},
		// production: usable 1200 − 5 = 1195; allowed floor(1195 × 0.8) = 956;
		// demand 2×15×(8+4) + 2×10×(3+1) + 10 = 360 + 80 + 10 = 450 ≤ 956.
		// required = 5 + ⌈450 ÷ 0.8⌉ = 5 + 563 (562.5 rounds up) = 568.
		{"production", productionTopology(), "prod-postgres", 1200, true, 1195, 956, 450, 568, SeverityOK},
		// incident: usable 100 − 5 = 95; allowed floor(95 × 0.8) = 76;
		// demand 380 as staging ≫ 76.
		{"incident", incidentTopology(), "staging-shared-postgres", 100, true, 95, 76, 380, 480, SeverityFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Analyze(tt.topo)
			var b *ConnectionBudget
			for i := range r.Budgets {
				if r.Budgets[i].Database == tt.db {
					b = &r.Budgets[i]
				}
			}
			require.NotNil(t, b)
			assert.Equal(t, tt.max, b.MaxConnections)
			assert.Equal(t, tt.explicit, b.MaxConnectionsExplicit)
			assert.Equal(t, 5, b.Reserved)
			assert.Equal(t, 10, b.AdminSlack)
			assert.Equal(t, tt.usable, b.Usable)
			assert.Equal(t, tt.allowed, b.Allowed)
			assert.Equal(t, tt.demand, b.Demand)
			assert.InDelta(t, float64(tt.demand)/float64(tt.usable), b.Utilization, 1e-9)
			assert.Equal(t, tt.required, b.RequiredMaxConnections)
			assert.Equal(t, tt.sev, b.Severity)
		})
	}
}

func TestConnectionBudgetRemedies(t *testing.T) {
	// Staging with max_connections 400: usable 395, allowed floor(395 × 0.8) = 316;
	// demand 380 > 316. Raise: 5 + ⌈380 ÷ 0.8⌉ = 480. Or netra-backend alone:
	// the rest is 70 + 10 = 80, so (316 − 80) ÷ 15 = 15.7 → ≤ 15 instances.
	// auth-service alone: rest 310, (316 − 310) ÷ 7 = 0.86 → 0: infeasible.
	topo := stagingTopology()
	topo.Databases[0].MaxConnections = 400
	r := Analyze(topo)
	b := r.Budgets[0]
	assert.Equal(t, 316, b.Allowed)
	assert.Equal(t, 480, b.RequiredMaxConnections)
	assert.Equal(t, []InstanceRemedy{
		{Group: "auth-service", Regions: 1, MaxInstances: 0, Feasible: false},
		{Group: "netra-backend", Regions: 1, MaxInstances: 15, Feasible: true},
	}, b.MaxInstancesRemedies)
	fs := findings(r, CheckConnectionBudget, "staging-shared-postgres")
	require.Len(t, fs, 1)
	assert.Equal(t, SeverityFail, fs[0].Severity)
	assert.Contains(t, fs[0].Message, "cold-start: connection demand 380")
	assert.Contains(t, fs[0].Message, "raise max_connections to ≥ 480 or lower netra-backend maxInstances to ≤ 15 (fixes cold-start)")
	assert.Equal(t, ScenarioColdStart, fs[0].Scenario)
	assert.Contains(t, fs[0].Message, "netra-backend (us-central1) 20×15=300")
	// The same database in rollout/netra-backend: the old revision keeps
	// 20 × 15 open while the new one opens 20 × 15: 600 + 70 + 10 = 680;
	// 5 + ⌈680 ÷ 0.8⌉ = 855; netra-backend alone: (316 − 80) ÷ (15 × 2) = 7.9 → 7.
	fs = scenarioFindings(r, "rollout/netra-backend", CheckConnectionBudget, "staging-shared-postgres")
	require.Len(t, fs, 1)
	assert.Contains(t, fs[0].Message, "netra-backend (us-central1) 40×15=600")
	assert.Contains(t, fs[0].Message, "raise max_connections to ≥ 855 or lower netra-backend maxInstances to ≤ 7 (fixes rollout/netra-backend)")

	// Production shape, max_connections 500: allowed floor(495 × 0.8) = 396;
	// demand 450. netra-backend runs in 2 regions: (396 − 90) ÷ (12 × 2) = 12.75 → 12 per region.
	prod := productionTopology()
	prod.Databases[0].MaxConnections = 500
	prod.Databases[1].MaxConnections = 500
	prod.Targets.ConnectionUtilization = 0.80
	r = Analyze(prod)
	fs = findings(r, CheckConnectionBudget, "prod-postgres")
	require.Len(t, fs, 1)
	assert.Contains(t, fs[0].Message, "raise max_connections to ≥ 568 or lower netra-backend maxInstances to ≤ 12 per region")
}

func TestIncidentBudgetNamesTierMove(t *testing.T) {
	r := Analyze(incidentTopology())
	fs := findings(r, CheckConnectionBudget, "staging-shared-postgres")
	require.Len(t, fs, 1)
	// 480 > 4 × 100 = 400 (our ceiling): the ≥ 15 GB row has default 500 ≥ 480.
	assert.Contains(t, fs[0].Message, "raise max_connections to ≥ 480 (above 400, our ceiling for db-custom-1-3840: move to a tier with ≥ 15 GB memory, default max_connections 500)")
	assert.Contains(t, fs[0].Message, "cannot fit")
}

func TestTierDefaultAndUnsetMaxInstances(t *testing.T) {
	// max_connections unset on db-custom-1-3840 → default 100; maxInstances
	// unset → Cloud Run's 100. Demand 100 × (2 + 0) + 10 = 210 > floor(95 × 0.8) = 76.
	topo := Topology{
		Stack: "t", Environment: EnvStaging,
		Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-1-3840"}},
		Workloads: []Workload{{Name: "w", Region: "r", Database: "db", Method: MethodConnector, PoolSize: 2, StartupConnections: 1, ConnectTimeoutSeconds: 30}},
	}
	r := Analyze(topo)
	b := r.Budgets[0]
	assert.False(t, b.MaxConnectionsExplicit)
	assert.Equal(t, 100, b.MaxConnections)
	assert.Equal(t, 210, b.Demand)
	assert.Equal(t, 100, b.Contributors[0].MaxInstances)
	warn := findings(r, CheckTopologyConsistent, "w")
	require.NotEmpty(t, warn)
	assert.Contains(t, warn[0].Message, "Cloud Run's default of 100")
	assert.Contains(t, findings(r, CheckConnectionBudget, "db")[0].Message, "max_connections 100 [tier default]")
}

func TestReplicaDefaultFromPrimaryChain(t *testing.T) {
	// A replica with less memory inherits the default of the largest
	// instance in its primary chain (docs/gcp-limits.md#cloud-sql-max-connections): 16 GB → 500.
	topo := Topology{Databases: []Database{
		{Name: "p", Region: "a", Tier: "db-custom-4-16384"},
		{Name: "r", Region: "b", Tier: "db-custom-1-3840", ReplicaOf: "p"},
	}}
	r := Analyze(topo)
	assert.Equal(t, 500, r.Budgets[1].MaxConnections)
}

func TestFailover(t *testing.T) {
	r := Analyze(productionTopology())
	require.Len(t, r.Failover, 1)
	// Primary demand 450 (above); the replica serves nobody itself, so it
	// carries 450 + 0 after promotion vs its allowed floor((1200 − 5) × 0.8) = 956.
	assert.Equal(t, FailoverBudget{Primary: "prod-postgres", Replica: "prod-postgres-use1", PrimaryDemand: 450, ReplicaAllowed: 956, Severity: SeverityOK}, r.Failover[0])
	assert.Empty(t, scenarioFindings(r, "failover/prod-postgres-use1", CheckReplicaParity, ""))

	// A smaller replica: 300 → allowed floor(295 × 0.8) = 236 < 450, and 300 < 1200.
	prod := productionTopology()
	prod.Databases[1].MaxConnections = 300
	r = Analyze(prod)
	assert.Equal(t, SeverityFail, r.Failover[0].Severity)
	fs := scenarioFindings(r, "failover/prod-postgres-use1", CheckReplicaParity, "prod-postgres-use1")
	require.Len(t, fs, 2)
	assert.Contains(t, fs[0].Message+fs[1].Message, "raise its max_connections to ≥ 568 (fixes failover/prod-postgres-use1)")
	assert.Contains(t, fs[0].Message+fs[1].Message, "set it to ≥ 1200")
	assert.Equal(t, SeverityFail, scenarioOf(t, r, "failover/prod-postgres-use1").Verdict(CheckReplicaParity))
}

func TestBuiltinCap(t *testing.T) {
	topo := stagingTopology()
	topo.Workloads[0].Method = MethodBuiltin
	topo.Workloads[0].PoolSize, topo.Workloads[0].MaxOverflow = 90, 20 // 110 > 100
	r := Analyze(topo)
	fs := findings(r, CheckBuiltinConnCap, "netra-backend")
	require.Len(t, fs, 1)
	assert.Contains(t, fs[0].Message, "110 connections per instance (startup 2)")
	assert.Empty(t, fs[0].Scenario, "static check")
	assert.Empty(t, findings(r, CheckBuiltinConnCap, "auth-service"))
}

func TestEgressHeadroom(t *testing.T) {
	t.Run("incident", func(t *testing.T) {
		r := Analyze(incidentTopology())
		require.Len(t, r.Egress, 1)
		h := r.Egress[0]
		// demand 20 × 50 + 10 × 10 = 1,100 Mbps; e2-micro 100 Mbps/instance:
		// 2 × 100 = 200 at min, 10 × 100 = 1,000 at max; ⌈1100 ÷ 100⌉ − 2 = 9
		// scale-outs needed, 10 − 2 = 8 possible × 30 s = 240 s.
		assert.Equal(t, 1100.0, h.DemandMbps)
		assert.Equal(t, 1100.0, h.ColdStartMbps)
		assert.Equal(t, 200.0, h.CapacityMinMbps)
		assert.Equal(t, 1000.0, h.CapacityMaxMbps)
		assert.Equal(t, 9, h.ScaleOutsNeeded)
		assert.True(t, h.ScaleOutOnCriticalPath)
		assert.True(t, h.Saturated)
		assert.Equal(t, 240.0, h.ScaleOutSeconds)
		assert.Equal(t, SeverityFail, h.Severity)
		fs := findings(r, CheckEgressHeadroom, "staging-connector")
		require.Len(t, fs, 1)
		assert.Contains(t, fs[0].Message, "connector scale-out sits on the startup critical path")
		// e2-standard-4: ⌈1100 ÷ 1600⌉ = 1 → floor of 2 instances.
		assert.Contains(t, fs[0].Message, "switch machineType to e2-standard-4 with minInstances ≥ 2")
	})
	t.Run("staging", func(t *testing.T) {
		r := Analyze(stagingTopology())
		h := r.Egress[0]
		// 20 × 20 + 10 × 5 = 450 Mbps ≪ 3 × 1,600 = 4,800 at min.
		assert.Equal(t, 450.0, h.ColdStartMbps)
		assert.Equal(t, 4800.0, h.CapacityMinMbps)
		assert.Equal(t, 16000.0, h.CapacityMaxMbps)
		assert.Equal(t, 0, h.ScaleOutsNeeded)
		assert.False(t, h.ScaleOutOnCriticalPath)
		assert.Equal(t, SeverityOK, h.Severity)
	})
	t.Run("one scale-out, raise min", func(t *testing.T) {
		// e2-micro min 2 (200 Mbps), demand 3 × 100 = 300 → 1 scale-out × 30 s ≥ 10 s: fail;
		// ⌈300 ÷ 100⌉ = 3 → raise minInstances to ≥ 3.
		topo := Topology{
			Egress:    []Egress{{Region: "r", Kind: EgressConnector, Name: "c", MachineType: "e2-micro", MinInstances: 2, MaxInstances: 5, IPCIDRRange: "10.8.0.0/28"}},
			Workloads: []Workload{{Name: "w", Region: "r", Egress: EgressConnector, MaxInstances: 3, EgressMbpsPerInstance: 100}},
		}
		r := Analyze(topo)
		assert.Equal(t, 1, r.Egress[0].ScaleOutsNeeded)
		assert.Equal(t, SeverityFail, r.Egress[0].Severity)
		assert.Contains(t, findings(r, CheckEgressHeadroom, "c")[0].Message, "raise minInstances to ≥ 3")
		// With a calibrated 5 s scale-out the delay is under the 10 s criterion: warn only.
		topo.Assumptions.ConnectorScaleOutSeconds = 5
		r = Analyze(topo)
		assert.Equal(t, SeverityWarn, r.Egress[0].Severity)
	})
	t.Run("direct", func(t *testing.T) {
		topo := Topology{
			Egress:    []Egress{{Region: "r", Kind: EgressDirect, Name: "s", SubnetCIDR: "10.0.0.0/24"}},
			Workloads: []Workload{{Name: "w", Region: "r", Egress: EgressDirect, MaxInstances: 4, EgressMbpsPerInstance: 1500}},
		}
		r := Analyze(topo)
		// 4 × 1,500 = 6,000 demand; 4 × 1,000 capacity; per-instance 1,500 > 1,000: warn.
		assert.Equal(t, 6000.0, r.Egress[0].DemandMbps)
		assert.Equal(t, 4000.0, r.Egress[0].CapacityMaxMbps)
		assert.Equal(t, SeverityWarn, r.Egress[0].Severity)
	})
}

func TestDirectIPCapacity(t *testing.T) {
	tests := []struct {
		cidr           string
		instances      int
		prefix, usable int
		needed         int
		sev            Severity
		msg            string
	}{
		// /26: 64 − 4 = 60 usable; 2 × 20 + 16 = 56 needed.
		{"10.0.0.0/26", 20, 26, 60, 56, SeverityOK, ""},
		// /26: 60 < 2 × 30 + 16 = 76 → a /25 (128 − 4 = 124) fits.
		{"10.0.0.0/26", 30, 26, 60, 76, SeverityFail, "use a /25 or larger"},
		// /27 is below the /26 minimum even for 1 instance (2 + 16 = 18 ≤ 28).
		{"10.0.0.0/27", 1, 27, 28, 18, SeverityFail, "smaller than the /26 minimum"},
	}
	for _, tt := range tests {
		t.Run(tt.cidr, func(t *testing.T) {
			topo := Topology{
				Egress:    []Egress{{Region: "r", Kind: EgressDirect, Name: "s", SubnetCIDR: tt.cidr}},
				Workloads: []Workload{{Name: "w", Region: "r", Egress: EgressDirect, MaxInstances: tt.instances}},
			}
			r := Analyze(topo)
			require.Len(t, r.DirectIPs, 1)
			c := r.DirectIPs[0]
			assert.Equal(t, tt.prefix, c.PrefixLength)
			assert.Equal(t, tt.usable, c.UsableIPs)
			assert.Equal(t, tt.needed, c.NeededIPs)
			assert.Equal(t, tt.sev, c.Severity)
			if tt.msg != "" {
				assert.Contains(t, findings(r, CheckDirectEgressIPs, "s")[0].Message, tt.msg)
			}
		})
	}
	r := Analyze(Topology{Egress: []Egress{{Region: "r", Kind: EgressDirect, Name: "s", SubnetCIDR: "bad"}}})
	assert.Equal(t, SeverityFail, r.DirectIPs[0].Severity)
}

func TestTimeoutBudget(t *testing.T) {
	t.Run("incident", func(t *testing.T) {
		r := Analyze(incidentTopology())
		require.Len(t, r.Timeouts, 2)
		tb := r.Timeouts[0]
		// egress 8 × 30 = 240 s; queue (20 × 5 + 10 × 3) = 130 ÷ 50/s = 2.6 s;
		// handshake 0.1 s → 242.7 s vs budget min(75, 240) = 75.
		assert.Equal(t, 240.0, tb.EgressDelaySeconds)
		assert.InDelta(t, 2.6, tb.QueueSeconds, 1e-9)
		assert.InDelta(t, 242.7, tb.WorstCaseSeconds, 1e-9)
		assert.Equal(t, 75.0, tb.BudgetSeconds)
		assert.True(t, tb.SlotsExhausted) // 130 > 95
		assert.True(t, tb.EgressSaturated)
		assert.Equal(t, SeverityFail, tb.Severity)
		fs := scenarioFindings(r, ScenarioColdStart, CheckTimeoutBudget, "netra-backend")
		require.Len(t, fs, 1)
		assert.Contains(t, fs[0].Message, "connector staging-connector scale-out 8 × 30 s = 240 s")
		assert.Contains(t, fs[0].Message, "slot exhaustion: 130 startup connections > 95 usable slots")
	})
	t.Run("staging", func(t *testing.T) {
		r := Analyze(stagingTopology())
		for _, tb := range r.Timeouts {
			// queue (20 × 2 + 10 × 2) = 60 ÷ (4 vCPU × 50/s) = 0.3 s + 0.1 s = 0.4 s ≪ 75 s.
			assert.InDelta(t, 0.4, tb.WorstCaseSeconds, 1e-9)
			assert.Equal(t, SeverityOK, tb.Severity)
		}
		assert.Empty(t, findings(r, CheckTimeoutBudget, ""))
	})
	t.Run("timeout beyond probe, direct warning", func(t *testing.T) {
		topo := Topology{
			Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-4-16384", MaxConnections: 500}},
			Egress:    []Egress{{Region: "r", Kind: EgressDirect, Name: "s", SubnetCIDR: "10.0.0.0/24"}},
			Workloads: []Workload{{Name: "w", Region: "r", Egress: EgressDirect, Method: MethodPrivateIP, Database: "db", MaxInstances: 2,
				PoolSize: 2, StartupConnections: 1, ConnectTimeoutSeconds: 90,
				StartupProbe: Probe{PeriodSeconds: 10, TimeoutSeconds: 1, FailureThreshold: 6, Path: "/db"}}}, // 60 s window
		}
		// A calibrated 20 s warm-up: the path fits, but the 60 s window leaves
		// no room for Google's "minute or more".
		topo.Assumptions.DirectEgressStartupSeconds = 20
		r := Analyze(topo)
		fs := findings(r, CheckTimeoutBudget, "w")
		require.Len(t, fs, 2)
		msgs := fs[0].Message + "|" + fs[1].Message
		assert.Contains(t, msgs, "connect timeout 90 s outlasts the startup probe window 60 s")
		assert.Contains(t, msgs, "a minute or more")
		assert.Equal(t, SeverityWarn, r.Timeouts[0].Severity)
		// The default 60 s warm-up: 60 + 2 ÷ 200 + 0.1 exceeds the 60 s budget.
		topo.Assumptions.DirectEgressStartupSeconds = 0
		r = Analyze(topo)
		assert.Equal(t, SeverityFail, r.Timeouts[0].Severity)
		assert.Contains(t, r.Timeouts[0].Cause, "Direct VPC egress warm-up 60 s")
		// A calibrated 70 s warm-up fails too.
		topo.Assumptions.DirectEgressStartupSeconds = 70
		r = Analyze(topo)
		assert.Equal(t, SeverityFail, r.Timeouts[0].Severity)
		assert.Contains(t, r.Timeouts[0].Cause, "Direct VPC egress warm-up 70 s")
	})
}

func TestAdminAPIBurst(t *testing.T) {
	mk := func(n int, m ConnectionMethod) Topology {
		return Topology{
			Databases: []Database{{Name: "db", Region: "r", Tier: "db-perf-optimized-N-16", Edition: EditionEnterprisePlus, MaxConnections: 4000}},
			Workloads: []Workload{{Name: "w", Region: "r", Method: m, Database: "db", MaxInstances: n, PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: 30}},
		}
	}
	tests := []struct {
		n      int
		method ConnectionMethod
		calls  int
		sev    Severity
		app    bool
	}{
		{300, MethodConnector, 600, SeverityOK, true},    // 2 × 300 = 600 ≤ 800
		{450, MethodBuiltin, 900, SeverityWarn, true},    // 900 > 0.8 × 1000
		{501, MethodConnector, 1002, SeverityFail, true}, // 1002 > 1000
		{501, MethodPrivateIP, 0, SeverityOK, false},
	}
	for _, tt := range tests {
		r := Analyze(mk(tt.n, tt.method))
		require.Len(t, r.AdminAPI, 1)
		a := r.AdminAPI[0]
		assert.Equal(t, tt.calls, a.Calls)
		assert.Equal(t, 1000, a.QuotaPerMin)
		assert.Equal(t, tt.sev, a.Severity)
		assert.Equal(t, tt.app, a.Applicable)
		fs := findings(r, CheckAdminAPIQuota, "r")
		if tt.sev == SeverityOK {
			assert.Empty(t, fs)
			continue
		}
		require.Len(t, fs, 1)
		assert.Equal(t, tt.sev, fs[0].Severity)
		assert.Equal(t, fmt.Sprintf("cold-start: region r: ≈%d Cloud SQL Admin API connect calls (2 per starting instance per database) against 1000 per minute (docs/gcp-limits.md#admin-api-quota); cap maxInstances so the region starts ≤ 400 instances, or connect by private IP (fixes cold-start)", tt.calls), fs[0].Message)
	}
}

func TestMultiRegion(t *testing.T) {
	assert.Empty(t, findings(Analyze(productionTopology()), CheckMultiRegion, ""))
	// Staging is single-region by design and is not judged.
	assert.Empty(t, findings(Analyze(stagingTopology()), CheckMultiRegion, ""))

	prod := stagingTopology()
	prod.Stack, prod.Environment = "prod-single", EnvProduction
	fs := findings(Analyze(prod), CheckMultiRegion, "prod-single")
	require.Len(t, fs, 1)
	for _, want := range []string{"not REGIONAL (HA)", "no cross-region replica", "VPC egress in 1 region(s)", "workloads in 1 region(s)"} {
		assert.Contains(t, fs[0].Message, want)
	}
}

func TestTopologyFindings(t *testing.T) {
	topo := Topology{
		Stack: "bad",
		Databases: []Database{
			{Name: "a", Region: "r", Tier: "db-custom-3-3840"},
			{Name: "b", Region: "r", Tier: "db-perf-optimized-N-8", MaxConnections: 10, Availability: "MULTI"},
			{Name: "c", Region: "r", Tier: "db-custom-1-3840", ReplicaOf: "ghost", MaxConnections: 900},
			{Name: "c", Region: "r", Tier: "db-custom-1-3840"},
		},
		Egress: []Egress{
			{Region: "r", Kind: EgressConnector, Name: "k", MachineType: "huge", MinInstances: 5, MaxInstances: 4, IPCIDRRange: "10.0.0.0/24"},
			{Region: "r", Kind: "teleport", Name: "t"},
			{Region: "q", Kind: EgressDirect, Name: "d"},
			{Region: "z", Kind: EgressConnector, Name: "z"},
		},
		Workloads: []Workload{
			{Name: "w1", Region: "r", Database: "nope", Egress: EgressConnector, EgressName: "other", Method: MethodPrivateIP, Concurrency: 2000, MinInstances: 5, MaxInstances: 2},
			{Name: "w2", Region: "x", Database: "c", Egress: EgressDirect, Method: MethodPrivateIP, PoolSize: 1, StartupConnections: 3, MaxInstances: 1},
			{Name: "w3", Region: "r", Database: "c", Egress: EgressNone, Method: MethodPrivateIP, MaxInstances: 1, StartupProbe: Probe{PeriodSeconds: 10, FailureThreshold: 61}},
		},
	}
	r := Analyze(topo)
	var all []string
	for _, f := range r.Findings {
		all = append(all, f.Check+" "+f.Subject+" "+f.Message)
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{
		`vCPUs must be 1 or an even number`,
		`belongs to edition ENTERPRISE_PLUS`,
		`must be an integer from 14 (Cloud SQL's minimum) to 262143`,
		`availability "MULTI"`,
		`replica of "ghost"`,
		`is above 400, our inferred ceiling on db-custom-1-3840`,
		`declared twice`,
		`machineType: must be one of f1-micro, e2-micro, e2-standard-4, got "huge"`,
		`must be a /28`,
		`kind "teleport"`,
		`Direct VPC egress needs a subnet range`,
		`neither ipCidrRange nor subnet`,
		`targets database "nope"`,
		`names egress "other"`,
		`concurrency: must be an integer from 1 to 1000, got 2000`,
		`minInstances 5 exceeds maxInstances 2`,
		`uses direct egress "", but region x has none`,
		`startupConnections 3 exceeds pool 1`,
		`by private IP but has no VPC egress`,
		`10 × 61 = 610 s`,
	} {
		assert.Contains(t, joined, want)
	}
	// Deterministic order: by check, then subject, then severity, then message.
	assert.True(t, sort.SliceIsSorted(r.Findings, func(i, j int) bool {
		if r.Findings[i].Check != r.Findings[j].Check {
			return r.Findings[i].Check < r.Findings[j].Check
		}
		return r.Findings[i].Subject < r.Findings[j].Subject
	}))
	assert.Equal(t, r.Findings, Analyze(topo).Findings)

	empty := Analyze(Topology{Stack: "empty"})
	require.Len(t, empty.Findings, 1)
	assert.Contains(t, empty.Findings[0].Message, "nothing to analyze")
}

// TestIncidentReproduced is the post-mortem (docs/incident-1278.md) reproduced: the model predicts
// startup success below the 90 % criterion, and the findings name both
// causes — connector scale-out on the critical path and slot exhaustion.
func TestIncidentReproduced(t *testing.T) {
	r := Analyze(incidentTopology())
	s := r.Simulation
	assert.Less(t, s.SuccessRate, 0.90)
	assert.Equal(t, 30, s.Instances) // 20 + 10
	assert.Positive(t, s.Failures.EgressWait)

	var causeScaleOut, causeSlots bool
	for _, f := range r.Findings {
		if f.Severity != SeverityFail || f.Scenario != ScenarioColdStart {
			continue
		}
		if f.Check == CheckEgressHeadroom && strings.Contains(f.Message, "scale-out") && strings.Contains(f.Message, "critical path") {
			causeScaleOut = true
		}
		if f.Check == CheckTimeoutBudget && strings.Contains(f.Message, "slot exhaustion") {
			causeSlots = true
		}
	}
	assert.True(t, causeScaleOut, "findings name connector scale-out on the critical path")
	assert.True(t, causeSlots, "findings name slot exhaustion")
	assert.NotEmpty(t, findings(r, CheckConnectionBudget, "staging-shared-postgres"))
	cs := messageWith(findings(r, CheckColdStartSuccess, "incident"), "storm success")
	require.NotNil(t, cs)
	assert.Contains(t, cs.Message, "is not above the 90.0% target")
	assert.Contains(t, cs.Message, "connector scale-out on the critical path")
	assert.Equal(t, SeverityFail, cs.Severity, "mandatory: the monotone rules fail in the same scenario")
}

// TestIncidentCausesIndependently removes one cause at a time: each alone
// still breaks the 90 % criterion, and the simulator attributes it.
func TestIncidentCausesIndependently(t *testing.T) {
	// Connector fixed (3 × e2-standard-4), database still 100: 130 startup
	// connections for 95 usable slots → slot exhaustion.
	slots := incidentTopology()
	slots.Egress[0].MachineType, slots.Egress[0].MinInstances = "e2-standard-4", 3
	r := Analyze(slots)
	assert.Less(t, r.Simulation.SuccessRate, 0.90)
	assert.Positive(t, r.Simulation.Failures.SlotExhaustion)
	assert.Zero(t, r.Simulation.Failures.EgressWait)
	assert.Positive(t, r.Simulation.Refused)
	assert.Equal(t, 95, r.Simulation.PeakSlotsUsed)
	cs := messageWith(findings(r, CheckColdStartSuccess, "incident"), "storm success")
	require.NotNil(t, cs)
	assert.Contains(t, cs.Message, "slot exhaustion")

	// Database fixed (the staging tier), connector still e2-micro at 2.
	egress := incidentTopology()
	egress.Databases[0].Tier, egress.Databases[0].MaxConnections = "db-custom-4-16384", 500
	r = Analyze(egress)
	assert.Less(t, r.Simulation.SuccessRate, 0.90)
	assert.Zero(t, r.Simulation.Failures.SlotExhaustion)
	assert.Positive(t, r.Simulation.Failures.EgressWait)
	require.Len(t, r.Simulation.PerRegion, 1)
	assert.Positive(t, r.Simulation.PerRegion[0].ScaleOuts)
}

func TestFixedStacks(t *testing.T) {
	st := Analyze(stagingTopology())
	assert.GreaterOrEqual(t, st.Simulation.SuccessRate, 0.99)
	assert.Empty(t, st.Findings, "staging has no findings")

	pr := Analyze(productionTopology())
	assert.GreaterOrEqual(t, pr.Simulation.SuccessRate, 0.999)
	assert.Empty(t, pr.Findings, "production has no findings")
	assert.Less(t, pr.Simulation.ConnectP99Seconds, 30.0)
}

func TestBudgetContributorName(t *testing.T) {
	for _, tc := range []struct{ workload, region, want string }{
		{"netra-backend-us-central1", "us-central1", "netra-backend-us-central1"}, // Headroom's naming: region already in the name
		{"api", "us-east1", "api (us-east1)"},                                     // a hand-written stack's service
		{"api", "", "api"},
	} {
		assert.Equal(t, tc.want, BudgetContributor{Workload: tc.workload, Region: tc.region}.Name())
	}
}

// messageWith returns the first finding whose message contains sub.
func messageWith(fs []Finding, sub string) *Finding {
	for i := range fs {
		if strings.Contains(fs[i].Message, sub) {
			return &fs[i]
		}
	}
	return nil
}

// scenario returns the scenario result with the given ID.
func scenarioOf(t *testing.T, r Report, id string) ScenarioResult {
	t.Helper()
	for _, s := range r.Scenarios {
		if s.ID == id {
			return s
		}
	}
	require.Failf(t, "no scenario", "%s not judged", id)
	return ScenarioResult{}
}
