package capacity

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMCPPoolers(t *testing.T) {
	for _, tc := range []struct{ vcpus, want int }{
		{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {7, 1}, {8, 2}, {15, 3}, {16, 4}, {64, 16},
	} {
		assert.Equal(t, tc.want, MCPPoolers(tc.vcpus), "%d vCPUs", tc.vcpus)
	}
}

func TestManagedPoolingSupported(t *testing.T) {
	assert.True(t, ManagedPoolingSupported(EditionEnterprisePlus))
	assert.True(t, ManagedPoolingSupported("enterprise_plus"))
	assert.False(t, ManagedPoolingSupported(EditionEnterprise))
	assert.False(t, ManagedPoolingSupported(""))
}

func TestParseManagedPoolingFlags(t *testing.T) {
	p, err := ParseManagedPoolingFlags(map[string]string{"max_pool_size": "10", "max_client_connections": " 500 ", "pool_mode": "transaction"})
	require.NoError(t, err)
	assert.Equal(t, ManagedPooling{Enabled: true, MaxClientConnections: 500, MaxPoolSize: 10}, p)
	p, err = ParseManagedPoolingFlags(nil)
	require.NoError(t, err)
	assert.Equal(t, ManagedPooling{Enabled: true}, p)
	// The lower edge: 1 is a valid setting of either flag.
	p, err = ParseManagedPoolingFlags(map[string]string{"max_pool_size": "1", "max_client_connections": "1"})
	require.NoError(t, err)
	assert.Equal(t, ManagedPooling{Enabled: true, MaxClientConnections: 1, MaxPoolSize: 1}, p)
	for _, bad := range []map[string]string{{"max_pool_size": "0"}, {"max_pool_size": "ten"}, {"max_client_connections": "-1"}} {
		_, err := ParseManagedPoolingFlags(bad)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "want an integer ≥ 1")
	}
}

// pooledStack is one Enterprise Plus instance of 8 vCPUs (2 poolers) with
// max_connections 100: usable 95, allowed floor(95 × 0.8) = 76. api runs
// 20 instances × pool 10 = 200 clients and opens all 10 at startup, so
// without pooling the cold start alone holds 200 + admin slack 10 = 210.
func pooledStack(p *ManagedPooling, consumers ...Consumer) Topology {
	return Topology{
		Stack: "pooled",
		Databases: []Database{{Name: "db", Region: "r", Tier: "db-perf-optimized-N-8", Edition: EditionEnterprisePlus,
			MaxConnections: 100, Pooling: p, Consumers: consumers}},
		Workloads: []Workload{{Name: "api", Region: "r", Method: MethodConnector, Database: "db", Egress: EgressNone,
			MaxInstances: 20, PoolSize: 10, StartupConnections: 10, ConnectTimeoutSeconds: 30, StartupProbe: httpProbe240}},
	}
}

// Server side: each service holds min(its clients, poolers × max_pool_size);
// the budget is judged at allowed 76, one over fails, and the storm (200
// startup connections against 95 usable slots) fits only through the poolers.
func TestPooledBudgetCountsServerConnections(t *testing.T) {
	tests := []struct {
		name        string
		pool        *ManagedPooling
		cron        int
		demand      int // cold-start budget demand
		contributor int // api's server connections
		budget      Severity
		storm       Severity // cold-start-success and timeout-budget
		peak        int      // storm's peak server slots
		message     string
	}{
		{"no pooling: 200 clients are 200 server connections", nil, 0, 210, 200, SeverityFail, SeverityFail, 95,
			"cold-start: connection demand 210 (api (r) 20×10=200 + admin slack 10)"},
		{"pooled, demand = allowed: 2 × 33 = 66 + 10", &ManagedPooling{Enabled: true, MaxPoolSize: 33, MaxClientConnections: 100}, 0, 76, 66, SeverityOK, SeverityOK, 66, ""},
		{"pooled, one server connection over", &ManagedPooling{Enabled: true, MaxPoolSize: 33, MaxClientConnections: 100}, 1, 77, 66, SeverityFail, SeverityOK, 67,
			"cold-start: server connection demand through 2 Managed Connection Pooling poolers (each service min(its clients, 2 poolers × max_pool_size = 66)) 77 (api (r) min(20×10, 66)=66 + cron 1 + admin slack 10) exceeds allowed 76 = floor((max_connections 100 [explicit] − 5 reserved) × 0.80); raise max_connections to ≥ 102 or lower api maxInstances to ≤ 6 (fixes cold-start)"},
		{"max_pool_size unset: no relief", &ManagedPooling{Enabled: true, MaxClientConnections: 100}, 0, 210, 200, SeverityFail, SeverityFail, 95,
			"cold-start: server connection demand through 2 Managed Connection Pooling poolers (max_pool_size unset: each service's server connections are its clients) 210 (api (r) 20×10=200 + admin slack 10)"},
		{"disabled", &ManagedPooling{MaxPoolSize: 33, MaxClientConnections: 100}, 0, 210, 200, SeverityFail, SeverityFail, 95, "cold-start: connection demand 210"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cs []Consumer
			if tt.cron > 0 {
				cs = []Consumer{{Name: "cron", Connections: tt.cron}}
			}
			r := Analyze(pooledStack(tt.pool, cs...))
			cold := scenarioOf(t, r, ScenarioColdStart)
			require.Len(t, cold.Budgets, 1)
			b := cold.Budgets[0]
			assert.Equal(t, tt.demand, b.Demand)
			require.Len(t, b.Contributors, 1)
			assert.Equal(t, tt.contributor, b.Contributors[0].Connections)
			assert.Equal(t, 200, b.Contributors[0].Clients())
			assert.Equal(t, tt.budget, cold.Verdict(CheckConnectionBudget))
			assert.Equal(t, tt.storm, cold.Verdict(CheckColdStartSuccess))
			assert.Equal(t, tt.storm, cold.Verdict(CheckTimeoutBudget))
			assert.Equal(t, tt.peak, cold.Simulation.PeakSlotsUsed)
			if tt.storm == SeverityOK {
				assert.Equal(t, 1.0, cold.Simulation.SuccessRate)
				assert.Zero(t, cold.Simulation.Refused)
			}
			fs := scenarioFindings(r, ScenarioColdStart, CheckConnectionBudget, "db")
			if tt.message == "" {
				assert.Empty(t, fs)
				return
			}
			require.Len(t, fs, 1)
			assert.Contains(t, fs[0].Message, tt.message)
		})
	}
}

// A rollout doubles api's clients (old + new revision: 400), but its server
// connections stay at poolers × max_pool_size; the budget and the storm
// pass in every scenario.
func TestPooledStackPassesEveryScenario(t *testing.T) {
	r := Analyze(pooledStack(&ManagedPooling{Enabled: true, MaxPoolSize: 33, MaxClientConnections: 200}))
	assert.Equal(t, SeverityOK, r.Severity(), "%v", r.Findings)
	roll := scenarioOf(t, r, "rollout/api")
	b := roll.Budgets[0]
	assert.Equal(t, 400, b.Clients)
	assert.Equal(t, 400, b.ClientCapacity)
	assert.Equal(t, 76, b.Demand)
	assert.Equal(t, 2, b.Poolers)
	assert.Equal(t, 66, b.PoolCap)
	// The new revision's 200 startup clients share the old one's 66 server
	// connections: the storm opens none.
	assert.Equal(t, 66, roll.Simulation.PeakSlotsUsed)
	assert.Equal(t, 1.0, roll.Simulation.SuccessRate)
}

// Clients are judged against poolers × max_client_connections: 200 at a
// capacity of 2 × 100 fits, 2 × 99 = 198 fails; unset, they are not judged
// and the model says so once.
func TestPooledClientCapacity(t *testing.T) {
	tests := []struct {
		mcc     int
		sev     Severity
		message string
	}{
		{100, SeverityOK, ""},
		{99, SeverityFail, "cold-start: 200 client connections exceed the 198 Managed Connection Pooling accepts = 2 poolers (vCPU ÷ 4) × max_client_connections 99; raise max_client_connections to ≥ 100 (fixes cold-start)"},
		{0, SeverityOK, ""},
	}
	for _, tt := range tests {
		r := Analyze(pooledStack(&ManagedPooling{Enabled: true, MaxPoolSize: 33, MaxClientConnections: tt.mcc}))
		cold := scenarioOf(t, r, ScenarioColdStart)
		assert.Equal(t, tt.sev, cold.Verdict(CheckConnectionBudget), "mcc %d", tt.mcc)
		assert.Equal(t, tt.sev, cold.Budgets[0].Severity, "mcc %d", tt.mcc)
		assert.Equal(t, 2*tt.mcc, cold.Budgets[0].ClientCapacity)
		// The storm's 200 startup clients: at 2 × 100 every one connects; at
		// 2 × 99 the poolers refuse the last two; one of the two instances
		// gives up, and the clients it releases let the other in (19 of 20,
		// above the 90 % target).
		if tt.mcc == 99 {
			assert.Equal(t, 0.95, cold.Simulation.SuccessRate)
			assert.Equal(t, 16, cold.Simulation.Refused)
			assert.Equal(t, SeverityOK, cold.Verdict(CheckColdStartSuccess))
		} else {
			assert.Equal(t, 1.0, cold.Simulation.SuccessRate, "mcc %d", tt.mcc)
			assert.Zero(t, cold.Simulation.Refused, "mcc %d", tt.mcc)
		}
		fs := scenarioFindings(r, ScenarioColdStart, CheckConnectionBudget, "db")
		static := scenarioFindings(r, "", CheckConnectionBudget, "db")
		if tt.mcc == 0 {
			require.Len(t, static, 1)
			assert.Equal(t, SeverityWarn, static[0].Severity)
			assert.Equal(t, "db: Managed Connection Pooling's max_client_connections is unset (Google's default not verified): clients through its 2 poolers are not judged, server connections are", static[0].Message)
		} else {
			assert.Empty(t, static)
		}
		if tt.message == "" {
			assert.Empty(t, fs, "mcc %d", tt.mcc)
			continue
		}
		require.Len(t, fs, 1)
		assert.Equal(t, tt.message, fs[0].Message)
	}
	// The rollout holds 400 clients: over 2 × 100 there, and the storm's
	// clients (200 held + 200 starting) exhaust the poolers.
	r := Analyze(pooledStack(&ManagedPooling{Enabled: true, MaxPoolSize: 33, MaxClientConnections: 100}))
	roll := scenarioOf(t, r, "rollout/api")
	assert.Equal(t, SeverityFail, roll.Verdict(CheckConnectionBudget))
	assert.Equal(t, SeverityFail, roll.Verdict(CheckTimeoutBudget))
	require.Len(t, roll.Timeouts, 1)
	assert.Contains(t, roll.Timeouts[0].Cause, "pooler client exhaustion: 400 clients > 200 = 2 poolers × max_client_connections on db")
	assert.Equal(t, SeverityFail, roll.Verdict(CheckColdStartSuccess), "the poolers refuse the new revision's clients")
	assert.Equal(t, 0.0, roll.Simulation.SuccessRate)
}

// max_pool_size unset and max_client_connections unset is exactly no
// pooling: the same budgets, timeouts and storms in every scenario.
func TestPoolingWithoutPoolSizeIsNoPooling(t *testing.T) {
	plain := Analyze(pooledStack(nil))
	pooled := Analyze(pooledStack(&ManagedPooling{Enabled: true}))
	require.Equal(t, len(plain.Scenarios), len(pooled.Scenarios))
	for i := range plain.Scenarios {
		a, b := plain.Scenarios[i], pooled.Scenarios[i]
		assert.Equal(t, a.Severity, b.Severity, a.ID)
		assert.Equal(t, a.Checks, b.Checks, a.ID)
		assert.Equal(t, a.Simulation, b.Simulation, a.ID)
		// Same numbers; only the cause names the poolers.
		require.Len(t, b.Timeouts, len(a.Timeouts), a.ID)
		for j := range a.Timeouts {
			ta, tb := a.Timeouts[j], b.Timeouts[j]
			assert.Equal(t, strings.ReplaceAll(ta.Cause, "startup connections", "server connections through 2 poolers"), tb.Cause, a.ID)
			ta.Cause, tb.Cause = "", ""
			assert.Equal(t, ta, tb, a.ID)
		}
		require.Len(t, b.Budgets, 1)
		bb := b.Budgets[0]
		assert.Equal(t, 2, bb.Poolers)
		bb.Poolers, bb.Clients = 0, 0
		assert.Equal(t, a.Budgets[0], bb, a.ID)
	}
}

// Pooling on an edition that cannot have it is judged as no pooling.
func TestPoolingNeedsEnterprisePlus(t *testing.T) {
	topo := pooledStack(&ManagedPooling{Enabled: true, MaxPoolSize: 33, MaxClientConnections: 100})
	topo.Databases[0].Edition, topo.Databases[0].Tier = EditionEnterprise, "db-custom-8-30720"
	b := scenarioOf(t, Analyze(topo), ScenarioColdStart).Budgets[0]
	assert.Equal(t, 210, b.Demand)
	assert.Zero(t, b.Poolers)
}

// The pooler count follows the tier's vCPUs: 2 and 4 → 1, 8 → 2, 16 → 4.
func TestPoolersFromTier(t *testing.T) {
	for _, tc := range []struct {
		tier    string
		poolers int
	}{{"db-perf-optimized-N-2", 1}, {"db-perf-optimized-N-4", 1}, {"db-perf-optimized-N-8", 2}, {"db-perf-optimized-N-16", 4}} {
		topo := pooledStack(&ManagedPooling{Enabled: true, MaxPoolSize: 5})
		topo.Databases[0].Tier = tc.tier
		b := scenarioOf(t, Analyze(topo), ScenarioColdStart).Budgets[0]
		assert.Equal(t, tc.poolers, b.Poolers, tc.tier)
		assert.Equal(t, 5*tc.poolers, b.PoolCap, tc.tier)
		assert.Equal(t, 5*tc.poolers+10, b.Demand, tc.tier)
	}
}

// A promoted replica keeps its own settings: with its own poolers it
// carries the primary's services as server connections; without, every
// client of the primary's poolers becomes a server connection.
func TestPooledReplicaParity(t *testing.T) {
	pool := &ManagedPooling{Enabled: true, MaxPoolSize: 33, MaxClientConnections: 100}
	for _, tt := range []struct {
		name    string
		replica *ManagedPooling
		demand  int
		sev     Severity
		with    string
	}{
		{"replica pooled", pool, 76, SeverityOK, ""},
		{"replica without pooling", nil, 210, SeverityFail, "; it has no Managed Connection Pooling of its own, so every client of the primary's poolers becomes a server connection"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			topo := pooledStack(pool)
			rep := topo.Databases[0]
			rep.Name, rep.Region, rep.ReplicaOf, rep.Pooling = "rep", "r2", "db", tt.replica
			topo.Databases = append(topo.Databases, rep)
			r := Analyze(topo)
			s := scenarioOf(t, r, ScenarioFailoverPrefix+"rep")
			require.Len(t, s.Budgets, 1)
			assert.Equal(t, tt.demand, s.Budgets[0].Demand)
			assert.Equal(t, tt.sev, s.Verdict(CheckReplicaParity))
			fs := scenarioFindings(r, ScenarioFailoverPrefix+"rep", CheckReplicaParity, "rep")
			if tt.sev == SeverityOK {
				assert.Empty(t, fs)
				return
			}
			require.Len(t, fs, 1)
			assert.Contains(t, fs[0].Message, "would carry 210 connections after promotion (everything routed to primary db and to itself"+tt.with+") but allows 76")
		})
	}
}

// The storm's server connections through the poolers against the usable
// slots (95): 2 × 47 = 94 fit, 2 × 48 = 96 exhaust them in timeout-budget
// and in the simulator (whose 96th server connection never opens).
func TestPooledStormSlotBoundary(t *testing.T) {
	for _, tt := range []struct {
		maxPool, cron int
		exhausted     bool
		cause         string
		peak          int
		success       float64
	}{
		{47, 0, false, "", 94, 1},
		{47, 1, false, "", 95, 1}, // 94 + 1 held = 95: every slot, none over
		// The 96th server connection never opens, so every later client of
		// the pair waits for one (min(clients, 96) grows with each): 8 of 20.
		{48, 0, true, "slot exhaustion: 96 server connections through 2 poolers > 95 usable slots on db", 95, 0.4},
	} {
		var cs []Consumer
		if tt.cron > 0 {
			cs = []Consumer{{Name: "cron", Connections: tt.cron}}
		}
		cold := scenarioOf(t, Analyze(pooledStack(&ManagedPooling{Enabled: true, MaxPoolSize: tt.maxPool, MaxClientConnections: 100}, cs...)), ScenarioColdStart)
		assert.Equal(t, tt.success, cold.Simulation.SuccessRate, "max_pool_size %d", tt.maxPool)
		require.Len(t, cold.Timeouts, 1)
		assert.Equal(t, tt.exhausted, cold.Timeouts[0].SlotsExhausted, "max_pool_size %d", tt.maxPool)
		assert.Equal(t, tt.cause, cold.Timeouts[0].Cause, "max_pool_size %d", tt.maxPool)
		assert.Equal(t, tt.peak, cold.Simulation.PeakSlotsUsed, "max_pool_size %d", tt.maxPool)
		if tt.exhausted {
			assert.Equal(t, SeverityFail, cold.Verdict(CheckTimeoutBudget))
			assert.Positive(t, cold.Simulation.Refused)
		} else {
			assert.Equal(t, SeverityOK, cold.Verdict(CheckTimeoutBudget))
			assert.Equal(t, 1.0, cold.Simulation.SuccessRate)
		}
	}
}
