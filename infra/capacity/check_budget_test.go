package capacity

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allowedAt is the model's allowed rule for max_connections n:
// floor((n − reserved) × u), floored as the model floors it.
func allowedAt(n, reserved int, u float64) int { return floorEps(float64(n-reserved) * u) }

func TestRequiredMaxConnectionsIsTheSmallestFit(t *testing.T) {
	// Where ⌈demand ÷ u⌉ is off by float rounding (one too high at 21 ÷
	// 0.7, one too low at 29,360,135 ÷ 0.7), the result is still the
	// smallest max_connections whose allowed covers the demand.
	tests := []struct {
		demand, reserved int
		u                float64
		want             int
	}{
		{0, 5, 0.8, 5},
		{124, 5, 0.8, 160}, // issueStack: 160 allows exactly 124
		{125, 5, 0.8, 162},
		{21, 0, 0.7, 30},
		{29360135, 0, 0.7, 41943051},
		{316, 5, 0.8, 400},
	}
	for _, tt := range tests {
		got := requiredMaxConnections(tt.demand, tt.reserved, tt.u)
		assert.Equal(t, tt.want, got, "demand %d at %g", tt.demand, tt.u)
		assert.GreaterOrEqual(t, allowedAt(got, tt.reserved, tt.u), tt.demand)
		assert.Less(t, allowedAt(got-1, tt.reserved, tt.u), tt.demand)
	}
	for _, u := range []float64{0.5, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1} {
		for demand := 0; demand <= 3000; demand++ {
			got := requiredMaxConnections(demand, 5, u)
			require.GreaterOrEqual(t, allowedAt(got, 5, u), demand, "demand %d at %g", demand, u)
			require.Less(t, allowedAt(got-1, 5, u), demand, "demand %d at %g: %d is not the smallest", demand, u, got)
		}
	}
}

func TestBudgetWithNoUsableSlots(t *testing.T) {
	// max_connections = reserved: nothing usable, utilization reads 0 (not
	// a division by zero) and any demand fails.
	topo := issueStack()
	topo.Databases[0].MaxConnections = DefaultReservedConnections
	b := scenarioOf(t, Analyze(topo), ScenarioColdStart).Budgets[0]
	assert.Zero(t, b.Usable)
	assert.Zero(t, b.Allowed)
	assert.Zero(t, b.Utilization)
	assert.Equal(t, SeverityFail, b.Severity)
	// With slots, utilization is demand ÷ usable.
	b = scenarioOf(t, Analyze(issueStack()), ScenarioColdStart).Budgets[0]
	assert.InDelta(t, 122.0/155.0, b.Utilization, 1e-12)
}

func TestBudgetRemedyAtOneInstance(t *testing.T) {
	// issueStack: allowed 124; api 8 × 14 = 112 + admin slack 10 + cron c.
	// api alone fits (124 − 10 − c) ÷ 14 instances: c = 100 leaves exactly
	// 14 (one instance); c = 101 leaves 13 (none).
	tests := []struct {
		cron     int
		max      int
		feasible bool
		remedy   string
	}{
		{100, 1, true, "raise max_connections to ≥ 283 or lower api maxInstances to ≤ 1 (fixes cold-start)"},
		{101, 0, false, "raise max_connections to ≥ 284; lowering one workload's maxInstances alone cannot fit it (the others exceed 124 without api) (fixes cold-start)"},
	}
	for _, tt := range tests {
		topo := issueStack()
		topo.Databases[0].Consumers = []Consumer{{Name: "cron", Connections: tt.cron}, {Name: "idle", Connections: 0}}
		r := Analyze(topo)
		b := scenarioOf(t, r, ScenarioColdStart).Budgets[0]
		require.Equal(t, SeverityFail, b.Severity)
		assert.Equal(t, requiredMaxConnections(b.Demand, b.Reserved, DefaultConnectionUtilization), b.RequiredMaxConnections)
		assert.Equal(t, []InstanceRemedy{{Group: "api", Regions: 1, MaxInstances: tt.max, Feasible: tt.feasible}}, b.MaxInstancesRemedies)
		fs := scenarioFindings(r, ScenarioColdStart, CheckConnectionBudget, "db")
		require.Len(t, fs, 1)
		assert.Equal(t, SeverityFail, fs[0].Severity)
		assert.Equal(t, ScenarioColdStart, fs[0].Scenario)
		// A consumer holding nothing is not listed.
		assert.Contains(t, fs[0].Message, fmt.Sprintf("cold-start: connection demand %d (api (r) 8×14=112 + cron %d + admin slack 10) exceeds allowed 124", 122+tt.cron, tt.cron))
		assert.NotContains(t, fs[0].Message, "idle")
		assert.Contains(t, fs[0].Message, tt.remedy)
	}
}

func TestBudgetRemedyTieNamesTheFirstGroup(t *testing.T) {
	// Two groups with equal shares (4 × 14 each) and the same remedy: the
	// message names the first in group order, not the last.
	topo := issueStack()
	b := topo.Workloads[0]
	b.Name = "batch"
	topo.Workloads[0].MaxInstances, b.MaxInstances = 4, 4
	topo.Workloads = append(topo.Workloads, b)
	topo.Databases[0].Consumers = []Consumer{{Name: "cron", Connections: 3}}
	r := Analyze(topo)
	fs := scenarioFindings(r, ScenarioColdStart, CheckConnectionBudget, "db")
	require.Len(t, fs, 1)
	// 125 − 56 = 69 without either group: (124 − 69) ÷ 14 = 3.9 → 3.
	assert.Contains(t, fs[0].Message, "connection demand 125 (api (r) 4×14=56 + batch (r) 4×14=56 + cron 3 + admin slack 10)")
	assert.Contains(t, fs[0].Message, "or lower api maxInstances to ≤ 3 (fixes cold-start)")
}

func TestBudgetMessageAtTheTierCeiling(t *testing.T) {
	// db-custom-1-3840 (default 100): our ceiling is 4 × 100 = 400. A
	// required 400 is at the ceiling (no tier note); 402 is above it.
	tier, err := ParseTier("db-custom-1-3840")
	require.NoError(t, err)
	ceiling := MaxConnectionsCeiling(tier)
	require.Equal(t, 400, ceiling)
	for _, tt := range []struct {
		demand   int
		required int
	}{{316, 400}, {317, 402}} {
		topo := Topology{
			Stack:     "ceil",
			Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-1-3840", MaxConnections: 100, Consumers: []Consumer{{Name: "etl", Connections: tt.demand - DefaultAdminSlackConnections - 1}}}},
			Workloads: []Workload{{Name: "w", Region: "r", Method: MethodConnector, Database: "db", MaxInstances: 1, PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: 30, StartupProbe: httpProbe240}},
		}
		r := Analyze(topo)
		b := scenarioOf(t, r, ScenarioColdStart).Budgets[0]
		require.Equal(t, tt.demand, b.Demand)
		assert.Equal(t, tt.required, b.RequiredMaxConnections)
		fs := scenarioFindings(r, ScenarioColdStart, CheckConnectionBudget, "db")
		require.Len(t, fs, 1)
		assert.Contains(t, fs[0].Message, fmt.Sprintf("raise max_connections to ≥ %d", tt.required))
		if tt.required <= ceiling {
			assert.NotContains(t, fs[0].Message, "our ceiling")
			continue
		}
		gb, def, ok := MemoryForDefaultMaxConnections(tt.required)
		require.True(t, ok)
		assert.Contains(t, fs[0].Message, fmt.Sprintf("raise max_connections to ≥ 402 (above 400, our ceiling for db-custom-1-3840: move to a tier with ≥ %g GB memory, default max_connections %d)", gb, def))
	}
}

// failoverPair is a primary p (r1) with a same-size cross-region replica
// rep (r2): both allow floor((160 − 5) × 0.8) = 124. In failover/rep the
// replica carries api's 8 × 10 + admin slack 10 = 90 + p's consumers.
func failoverPair(consumers ...Consumer) Topology {
	return Topology{
		Stack: "pair",
		Databases: []Database{{Name: "p", Region: "r1", Tier: "db-custom-2-7680", MaxConnections: 160, Consumers: consumers},
			{Name: "rep", Region: "r2", Tier: "db-custom-2-7680", MaxConnections: 160, ReplicaOf: "p"}},
		Workloads: []Workload{{Name: "api", Region: "r1", Method: MethodConnector, Database: "p", MaxInstances: 8, PoolSize: 10,
			StartupConnections: 2, ConnectTimeoutSeconds: 30, StartupProbe: httpProbe240}},
	}
}

func TestParityAtTheReplicaAllowance(t *testing.T) {
	const scenario = ScenarioFailoverPrefix + "rep"
	tests := []struct {
		name      string
		pool      int
		consumers []Consumer
		demand    int
		sev       Severity
		with      string
	}{
		{"demand = allowed fits", 10, []Consumer{{Name: "cron", Connections: 34}}, 124, SeverityOK, ""},
		{"one over, consumer named", 10, []Consumer{{Name: "cron", Connections: 35}, {Name: "idle", Connections: 0}}, 125, SeverityFail, "; consumers cron 35"},
		{"over, no consumer holds any", 15, []Consumer{{Name: "idle", Connections: 0}}, 130, SeverityFail, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topo := failoverPair(tt.consumers...)
			topo.Workloads[0].PoolSize = tt.pool
			r := Analyze(topo)
			s := scenarioOf(t, r, scenario)
			require.Len(t, s.Budgets, 1)
			assert.Equal(t, tt.demand, s.Budgets[0].Demand)
			assert.Equal(t, tt.sev, s.Verdict(CheckReplicaParity))
			var fb []FailoverBudget
			for _, f := range r.Failover {
				if f.Replica == "rep" {
					fb = append(fb, f)
				}
			}
			require.Len(t, fb, 1)
			assert.Equal(t, tt.sev, fb[0].Severity)
			assert.Equal(t, tt.demand, fb[0].PrimaryDemand)
			fs := scenarioFindings(r, scenario, CheckReplicaParity, "rep")
			if tt.sev == SeverityOK {
				assert.Empty(t, fs)
				return
			}
			require.Len(t, fs, 1)
			assert.Equal(t, SeverityFail, fs[0].Severity)
			assert.Contains(t, fs[0].Message, fmt.Sprintf(
				"replica rep (r2) would carry %d connections after promotion (everything routed to primary p and to itself%s) but allows 124 = floor((160 − 5) × 0.80); raise its max_connections to ≥ %d (fixes %s)",
				tt.demand, tt.with, requiredMaxConnections(tt.demand, DefaultReservedConnections, DefaultConnectionUtilization), scenario))
		})
	}
}

// TestBudgetMessageNamesTheLargestServices: a finding names every
// contributing service up to budgetTermsShown; beyond that it names the
// largest ones and sums the rest, and the terms still add up to the demand.
func TestBudgetMessageNamesTheLargestServices(t *testing.T) {
	stack := func(n int) Topology {
		topo := issueStack()
		topo.Databases[0].MaxConnections = 20 // every cold start fails
		w := topo.Workloads[0]
		topo.Workloads = nil
		for i := 0; i < n; i++ {
			x := w
			x.Name = fmt.Sprintf("svc-%02d", i)
			x.MaxInstances = 1 + i%3 // 14, 28 or 42 connections
			topo.Workloads = append(topo.Workloads, x)
		}
		return topo
	}
	for _, n := range []int{1, budgetTermsShown, budgetTermsShown + 1, 40} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := Analyze(stack(n))
			b := scenarioOf(t, r, ScenarioColdStart).Budgets[0]
			fs := scenarioFindings(r, ScenarioColdStart, CheckConnectionBudget, "db")
			require.Len(t, fs, 1)
			msg := fs[0].Message
			named := strings.Count(msg, "×14=")
			if n <= budgetTermsShown {
				assert.Equal(t, n, named, msg)
				assert.NotContains(t, msg, "more services")
				return
			}
			assert.Equal(t, budgetTermsShown, named, msg)
			// The largest first: the named terms are the top
			// budgetTermsShown connection counts.
			conns := make([]int, n)
			for i := range conns {
				conns[i] = (1 + i%3) * 14
			}
			sort.Sort(sort.Reverse(sort.IntSlice(conns)))
			var got []int
			for _, m := range regexp.MustCompile(`×14=(\d+)`).FindAllStringSubmatch(msg, -1) {
				c, _ := strconv.Atoi(m[1])
				got = append(got, c)
			}
			assert.Equal(t, conns[:budgetTermsShown], got, "the largest, in order")
			shown := 0
			for _, c := range got {
				shown += c
			}
			more := b.Demand - b.AdminSlack - shown
			assert.Contains(t, msg, fmt.Sprintf(" + %d more services %d + admin slack", n-budgetTermsShown, more), msg)
		})
	}
}
