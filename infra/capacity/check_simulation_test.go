package capacity

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// coldStartSuccess returns the messages and severities of the cold-start
// scenario's cold-start-success findings.
func coldStartSuccess(r Report) (msgs []string, sevs []Severity) {
	for _, f := range scenarioFindings(r, ScenarioColdStart, CheckColdStartSuccess, "") {
		msgs = append(msgs, f.Message)
		sevs = append(sevs, f.Severity)
	}
	return msgs, sevs
}

// TestSimulationFindingNamesEachCause pins the cold-start-success message
// for each failure cause of the simulator: exactly the causes that occurred,
// in a fixed order, with the figures of the storm that explain them. The
// storms are the hand-computed ones of TestSimulateHandComputed.
func TestSimulationFindingNamesEachCause(t *testing.T) {
	target := 100 * DefaultTargets().StartupSuccessRate
	prefix := ScenarioColdStart + ": predicted storm success "
	storm := func(rate float64, ready, instances int, causes string) string {
		return fmt.Sprintf("%s%.1f%% (%d of %d instances ready) is not above the %.1f%% target; failed: %s", prefix, rate, ready, instances, target, causes)
	}

	// Two regions with a connector each; only r's is short: 4 × 100 Mbps on
	// an e2-micro connector of 2 … 3 instances (100 Mbps each). Two start at
	// once, the third after the one scale-out (30 s), the fourth never gets
	// in and fails at its 45 s timeout. s's connector carries its one
	// instance at its minimum size, so it delayed nobody and is not named.
	connector := Topology{Stack: "hand",
		Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-4-16384", MaxConnections: 500}},
		Egress: []Egress{
			{Region: "r", Kind: EgressConnector, Name: "c", MachineType: "e2-micro", MinInstances: 2, MaxInstances: 3, IPCIDRRange: "10.8.0.0/28"},
			{Region: "s", Kind: EgressConnector, Name: "d", MachineType: "e2-micro", MinInstances: 2, MaxInstances: 3, IPCIDRRange: "10.8.0.16/28"},
		},
		Workloads: []Workload{
			{Name: "w", Region: "r", Method: MethodPrivateIP, Database: "db", Egress: EgressConnector, EgressName: "c",
				MaxInstances: 4, EgressMbpsPerInstance: 100, PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: 45, StartupProbe: probe240},
			{Name: "v", Region: "s", Method: MethodPrivateIP, Database: "db", Egress: EgressConnector, EgressName: "d",
				MaxInstances: 1, EgressMbpsPerInstance: 100, PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: 45, StartupProbe: probe240},
		},
	}
	scaleOut := DefaultAssumptions().ConnectorScaleOutSeconds

	// The 3 × 4 storm on 10 usable slots with no retry inside the timeout
	// (2 refused, 2 give up), plus a second database that refuses nothing
	// and is therefore not named.
	slots := oneDB(15, 3, 4, 30)
	slots.Assumptions.RetryInitialSeconds = 60
	slots.Databases = append(slots.Databases, Database{Name: "db2", Region: "r", Tier: "db-custom-4-16384", MaxConnections: 500})
	slots.Workloads = append(slots.Workloads, Workload{Name: "v", Region: "r", Method: MethodPrivateIP, Database: "db2", Egress: EgressNone,
		MaxInstances: 1, PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: 30, StartupProbe: probe240})

	accept := oneDB(500, 100, 1, 10) // 1 attempt/s: 10 of 100 in 10 s
	accept.Assumptions.AcceptRatePerSecond = 1

	admin := oneDB(4000, 600, 1, 45) // 500 built-in starts per minute, 100 wait past 45 s
	admin.Databases[0].Tier = "db-perf-optimized-N-16"
	admin.Workloads[0].Method = MethodBuiltin
	admin.Assumptions.AcceptRatePerSecond = 1000

	capped := oneDB(4000, 2, BuiltinConnectionsPerInstance+1, 30)
	capped.Workloads[0].Method = MethodBuiltin
	capped.Workloads = append(capped.Workloads,
		Workload{Name: "ghost", Region: "r", Database: "nope", MaxInstances: 3, StartupConnections: 1, ConnectTimeoutSeconds: 10},
		Workload{Name: "nodb", Region: "r", MaxInstances: 5, ConnectTimeoutSeconds: 10})

	direct := oneDB(500, 2, 1, 45) // default 60 s warm-up > 45 s timeout
	direct.Egress = []Egress{{Region: "r", Kind: EgressDirect, Name: "s", SubnetCIDR: "10.0.0.0/24"}}
	direct.Workloads[0].Egress = EgressDirect

	// Every instance is ready, but the criterion is strictly "above the
	// target": a 100 % target is never met, and no cause is left to name.
	perfect := oneDB(500, 2, 1, 45)
	perfect.Targets.StartupSuccessRate = 1

	healthy := oneDB(500, 2, 1, 45)

	for _, tc := range []struct {
		name string
		topo Topology
		want []string
		sev  Severity
	}{
		{"connector scale-out", connector, []string{
			ScenarioColdStart + ": predicted connect p99 30.1 s is not under the 30 s target (p50 0.1 s, p95 30.1 s)",
			storm(80, 4, 5, fmt.Sprintf("1 waited on connector scale-out on the critical path (r c: 2 → 3 instances, 1 scale-outs × %g s, waits up to %.0f s)", scaleOut, scaleOut)),
		}, SeverityFail}, // egress headroom fails: 400 Mbps > 300 at max size
		{"slot exhaustion", slots, []string{
			storm(50, 2, 4, `2 hit slot exhaustion ("too many clients"; db: 10 usable slots, peak 10, 2 attempts refused)`),
		}, SeverityFail}, // the connection budget fails: 12 > 8
		{"accept queue", accept, []string{storm(10, 10, 100, "90 queued behind the database accept rate")}, SeverityFail},
		{"admin API quota", admin, []string{storm(100*500.0/600, 500, 600, "100 waited for Admin API connect quota")}, SeverityFail},
		{"built-in cap and missing database", capped, []string{
			storm(50, 5, 10, fmt.Sprintf("2 need more than %d built-in connections; 3 target a missing database", BuiltinConnectionsPerInstance)),
		}, SeverityWarn}, // both are static findings; no scenario check fails
		{"direct egress warm-up", direct, []string{
			storm(0, 0, 2, fmt.Sprintf("2 waited for Direct VPC egress to connect (%g s warm-up)", DefaultAssumptions().DirectEgressStartupSeconds)),
		}, SeverityFail},
		{"target of 100 %", perfect, []string{prefix + "100.0% (2 of 2 instances ready) is not above the 100.0% target; failed: unknown"}, SeverityWarn},
		{"healthy", healthy, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs, sevs := coldStartSuccess(Analyze(tc.topo))
			assert.Equal(t, tc.want, msgs)
			for _, s := range sevs {
				assert.Equal(t, tc.sev, s)
			}
		})
	}
}
