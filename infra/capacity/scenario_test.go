package capacity

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func scenarioIDs(r Report) []string {
	var out []string
	for _, s := range r.Scenarios {
		out = append(out, s.ID)
	}
	return out
}

// TestScenariosJudged pins the scenarios of each repository stack: a
// scenario dropped (or added) fails here, and every scenario evaluates
// every scenario check.
func TestScenariosJudged(t *testing.T) {
	tests := []struct {
		name string
		topo Topology
		want []string
	}{
		{"staging", stagingTopology(), []string{
			"cold-start", "rollout/auth-service", "rollout/netra-backend", "rollout/all",
			"restart/staging-shared-postgres", "overshoot",
		}},
		{"production", productionTopology(), []string{
			"cold-start", "rollout/auth-service", "rollout/netra-backend", "rollout/all",
			"failover/prod-postgres-use1", "restart/prod-postgres", "restart/prod-postgres-use1", "overshoot",
		}},
		// One group: its rollout is the whole rollout, so rollout/all is not
		// listed twice.
		{"one group", oneDB(100, 2, 1, 30), []string{"cold-start", "rollout/w", "restart/db", "overshoot"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Analyze(tt.topo)
			assert.Equal(t, tt.want, scenarioIDs(r))
			for _, s := range r.Scenarios {
				var checks []string
				for _, c := range s.Checks {
					checks = append(checks, c.Check)
				}
				want := []string{CheckConnectionBudget, CheckEgressHeadroom, CheckDirectEgressIPs, CheckTimeoutBudget, CheckAdminAPIQuota, CheckColdStartSuccess}
				if s.Kind == KindFailover {
					want = append([]string{CheckConnectionBudget, CheckReplicaParity}, want[1:]...)
				}
				assert.Equal(t, want, checks, s.ID)
				assert.NotEmpty(t, s.Description, s.ID)
				assert.Equal(t, s.Kind == KindOvershoot, s.Advisory, s.ID)
			}
			// The report's top-level sections are the cold start's.
			assert.Equal(t, r.Scenarios[0].Budgets, r.Budgets)
			assert.Equal(t, r.Scenarios[0].Simulation, r.Simulation)
		})
	}
}

// issueStack is the single-region stack of the issue: its cold-start
// demand fits (112 + 10 ≤ 124), its rollout does not.
func issueStack() Topology {
	// usable 160 − 5 = 155; allowed floor(155 × 0.8) = 124.
	return Topology{
		Stack:     "issue",
		Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-2-7680", MaxConnections: 160}},
		Workloads: []Workload{{Name: "api", Region: "r", Method: MethodConnector, Database: "db", Egress: EgressNone,
			MinInstances: 2, MaxInstances: 8, PoolSize: 10, MaxOverflow: 4, StartupConnections: 2, ConnectTimeoutSeconds: 30,
			StartupProbe: httpProbe240}},
	}
}

func TestRolloutHoldsBothRevisions(t *testing.T) {
	r := Analyze(issueStack())
	cold, roll := scenarioOf(t, r, ScenarioColdStart), scenarioOf(t, r, "rollout/api")
	// Cold start: 8 × 14 = 112 + 10 = 122 ≤ 124.
	assert.Equal(t, 122, cold.Budgets[0].Demand)
	assert.Equal(t, SeverityOK, cold.Verdict(CheckConnectionBudget))
	// Rollout: old 8 × 14 + new 8 × 14 = 224 + 10 = 234 > 124.
	assert.Equal(t, 234, roll.Budgets[0].Demand)
	assert.Equal(t, 16, roll.Budgets[0].Contributors[0].Instances)
	assert.Equal(t, SeverityFail, roll.Verdict(CheckConnectionBudget))
	fs := scenarioFindings(r, "rollout/api", CheckConnectionBudget, "db")
	require.Len(t, fs, 1)
	assert.Equal(t, "rollout/api", fs[0].Scenario)
	// 5 + ⌈234 ÷ 0.8⌉ = 298; api alone: (124 − 10) ÷ (14 × 2) = 4.07 → 4.
	assert.Contains(t, fs[0].Message, "rollout/api: connection demand 234 (api (r) 16×14=224 + admin slack 10)")
	assert.Contains(t, fs[0].Message, "raise max_connections to ≥ 298 or lower api maxInstances to ≤ 4 (fixes rollout/api)")
	// The stack's verdict is the worst over its scenarios.
	assert.Equal(t, SeverityFail, r.Severity())
	// The storm in the rollout meets the old revision's 112 held slots.
	assert.Equal(t, 112, roll.Simulation.PeakSlotsUsed-16)

	// The remedy fixes it: at max 4 the rollout holds 2 × 4 × 14 + 10 = 122.
	fixed := issueStack()
	fixed.Workloads[0].MaxInstances = 4
	assert.Equal(t, SeverityOK, scenarioOf(t, Analyze(fixed), "rollout/api").Verdict(CheckConnectionBudget))
}

func TestRolloutDeployStyles(t *testing.T) {
	// Candidate: the floor (2) is up and connected before the flip, so only
	// 8 − 2 = 6 instances storm; the old revision still lingers, so the
	// peak is the same 234.
	topo := issueStack()
	topo.Databases[0].MaxConnections = 400
	latest := scenarioOf(t, Analyze(topo), "rollout/api")
	topo.Workloads[0].Deploy = DeployCandidate
	cand := scenarioOf(t, Analyze(topo), "rollout/api")
	assert.Equal(t, 234, latest.Budgets[0].Demand)
	assert.Equal(t, 234, cand.Budgets[0].Demand)
	assert.Equal(t, 8, latest.Simulation.Instances)
	assert.Equal(t, 6, cand.Simulation.Instances)
	// Queue: 16 then 12 startup connections at 2 vCPU × 50/s = 100/s.
	assert.InDelta(t, 0.16, latest.Timeouts[0].QueueSeconds, 1e-9)
	assert.InDelta(t, 0.12, cand.Timeouts[0].QueueSeconds, 1e-9)
}

func TestRolloutDirectEgress(t *testing.T) {
	// Direct VPC egress on a /26 (64 − 4 = 60 usable): 12 instances need
	// 2 × 12 + 16 = 40 at a cold start, and old + new 2 × 24 + 16 = 64 > 60
	// in a rollout (each instance keeps its 2 IPs up to 20 minutes).
	topo := issueStack()
	topo.Databases[0].MaxConnections = 1000
	topo.Egress = []Egress{{Region: "r", Kind: EgressDirect, Name: "sub", SubnetCIDR: "10.0.0.0/26"}}
	topo.Workloads[0].Egress, topo.Workloads[0].EgressName = EgressDirect, "sub"
	topo.Workloads[0].MaxInstances = 12
	topo.Workloads[0].ConnectTimeoutSeconds = 120
	r := Analyze(topo)
	assert.Equal(t, 40, scenarioOf(t, r, ScenarioColdStart).DirectIPs[0].NeededIPs)
	assert.Equal(t, SeverityOK, scenarioOf(t, r, ScenarioColdStart).Verdict(CheckDirectEgressIPs))
	roll := scenarioOf(t, r, "rollout/api")
	assert.Equal(t, 64, roll.DirectIPs[0].NeededIPs)
	assert.Equal(t, SeverityFail, roll.Verdict(CheckDirectEgressIPs))
	fs := scenarioFindings(r, "rollout/api", CheckDirectEgressIPs, "sub")
	require.Len(t, fs, 1)
	assert.Contains(t, fs[0].Message, "60 usable IPs < 64 needed (2 × 24 instances + 16)")
	assert.Contains(t, fs[0].Message, "use a /25 or larger (fixes rollout/api)")
	// Restart: the instances are up and keep their IPs and their egress.
	rs := scenarioOf(t, r, "restart/db")
	assert.Equal(t, 40, rs.DirectIPs[0].NeededIPs)
	assert.Zero(t, rs.Timeouts[0].EgressDelaySeconds)
}

// TestDirectEgressWarmup: an app on Direct VPC egress that gives up after
// 20 s fails at the default 60 s warm-up, in the cold start and in every
// rollout; with a 90 s deadline it passes.
func TestDirectEgressWarmup(t *testing.T) {
	topo := issueStack()
	topo.Databases[0].MaxConnections = 1000
	topo.Egress = []Egress{{Region: "r", Kind: EgressDirect, Name: "sub", SubnetCIDR: "10.0.0.0/24"}}
	topo.Workloads[0].Egress = EgressDirect
	topo.Workloads[0].ConnectTimeoutSeconds = 20
	r := Analyze(topo)
	for _, id := range []string{ScenarioColdStart, "rollout/api"} {
		s := scenarioOf(t, r, id)
		assert.Equal(t, SeverityFail, s.Verdict(CheckTimeoutBudget), id)
		assert.Equal(t, 60.0, s.Timeouts[0].EgressDelaySeconds, id)
		fs := scenarioFindings(r, id, CheckTimeoutBudget, "api")
		require.Len(t, fs, 1, id)
		assert.Contains(t, fs[0].Message, "Direct VPC egress warm-up 60 s")
		assert.Zero(t, s.Simulation.SuccessRate, id)
	}
	// Reconnect storms do not wait for egress.
	assert.Equal(t, SeverityOK, scenarioOf(t, r, "restart/db").Verdict(CheckTimeoutBudget))
	topo.Workloads[0].ConnectTimeoutSeconds = 90
	r = Analyze(topo)
	assert.NotEqual(t, SeverityFail, scenarioOf(t, r, "rollout/api").Timeouts[0].Severity)
	assert.NotEqual(t, SeverityFail, r.Severity())
	// A 60 s warm-up alone is not under the 30 s connect target: a warning.
	fs := scenarioFindings(r, ScenarioColdStart, CheckTimeoutBudget, "api")
	require.Len(t, fs, 1)
	assert.Equal(t, SeverityWarn, fs[0].Severity)
	assert.Contains(t, fs[0].Message, "is not under the 30 s connect target")
}

func TestFailoverCarriesWhatIsRoutedToIt(t *testing.T) {
	// The replica takes the primary's workloads and consumers, and its own.
	prod := productionTopology()
	prod.Databases[0].Consumers = []Consumer{{Name: "migrations", Connections: 20}}
	prod.Databases[1].Consumers = []Consumer{{Name: "bi", Connections: 30}}
	r := Analyze(prod)
	s := scenarioOf(t, r, "failover/prod-postgres-use1")
	// The primary is down: only the replica is budgeted.
	require.Len(t, s.Budgets, 1)
	b := s.Budgets[0]
	assert.Equal(t, "prod-postgres-use1", b.Database)
	assert.Equal(t, 50, b.Consumers)
	assert.Equal(t, 450+50, b.Demand) // 440 workloads + 10 slack + 50 consumers
	// Every instance reconnects at once: 2 × (15 + 10) instances × 2.
	assert.Equal(t, 50, s.Simulation.Instances)
	assert.Equal(t, 1.0, s.Simulation.SuccessRate)
	assert.Zero(t, s.Timeouts[0].EgressDelaySeconds)
	// In the cold start each database keeps its own consumers.
	cold := scenarioOf(t, r, ScenarioColdStart)
	assert.Equal(t, 20, cold.Budgets[0].Consumers)
	assert.Equal(t, 30, cold.Budgets[1].Consumers)

	// Too small a replica fails the failover scenario only.
	prod.Databases[1].MaxConnections = 600 // allowed 476 < 500, and 600 < 1200
	r = Analyze(prod)
	assert.Equal(t, SeverityFail, scenarioOf(t, r, "failover/prod-postgres-use1").Verdict(CheckReplicaParity))
	fs := scenarioFindings(r, "failover/prod-postgres-use1", CheckReplicaParity, "prod-postgres-use1")
	require.Len(t, fs, 2)
	assert.Contains(t, fs[0].Message+fs[1].Message, "would carry 500 connections after promotion")
	assert.Contains(t, fs[0].Message+fs[1].Message, "consumers migrations 20 + bi 30")
	assert.Empty(t, scenarioFindings(r, ScenarioColdStart, CheckConnectionBudget, ""))
}

func TestRestartReconnectStorm(t *testing.T) {
	// Every instance reconnects at once against the restarted primary:
	// 30 instances × 5 + 10 × 3 = 130 startup connections (incident sizes)
	// on 95 usable slots, but no connector wait (the instances are up).
	r := Analyze(incidentTopology())
	s := scenarioOf(t, r, "restart/staging-shared-postgres")
	assert.Equal(t, 30, s.Simulation.Instances)
	assert.Zero(t, s.Simulation.Failures.EgressWait)
	assert.Positive(t, s.Simulation.Failures.SlotExhaustion)
	require.Len(t, s.Timeouts, 2)
	assert.True(t, s.Timeouts[0].SlotsExhausted)
	assert.Zero(t, s.Timeouts[0].EgressDelaySeconds)
	assert.Equal(t, SeverityFail, s.Verdict(CheckTimeoutBudget))
	// The connector is warm: no scale-out, but it still cannot carry the
	// traffic at its maximum (saturated).
	assert.Zero(t, s.Egress[0].ScaleOutSeconds)
	assert.True(t, s.Egress[0].Saturated)
}

func TestOvershootIsAdvisory(t *testing.T) {
	// At 3× max instances (an assumption above the documented 2×) the issue
	// stack's demand is 12 × 14 + 10 = 178 > 124: a warning naming the
	// overshoot, never a failure.
	topo := issueStack()
	topo.Workloads[0].MaxInstances = 4 // rollouts fit (2 × 4 × 14 + 10 = 122)
	topo.Assumptions.MaxInstanceOvershoot = 3
	r := Analyze(topo)
	s := scenarioOf(t, r, ScenarioOvershoot)
	assert.True(t, s.Advisory)
	assert.Equal(t, 12, s.Budgets[0].Contributors[0].Instances)
	assert.Equal(t, SeverityWarn, s.Verdict(CheckConnectionBudget))
	assert.Equal(t, SeverityWarn, s.Severity)
	fs := scenarioFindings(r, ScenarioOvershoot, CheckConnectionBudget, "db")
	require.Len(t, fs, 1)
	assert.Equal(t, SeverityWarn, fs[0].Severity)
	assert.Contains(t, fs[0].Message, "overshoot: connection demand")
	assert.Contains(t, fs[0].Message, "(advisory")
	for _, f := range r.Findings {
		assert.NotEqual(t, SeverityFail, f.Severity, f.Message)
	}
	assert.Equal(t, SeverityWarn, r.Severity())

	// The factor is an assumption: 1.5× of 5 is ⌈7.5⌉ = 8.
	topo.Workloads[0].MaxInstances = 5
	topo.Assumptions.MaxInstanceOvershoot = 1.5 // ⌈7.5⌉
	assert.Equal(t, 8, scenarioOf(t, Analyze(topo), ScenarioOvershoot).Budgets[0].Contributors[0].Instances)
}

func TestAcceptRateScalesWithVCPUs(t *testing.T) {
	// 2,000 startup connections: 40 s on 1 vCPU (50/s), 0.42 s on 96 vCPUs
	// (4,800/s); a calibrated rate replaces both.
	mk := func(tier string, maxConn int) Topology {
		return Topology{
			Databases: []Database{{Name: "db", Region: "r", Tier: tier, MaxConnections: maxConn}},
			Workloads: []Workload{{Name: "w", Region: "r", Method: MethodPrivateIP, Database: "db", Egress: EgressNone,
				MaxInstances: 100, PoolSize: 20, StartupConnections: 20, ConnectTimeoutSeconds: 60, StartupProbe: httpProbe240}},
		}
	}
	small := Analyze(mk("db-custom-1-3840", 4000))
	big := Analyze(mk("db-custom-96-368640", 4000))
	assert.InDelta(t, 40.0, small.Timeouts[0].QueueSeconds, 1e-9)
	assert.InDelta(t, 2000.0/4800, big.Timeouts[0].QueueSeconds, 1e-9)
	assert.Equal(t, SeverityWarn, small.Timeouts[0].Severity) // 40.1 s ≥ 30 s target
	assert.Equal(t, SeverityOK, big.Timeouts[0].Severity)
	cal := mk("db-custom-96-368640", 4000)
	cal.Assumptions.AcceptRatePerSecond = 100
	assert.InDelta(t, 20.0, Analyze(cal).Timeouts[0].QueueSeconds, 1e-9)
	perVCPU := mk("db-custom-4-16384", 4000)
	perVCPU.Assumptions.AcceptRatePerVCPU = 10
	assert.InDelta(t, 50.0, Analyze(perVCPU).Timeouts[0].QueueSeconds, 1e-9)
	// Shared-core tiers count as one vCPU.
	assert.InDelta(t, 40.0, Analyze(mk("db-g1-small", 1000)).Timeouts[0].QueueSeconds, 1e-9)
}

func TestTCPStartupProbeFlagged(t *testing.T) {
	topo := issueStack()
	topo.Workloads[0].MaxInstances = 4
	assert.Empty(t, findings(Analyze(topo), CheckTimeoutBudget, "api"), "HTTP probe on a database path")
	topo.Workloads[0].StartupProbe.Path = ""
	fs := findings(Analyze(topo), CheckTimeoutBudget, "api")
	require.Len(t, fs, 1)
	assert.Equal(t, SeverityWarn, fs[0].Severity)
	assert.Empty(t, fs[0].Scenario, "holds in every scenario")
	assert.Contains(t, fs[0].Message, "the startup probe is TCP, which passes as soon as the port is bound")
	assert.Contains(t, fs[0].Message, "set startupProbe.path")
	// A workload without a database is not flagged.
	topo.Workloads[0].Database = ""
	assert.Empty(t, findings(Analyze(topo), CheckTimeoutBudget, "api"))
}

func TestSimulateScenario(t *testing.T) {
	s, ok := SimulateScenario(issueStack(), "rollout/api", SimOptions{})
	require.True(t, ok)
	assert.Equal(t, 8, s.Instances)
	_, ok = SimulateScenario(issueStack(), "rollout/nope", SimOptions{})
	assert.False(t, ok)
	cold, ok := SimulateScenario(issueStack(), ScenarioColdStart, SimOptions{})
	require.True(t, ok)
	assert.Equal(t, Simulate(issueStack(), SimOptions{}), cold)
}

// TestIncidentRefusedForBothRootCauses: the incident fixture stays refused
// by mandatory (monotone) rules for the post-mortem's two root causes
// (docs/incident-1278.md).
func TestIncidentRefusedForBothRootCauses(t *testing.T) {
	r := Analyze(incidentTopology())
	cold := scenarioOf(t, r, ScenarioColdStart)
	// Connector scale-out on the critical path.
	assert.Equal(t, SeverityFail, cold.Verdict(CheckEgressHeadroom))
	assert.True(t, cold.Egress[0].ScaleOutOnCriticalPath)
	// Slot exhaustion.
	assert.Equal(t, SeverityFail, cold.Verdict(CheckTimeoutBudget))
	assert.True(t, cold.Timeouts[0].SlotsExhausted)
	assert.Equal(t, SeverityFail, cold.Verdict(CheckConnectionBudget))
}

// TestSortFindings pins the order reports and goldens rely on: check,
// subject, severity (fail first), scenario, message.
func TestSortFindings(t *testing.T) {
	want := []Finding{
		{Check: "a", Subject: "x", Severity: SeverityFail, Scenario: "cold-start", Message: "m1"},
		{Check: "a", Subject: "x", Severity: SeverityFail, Scenario: "cold-start", Message: "m2"},
		{Check: "a", Subject: "x", Severity: SeverityFail, Scenario: "rollout/all", Message: "m0"},
		{Check: "a", Subject: "x", Severity: SeverityWarn, Scenario: "", Message: "m0"},
		{Check: "a", Subject: "y", Severity: SeverityWarn, Scenario: "", Message: "m0"},
		{Check: "b", Subject: "a", Severity: SeverityWarn, Scenario: "", Message: "m0"},
	}
	for _, perm := range [][]int{{5, 4, 3, 2, 1, 0}, {3, 0, 5, 2, 4, 1}, {1, 0, 3, 2, 5, 4}} {
		got := make([]Finding, len(want))
		for i, p := range perm {
			got[i] = want[p]
		}
		sortFindings(got)
		assert.Equal(t, want, got, "from %v", perm)
	}
	assert.Equal(t, SeverityOK, worst(SeverityOK, ""))
	assert.Equal(t, SeverityOK, worst("", SeverityOK))
	assert.Equal(t, SeverityWarn, worst(SeverityWarn, SeverityOK))
	assert.Equal(t, SeverityFail, worst(SeverityWarn, SeverityFail))
	assert.Equal(t, 0, severityRank(""))
}
