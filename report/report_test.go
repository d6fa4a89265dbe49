package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/testkit/golden"
	"github.com/headroom-dev/headroom/testkit/mdcheck"
)

// fixture is a hand-built incident-like stack: one primary that the backend
// over-subscribes, a connector whose scale-out sits on the startup path, and
// a timeout budget the worst case exceeds. The numbers are internally
// consistent (demand = Σ contributors + slack) but do not come from the
// model: this test is about rendering, not about the analyses.
func fixture() PlanInput {
	series := []capacity.SeriesPoint{}
	for s := 0; s <= 90; s += 3 {
		ready := 0
		if s >= 6 {
			ready = (s - 6) * 40 / 60
		}
		if ready > 31 {
			ready = 31
		}
		failed := 0
		if s >= 75 {
			failed = 9
		}
		series = append(series, capacity.SeriesPoint{Seconds: float64(s), Ready: ready, Failed: failed, SlotsInUse: ready * 3})
	}
	return PlanInput{
		Stack:       "incident",
		Environment: "staging",
		Counts: map[string]int{
			"gcp:sql/databaseInstance:DatabaseInstance": 1,
			"gcp:vpcaccess/connector:Connector":         1,
			"gcp:cloudrunv2/service:Service":            2,
			"pulumi:pulumi:Stack":                       1,
		},
		Topology: capacity.Topology{
			Stack: "incident", Environment: capacity.EnvStaging,
			Databases: []capacity.Database{{Name: "staging-shared-postgres", Region: "us-central1", Tier: "db-custom-2-7680", Availability: "ZONAL"}},
			Egress:    []capacity.Egress{{Region: "us-central1", Kind: capacity.EgressConnector, Name: "staging-connector", MachineType: "e2-micro", MinInstances: 2, MaxInstances: 3, IPCIDRRange: "10.8.0.0/28"}},
			Workloads: []capacity.Workload{
				{Name: "netra-backend", Region: "us-central1", Egress: capacity.EgressConnector, EgressName: "staging-connector", Method: capacity.MethodPrivateIP, Database: "staging-shared-postgres", MinInstances: 0, MaxInstances: 30, Concurrency: 80, PoolSize: 10, MaxOverflow: 5, StartupConnections: 3, ConnectTimeoutSeconds: 75},
				{Name: "auth", Region: "us-central1", Egress: capacity.EgressConnector, EgressName: "staging-connector", Method: capacity.MethodPrivateIP, Database: "staging-shared-postgres", MinInstances: 0, MaxInstances: 10, Concurrency: 80, PoolSize: 5, MaxOverflow: 0, StartupConnections: 1, ConnectTimeoutSeconds: 75},
			},
			Targets: capacity.Targets{StartupSuccessRate: 0.9, ConnectP99Seconds: 30, ConnectionUtilization: 0.8},
		},
		Capacity: capacity.Report{
			Budgets: []capacity.ConnectionBudget{{
				Database: "staging-shared-postgres", Region: "us-central1", MaxConnections: 400, Reserved: 5, AdminSlack: 10,
				Usable: 395, Allowed: 316, Demand: 510, Utilization: 510.0 / 395.0, Severity: capacity.SeverityFail,
				Contributors: []capacity.BudgetContributor{
					{Workload: "netra-backend", Region: "us-central1", MaxInstances: 30, PerInstance: 15, Connections: 450},
					{Workload: "auth", Region: "us-central1", MaxInstances: 10, PerInstance: 5, Connections: 50},
				},
			}},
			Egress: []capacity.EgressHeadroom{{Region: "us-central1", Kind: capacity.EgressConnector, Name: "staging-connector",
				DemandMbps: 400, ColdStartMbps: 400, CapacityMinMbps: 200, CapacityMaxMbps: 300, ScaleOutsNeeded: 1,
				ScaleOutOnCriticalPath: true, Severity: capacity.SeverityFail}},
			Timeouts: []capacity.TimeoutBudget{
				{Workload: "netra-backend", Region: "us-central1", EgressDelaySeconds: 30, QueueSeconds: 52.5, HandshakeSeconds: 0.05, WorstCaseSeconds: 82.55, ConnectTimeoutSeconds: 75, ProbeWindowSeconds: 240, Severity: capacity.SeverityFail},
				{Workload: "auth", Region: "us-central1", EgressDelaySeconds: 30, QueueSeconds: 2, HandshakeSeconds: 0.05, WorstCaseSeconds: 32.05, ConnectTimeoutSeconds: 75, ProbeWindowSeconds: 240, Severity: capacity.SeverityOK},
			},
			AdminAPI: []capacity.AdminAPIBurst{{Region: "us-central1", Applicable: false}},
			Simulation: capacity.SimResult{
				Instances: 40, Attempts: 160, SuccessRate: 0.775, TimeToReadyP50Seconds: 31, TimeToReadyP95Seconds: 58.5,
				TimeToReadyP99Seconds: 61, ConnectP50Seconds: 4.2, ConnectP95Seconds: 38, ConnectP99Seconds: 52.25, PeakSlotsUsed: 395,
				PerWorkload: []capacity.WorkloadSim{
					{Workload: "netra-backend", Region: "us-central1", Instances: 30, Ready: 21, SuccessRate: 0.7},
					{Workload: "auth", Region: "us-central1", Instances: 10, Ready: 10, SuccessRate: 1},
				},
				Series: series,
			},
			Scenarios: []capacity.ScenarioResult{
				{ID: "cold-start", Kind: capacity.KindColdStart, Description: "every instance of every service starts from zero at once", Severity: capacity.SeverityFail,
					Checks: []capacity.CheckVerdict{{Check: "connection-budget", Severity: capacity.SeverityFail}, {Check: "egress-headroom", Severity: capacity.SeverityFail},
						{Check: "direct-egress-ip-capacity", Severity: capacity.SeverityOK}, {Check: "timeout-budget", Severity: capacity.SeverityFail},
						{Check: "admin-api-connect-quota", Severity: capacity.SeverityOK}, {Check: "cold-start-success", Severity: capacity.SeverityWarn}}},
				{ID: "rollout/netra-backend", Kind: capacity.KindRollout, Description: "a new revision of netra-backend starts while the old one keeps its pools open for 600 s", Severity: capacity.SeverityFail,
					Checks: []capacity.CheckVerdict{{Check: "connection-budget", Severity: capacity.SeverityFail}, {Check: "egress-headroom", Severity: capacity.SeverityOK},
						{Check: "direct-egress-ip-capacity", Severity: capacity.SeverityOK}, {Check: "timeout-budget", Severity: capacity.SeverityOK},
						{Check: "admin-api-connect-quota", Severity: capacity.SeverityOK}, {Check: "cold-start-success", Severity: capacity.SeverityOK}}},
				{ID: "overshoot", Kind: capacity.KindOvershoot, Advisory: true, Description: "Cloud Run briefly runs 2× max instances (advisory)", Severity: capacity.SeverityWarn,
					Checks: []capacity.CheckVerdict{{Check: "connection-budget", Severity: capacity.SeverityWarn}}},
			},
			Findings: []capacity.Finding{
				{Check: "connection-budget", Subject: "staging-shared-postgres", Severity: capacity.SeverityFail, Scenario: "rollout/netra-backend",
					Message: "rollout/netra-backend: connection demand 960 exceeds allowed 316; raise max_connections to ≥ 1213 (fixes rollout/netra-backend)"},
				{Check: "topology", Subject: "auth", Severity: capacity.SeverityWarn, Message: "static findings carry no scenario"},
			},
		},
		Violations: []Violation{
			{Policy: "timeout-budget", Level: "mandatory", Resource: "urn:pulumi:incident::headroom::gcp:cloudrunv2/service:Service::netra-backend", Message: "worst-case connect 82.6 s exceeds DB connect timeout 75 s: keep ≥ 2 connector instances warm or lower maxInstances to ≤ 14"},
			{Policy: "sql-max-connections-explicit", Level: "advisory", Resource: "staging-shared-postgres", Message: "set max_connections explicitly | the tier default hides the budget"},
			{Policy: "connection-budget", Level: "mandatory", Resource: "urn:pulumi:incident::headroom::gcp:sql/databaseInstance:DatabaseInstance::staging-shared-postgres", Message: "demand 510 > allowed 316 of 395 usable: raise max_connections to ≥ 651 or lower netra-backend maxInstances to ≤ 17"},
		},
	}
}

func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Assert(t, filepath.Join("testdata", name), got)
}

func TestFromPlanVerdictAndOrder(t *testing.T) {
	tests := []struct {
		name       string
		violations []Violation
		verdict    string
		mandatory  int
		advisory   int
	}{
		{"none", nil, VerdictPass, 0, 0},
		{"advisory only", []Violation{{Policy: "a", Level: "advisory", Message: "m"}}, VerdictPass, 0, 1},
		{"mandatory", []Violation{{Policy: "b", Level: "advisory", Message: "m"}, {Policy: "a", Level: "mandatory", Message: "m"}}, VerdictFail, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fixture()
			in.Violations = tt.violations
			r := FromPlan(in)
			assert.Equal(t, tt.verdict, r.Verdict)
			assert.Equal(t, tt.mandatory, r.Mandatory)
			assert.Equal(t, tt.advisory, r.Advisory)
			require.NotNil(t, r.Violations)
			if len(r.Violations) > 1 {
				assert.Equal(t, LevelMandatory, r.Violations[0].Level, "mandatory violations come first")
			}
		})
	}
}

func TestFromPlanCapacity(t *testing.T) {
	r := FromPlan(fixture())
	require.Len(t, r.Capacity.Databases, 1)
	db := r.Capacity.Databases[0]
	assert.Equal(t, 510, db.Demand)
	assert.Equal(t, 395, db.Usable)
	assert.InDelta(t, 1.2911, db.Utilization, 1e-9, "utilization is rounded to 4 places")
	require.Len(t, r.Capacity.Regions, 1)
	assert.Nil(t, r.Capacity.Regions[0].AdminAPI, "a non-applicable Admin API burst is omitted")
	assert.Equal(t, 5, r.Resources.Total)
	assert.Equal(t, "gcp:cloudrunv2/service:Service", r.Resources.ByType[0].Type, "types are sorted")
	assert.Equal(t, "auth", r.Resources.Services[0].Name, "services are sorted")
	assert.Len(t, r.Simulation.Series, 31)
	// The scenarios judged, in the model's order, each with its findings.
	require.Len(t, r.Scenarios, 3)
	assert.Equal(t, []string{"cold-start", "rollout/netra-backend", "overshoot"}, []string{r.Scenarios[0].ID, r.Scenarios[1].ID, r.Scenarios[2].ID})
	assert.Empty(t, r.Scenarios[0].Findings)
	require.Len(t, r.Scenarios[1].Findings, 1)
	assert.Equal(t, "rollout/netra-backend", r.Scenarios[1].Findings[0].Scenario)
	assert.Contains(t, r.Scenarios[1].Findings[0].Message, "(fixes rollout/netra-backend)")
	assert.True(t, r.Scenarios[2].Advisory)
}

// TestScenarioTable: the text and Markdown renderings show one row per
// scenario with a verdict per check, and "-"/"—" where a check does not
// apply (replica parity outside a failover).
func TestScenarioTable(t *testing.T) {
	r := FromPlan(fixture())
	var txt, md bytes.Buffer
	require.NoError(t, Text(&txt, r, TextOptions{}))
	require.NoError(t, Markdown(&md, r, MarkdownOptions{}))
	assert.Contains(t, txt.String(), "Scenarios judged (3)")
	assert.Regexp(t, `SCENARIO +BUDGET +REPLICA +EGRESS +IPS +TIMEOUT +ADMIN API +STORM +VERDICT`, txt.String())
	assert.Regexp(t, `rollout/netra-backend +fail +ok +ok +ok +ok +ok +fail`, txt.String())
	assert.Regexp(t, `overshoot \(advisory\) +warn +`, txt.String())
	assert.Contains(t, md.String(), "| `rollout/netra-backend` | ❌ fail | — | ✅ ok |")
	assert.Contains(t, md.String(), "- `overshoot`: Cloud Run briefly runs 2× max instances (advisory)")
}

func renderAll(t *testing.T, r Report) (text, color, md, js []byte) {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, Text(&b, r, TextOptions{}))
	text = append([]byte(nil), b.Bytes()...)
	b.Reset()
	require.NoError(t, Text(&b, r, TextOptions{Color: true}))
	color = append([]byte(nil), b.Bytes()...)
	b.Reset()
	require.NoError(t, Markdown(&b, r, MarkdownOptions{}))
	md = append([]byte(nil), b.Bytes()...)
	b.Reset()
	require.NoError(t, JSON(&b, r))
	js = append([]byte(nil), b.Bytes()...)
	return
}

func TestRenderGoldens(t *testing.T) {
	r := FromPlan(fixture())
	text, color, md, js := renderAll(t, r)
	goldenFile(t, "fixture.txt", text)
	goldenFile(t, "fixture.md", md)
	goldenFile(t, "fixture.json", js)

	assert.NotContains(t, string(text), "\x1b[", "no escape sequences without Color")
	assert.Contains(t, string(color), "\x1b[", "escape sequences with Color")
	assert.Equal(t, string(text), stripANSI(string(color)), "color changes nothing but escapes")
	require.NoError(t, Validate(js))
	mdcheck.Check(t, md, mdcheck.Expect{Tables: 8, Mermaid: true})
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestSchemaRejects(t *testing.T) {
	r := FromPlan(fixture())
	var b bytes.Buffer
	require.NoError(t, JSON(&b, r))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))

	tests := []struct {
		name   string
		mutate func(map[string]any)
	}{
		{"missing verdict", func(d map[string]any) { delete(d, "verdict") }},
		{"unknown verdict", func(d map[string]any) { d["verdict"] = "maybe" }},
		{"verdict pass with mandatory", func(d map[string]any) { d["verdict"] = "pass" }},
		{"plan without simulation", func(d map[string]any) { delete(d, "simulation") }},
		{"unknown field", func(d map[string]any) { d["surprise"] = true }},
		{"violation without policy", func(d map[string]any) {
			d["violations"] = []any{map[string]any{"level": "mandatory", "message": "m", "resource": ""}}
		}},
		{"success rate above 1", func(d map[string]any) { d["simulation"].(map[string]any)["successRate"] = 1.5 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d map[string]any
			require.NoError(t, json.Unmarshal(b.Bytes(), &d))
			tt.mutate(d)
			out, err := json.Marshal(d)
			require.NoError(t, err)
			assert.Error(t, Validate(out))
		})
	}
	assert.NoError(t, Validate(b.Bytes()))
}

func TestChart(t *testing.T) {
	tests := []struct {
		name   string
		series []Point
		width  int
		height int
		want   string
	}{
		{"full then empty", []Point{{Seconds: 0, Ready: 0}, {Seconds: 1, Ready: 2}, {Seconds: 2, Ready: 4}}, 10, 2,
			"  4 ┤  █\n    ┤ ██\n    └───\n     0 s 2 s  ready instances over time\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Chart(tt.series, 4, tt.width, tt.height)
			// the 0 label shares the bottom row when height is 2
			assert.Equal(t, strings.Replace(tt.want, "    ┤ ██", "  0 ┤ ██", 1), got)
		})
	}
	long := make([]Point, 500)
	for i := range long {
		long[i] = Point{Seconds: float64(i), Ready: i}
	}
	lines := strings.Split(Chart(long, 499, 40, 5), "\n")
	assert.Equal(t, 40+len([]rune("  499 ┤")), len([]rune(lines[0])), "sampled to the width")
	assert.Contains(t, lines[len(lines)-2], "499 s", "the last sample is kept")
}

func TestMarkdownEscapesCells(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, FromPlan(fixture()), MarkdownOptions{}))
	assert.Contains(t, b.String(), `set max_connections explicitly \| the tier default`)
}
