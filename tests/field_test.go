package tests

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/graph"
	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/testkit/mockrun"
)

// The public field incidents of this failure class, encoded as stack files
// under testdata/field (docs/field-incidents.md). Each broken configuration
// must be refused for the reason the thread names (check and scenario); the
// team's own fix must pass, or be refused for a reason the thread itself
// supports (the case says which). Every stack goes through the real plan
// pipeline: config → the Pulumi program under mocks → the policy pack →
// the capacity model.

// finding is one expected capacity verdict: check, scenario ("" for the
// checks that hold in every scenario) and severity; contains, when set,
// must appear in its message.
type finding struct {
	check, scenario string
	severity        capacity.Severity
	contains        string
}

// verdict is what the gate must say about one stack file.
type verdict struct {
	// badInput: the stack is refused before any plan (config error, exit 2)
	// naming this key.
	badInput string
	// refused: mandatory violations (exit 1) of exactly these policies.
	refused []string
	// present findings must be reported; absent ones must not be.
	present, absent []finding
	// graph, when set, checks the resources the program declared.
	graph func(t *testing.T, g *graph.Graph)
	// why is the verdict in words (the docs table's "why" column).
	why string
}

type fieldCase struct {
	n      int
	title  string
	source string
	file   string // stack file prefix under testdata/field ("" = not encoded)
	broken verdict
	// fix is nil when the team's fix is not encodable (fixNote says why).
	fix     *verdict
	fixNote string
	// pending: a load error containing the key means a feature this case
	// needs has not landed; the value names it (the test skips, saying so).
	pending map[string]string
	// pendingPolicies: a mandatory violation of this policy, not expected,
	// means a rule this case needs is not yet the same in every layer.
	pendingPolicies map[string]string
}

var (
	tcpWarning      = finding{check: capacity.CheckTimeoutBudget, severity: capacity.SeverityWarn, contains: "startup probe is TCP"}
	needsDemandKeys = map[string]string{
		"processes: unknown key":  "headroom:workloads[].processes (demand as apps open connections)",
		"extraPools: unknown key": "headroom:workloads[].db.extraPools (more than one pool per process)",
	}
	needsProbeLimits = map[string]string{
		"timeoutSeconds: must be < periodSeconds": "startup probe timeoutSeconds = periodSeconds (Cloud Run's default TCP probe is 240/240/1)",
	}
	needsProbePolicy = map[string]string{
		pack.PolicyRunProbeWindow: "the pack's " + pack.PolicyRunProbeWindow + " to accept timeoutSeconds = periodSeconds as config validation now does (Cloud Run's default TCP probe is 240/240/1)",
	}
)

var fieldCases = []fieldCase{
	{
		n: 1, title: "Revision cutover on a small tier", source: "https://github.com/hushh-labs/hushh-research/issues/5872", file: "f01-cutover",
		broken: verdict{refused: []string{pack.PolicyConnectionBudget, pack.PolicyTimeoutBudget}, present: []finding{
			{check: capacity.CheckConnectionBudget, scenario: capacity.ScenarioColdStart, severity: capacity.SeverityFail},
			{check: capacity.CheckConnectionBudget, scenario: "rollout/consent-api", severity: capacity.SeverityFail},
			{check: capacity.CheckTimeoutBudget, scenario: "rollout/consent-api", severity: capacity.SeverityFail, contains: "slot exhaustion"},
		}, why: "3 × 2 × (12 + 6) + 10 = 118 > 76 at a cold start; 226 > 76 in the rollout, where the old revision's 108 already exceed the 95 usable slots (the thread's FATALs)"},
		fix: &verdict{refused: []string{pack.PolicyConnectionBudget}, present: []finding{
			{check: capacity.CheckConnectionBudget, scenario: "rollout/consent-api", severity: capacity.SeverityFail},
		}, absent: []finding{
			{check: capacity.CheckConnectionBudget, scenario: capacity.ScenarioColdStart, severity: capacity.SeverityFail},
		}, why: "passes the cold start (70 ≤ 76); refused in the rollout (130 > 76): the thread itself says a cutover runs instances beyond the cap (it counts one, the old revision lingers whole)"},
		pending: needsDemandKeys,
	},
	{
		n: 2, title: "Two pools per instance", source: "https://github.com/hushh-labs/hushh-research/issues/4736", file: "f02-two-pools",
		broken: verdict{refused: []string{pack.PolicyConnectionBudget}, present: []finding{
			{check: capacity.CheckConnectionBudget, scenario: capacity.ScenarioColdStart, severity: capacity.SeverityFail},
		}, why: "5 × (8 + 4 + 4) + 10 = 90 > 76 at a cold start"},
		fix: &verdict{refused: []string{pack.PolicyConnectionBudget}, present: []finding{
			{check: capacity.CheckConnectionBudget, scenario: "rollout/backend", severity: capacity.SeverityFail},
		}, absent: []finding{
			{check: capacity.CheckConnectionBudget, scenario: capacity.ScenarioColdStart, severity: capacity.SeverityFail},
		}, why: "passes the cold start (50 ≤ 76); refused in the rollout (90 > 76), the failure the same team reports at a cutover (case 1)"},
		pending: needsDemandKeys,
	},
	{
		n: 3, title: "Deploy candidates and refresh storms", source: "https://github.com/stablyai/orca/pull/21165",
		fixNote: "not encoded: the thread gives measured backends (205/165/114) but not the database's size or the other services' pools",
	},
	{
		n: 4, title: "Direct VPC egress warm-up, failed deploy", source: "https://github.com/estuary/flow/issues/3062", file: "f04-direct-warmup-deploy",
		broken: verdict{refused: []string{pack.PolicyTimeoutBudget}, present: []finding{
			{check: capacity.CheckTimeoutBudget, scenario: capacity.ScenarioColdStart, severity: capacity.SeverityFail, contains: "Direct VPC egress warm-up 60 s"},
			tcpWarning,
		}, why: "warm-up 60 s > budget min(30, 240) = 30 s"},
		fix: &verdict{present: []finding{tcpWarning}, absent: []finding{
			{check: capacity.CheckTimeoutBudget, scenario: capacity.ScenarioColdStart, severity: capacity.SeverityFail},
		}, why: "passes: 60 s + queue + handshake ≤ 120 s; the TCP probe stays a warning"},
		pending: needsProbeLimits, pendingPolicies: needsProbePolicy,
	},
	{
		n: 5, title: "Direct VPC egress warm-up, user-facing errors", source: "https://github.com/estuary/flow/issues/3109", file: "f05-direct-warmup-500s",
		broken: verdict{refused: []string{pack.PolicyTimeoutBudget}, present: []finding{
			{check: capacity.CheckTimeoutBudget, scenario: capacity.ScenarioColdStart, severity: capacity.SeverityFail, contains: "Direct VPC egress warm-up 60 s"},
			{check: capacity.CheckTimeoutBudget, scenario: "rollout/flow-server", severity: capacity.SeverityFail},
			tcpWarning,
		}, why: "warm-up 60 s > budget 5 s, at a cold start and in the rollout; the TCP probe that let 500s through is flagged"},
		fix: &verdict{present: []finding{tcpWarning}, absent: []finding{
			{check: capacity.CheckTimeoutBudget, scenario: capacity.ScenarioColdStart, severity: capacity.SeverityFail},
		}, why: "passes: 60 s + queue + handshake ≤ 120 s; the TCP probe stays a warning"},
		pending: needsProbeLimits, pendingPolicies: needsProbePolicy,
	},
	{
		n: 6, title: "TCP startup probe passes before the app is ready", source: "https://github.com/PolicyEngine/policyengine-api/issues/3764", file: "f06-tcp-probe",
		broken: verdict{present: []finding{tcpWarning},
			why: "flagged, not refused: a TCP probe on a service with a database (the boot time is not in the stack, so no arithmetic proves failure)"},
		fix:     &verdict{absent: []finding{tcpWarning}, why: "passes: HTTP probe, window 180 + 24 × 10 = 420 s ≤ 600 s"},
		pending: needsProbeLimits, pendingPolicies: needsProbePolicy,
	},
	{
		n: 7, title: "Built-in Cloud SQL connection cap", source: "https://github.com/ahmetb/cloud-run-faq/issues/114",
		fixNote: "not encoded as a stack: the program connects over private IP only, never through the built-in /cloudsql connection; the 100-per-instance cap is judged on hand-written graphs (policy tests)",
	},
	{
		n: 8, title: "Pooler moves the limit", source: "https://github.com/datopian/ckan-cloud-operator/issues/34", file: "f08-many-instances",
		broken: verdict{refused: []string{pack.PolicyConnectionBudget, pack.PolicyTimeoutBudget}, present: []finding{
			{check: capacity.CheckConnectionBudget, scenario: capacity.ScenarioColdStart, severity: capacity.SeverityFail},
		}, why: "50 × 24 + 10 = 1,210 > 396; the startup connections alone exhaust the slots in the rollout"},
		fixNote: "fix not encoded: PgBouncer between the instances and the database is not in the model, and the thread shows the limit only moved (max_client_conn)",
	},
	{
		n: 9, title: "max_connections above what the tier allows", source: "https://github.com/google/exposure-notifications-server/issues/746", file: "f09-max-connections",
		broken: verdict{present: []finding{{check: capacity.CheckTopologyConsistent, severity: capacity.SeverityWarn,
			contains: "above 400, our inferred ceiling on db-custom-1-3840"}},
			why: "flagged, not refused: the API answered invalidFlagValue for 100000, but Google publishes no maximum for the tier and our 4× ceiling (400) is an inference, so it is advice naming the number; the documented bounds 14–262143 stay bad input"},
		fix: &verdict{why: "passes: the tier default, 100"},
	},
	{
		n: 10, title: "Direct VPC egress IP exhaustion", source: "https://github.com/GoogleCloudPlatform/enterprise-knowledge-solution/pull/172", file: "f10-direct-ips",
		broken: verdict{refused: []string{pack.PolicyDirectEgressIPs}, present: []finding{
			{check: capacity.CheckDirectEgressIPs, scenario: capacity.ScenarioColdStart, severity: capacity.SeverityFail},
		}, why: "a /28 cannot hold 2 IPs × 10 instances in blocks of 16"},
		fix: &verdict{why: "passes: a /24 of its own"},
	},
	{
		n: 11, title: "Connector created without a size", source: "https://github.com/PaloAltoNetworks/terraform-google-swfw-modules/issues/84", file: "f11-connector-size",
		broken: verdict{graph: connectorSized(2, 10),
			why: "cannot happen through the program: an unsized connector in the stack gets min 2 / max 10 (gcloud's defaults) and the program always declares both, so the API never sees a connector without max_instances; the stack passes"},
		fix: &verdict{graph: connectorSized(2, 3), why: "passes: min 2, max 3 instances stated"},
	},
	{
		n: 12, title: "Direct VPC egress given up for a connector", source: "https://github.com/nozomi-koborinai/terradart/pull/232", file: "f12-direct-to-connector",
		broken: verdict{refused: []string{pack.PolicyTimeoutBudget}, present: []finding{
			{check: capacity.CheckTimeoutBudget, scenario: capacity.ScenarioColdStart, severity: capacity.SeverityFail, contains: "Direct VPC egress warm-up 60 s"},
		}, why: "warm-up 60 s > the Auth Proxy's 30 s dial"},
		fix: &verdict{why: "passes: a connector whose minimum size carries the egress"},
	},
	{
		n: 13, title: "Blue/green update on a 100-connection database", source: "https://github.com/prisma/orm/issues/7120", file: "f13-blue-green",
		broken: verdict{refused: []string{pack.PolicyConnectionBudget}, present: []finding{
			{check: capacity.CheckConnectionBudget, scenario: "rollout/api", severity: capacity.SeverityFail},
		}, absent: []finding{
			{check: capacity.CheckConnectionBudget, scenario: capacity.ScenarioColdStart, severity: capacity.SeverityFail},
		}, why: "passes the cold start (70 ≤ 76), refused in the rollout: (3 old + 3 new) × 20 + 10 = 130 > 76"},
		fix: &verdict{why: "passes: max_connections 200, rollout 130 ≤ 156"},
	},
}

// connectorSized checks that the program declared the connector with both
// instance bounds (the API refuses a connector with neither max_instances
// nor max_throughput).
func connectorSized(minI, maxI int) func(t *testing.T, g *graph.Graph) {
	return func(t *testing.T, g *graph.Graph) {
		t.Helper()
		n := 0
		for _, r := range g.Resources {
			if r.Type != pack.TypeConnector {
				continue
			}
			n++
			assert.EqualValues(t, minI, in(r, "minInstances"), "connector minInstances")
			assert.EqualValues(t, maxI, in(r, "maxInstances"), "connector maxInstances")
		}
		assert.Equal(t, 1, n, "one connector")
	}
}

// fieldOutcome is what the pipeline said about one stack file.
type fieldOutcome struct {
	loadErr  error
	graph    *graph.Graph
	refused  []string // mandatory policies, sorted
	findings []capacity.Finding
	pending  string
}

func fieldPath(file, variant string) string {
	return filepath.Join("testdata", "field", "Pulumi."+file+"-"+variant+".yaml")
}

// planField runs one stack file through config → program under mocks →
// policy pack (with the stack's own environment, targets and assumptions,
// as `headroom plan` does) → capacity.
func planField(t *testing.T, path string) fieldOutcome {
	t.Helper()
	f, err := config.LoadFile(path)
	if err != nil {
		return fieldOutcome{loadErr: err}
	}
	g, err := mockrun.Record(f)
	require.NoError(t, err, "mock run of %s", path)
	cfg := pack.DefaultConfig()
	if f.Stack.Environment != "" {
		cfg.Environment = capacity.Environment(f.Stack.Environment)
	}
	cfg.Targets = f.Stack.CapacityTargets()
	cfg.Assumptions = f.Stack.CapacityAssumptions()
	res, err := pack.Evaluate(g.PreviewResources(), cfg)
	require.NoError(t, err, "policy pack on %s", path)
	seen := map[string]bool{}
	out := fieldOutcome{graph: g}
	for _, v := range res.Mandatory() {
		if !seen[v.Policy] {
			seen[v.Policy] = true
			out.refused = append(out.refused, v.Policy)
		}
	}
	sort.Strings(out.refused)
	out.findings = res.Capacity.Findings
	return out
}

func (f finding) in(fs []capacity.Finding) bool {
	for _, x := range fs {
		if x.Check == f.check && x.Scenario == f.scenario && x.Severity == f.severity && strings.Contains(x.Message, f.contains) {
			return true
		}
	}
	return false
}

func (f finding) String() string {
	s := f.check
	if f.scenario != "" {
		s += " in " + f.scenario
	}
	return s + " (" + string(f.severity) + ")"
}

// judge checks one stack's outcome against its expected verdict. It
// returns a reason, without failing, when a feature the case needs has not
// landed (expected-pending); what can be asserted is asserted first.
func judge(t *testing.T, c fieldCase, v verdict, o fieldOutcome) (pending string) {
	t.Helper()
	if o.loadErr != nil && v.badInput == "" {
		for key, feature := range c.pending {
			if key != "" && strings.Contains(o.loadErr.Error(), key) {
				return "needs " + feature
			}
		}
	}
	if v.badInput != "" {
		if o.loadErr == nil {
			if feature, ok := c.pending[""]; ok {
				return feature
			}
		}
		require.Error(t, o.loadErr, "must be refused as bad input naming %s", v.badInput)
		assert.Contains(t, o.loadErr.Error(), v.badInput)
		return ""
	}
	require.NoError(t, o.loadErr)
	if v.graph != nil {
		v.graph(t, o.graph)
	}
	// The capacity verdicts: check, scenario and severity.
	for _, f := range v.present {
		assert.True(t, f.in(o.findings), "expected %s%s; findings: %s", f, quoted(f.contains), describe(o.findings))
	}
	for _, f := range v.absent {
		assert.False(t, f.in(o.findings), "unexpected %s; findings: %s", f, describe(o.findings))
	}
	for _, p := range o.refused {
		if feature, ok := c.pendingPolicies[p]; ok && !slices.Contains(v.refused, p) {
			return "needs " + feature + " (capacity verdicts asserted)"
		}
	}
	// The named reasons must all be mandatory violations (the simulation
	// may add cold-start-success where it explains a failing rule); a
	// stack expected to pass has none at all.
	if len(v.refused) == 0 {
		assert.Empty(t, o.refused, "mandatory violations of a stack that must pass")
	}
	for _, p := range v.refused {
		assert.Contains(t, o.refused, p, "mandatory violations")
	}
	return ""
}

func quoted(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" saying %q", s)
}

func describe(fs []capacity.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s [%s] %s: %s", f.Check, f.Scenario, f.Severity, f.Message)
	}
	return b.String()
}

// TestFieldIncidents runs every encoded case, broken and fixed, through the
// plan pipeline and checks (or, with -update, rewrites) the table in
// docs/field-incidents.md.
func TestFieldIncidents(t *testing.T) {
	encoded := 0
	rows := map[string]string{}
	for _, c := range fieldCases {
		if c.file == "" {
			continue
		}
		encoded++
		variants := []struct {
			name string
			v    *verdict
		}{{"broken", &c.broken}, {"fix", c.fix}}
		for _, vr := range variants {
			if vr.v == nil {
				continue
			}
			t.Run(fmt.Sprintf("%02d-%s/%s", c.n, c.file, vr.name), func(t *testing.T) {
				path := fieldPath(c.file, vr.name)
				rows[path] = "pending"
				o := planField(t, path)
				reason := judge(t, c, *vr.v, o)
				switch {
				case t.Failed():
					rows[path] = "FAIL"
				case reason != "":
					rows[path] = "expected-pending: " + reason
					t.Skip("expected-pending: " + reason)
				default:
					rows[path] = "ok"
				}
			})
		}
	}
	assert.GreaterOrEqual(t, encoded, 10, "at least 10 of the 13 field cases are encoded")
	// Every stack file under testdata/field belongs to a case, and every
	// case's file exists.
	known := map[string]bool{}
	for _, c := range fieldCases {
		if c.file != "" {
			known[fieldPath(c.file, "broken")] = true
			if c.fix != nil {
				known[fieldPath(c.file, "fix")] = true
			}
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "field", "*.yaml"))
	require.NoError(t, err)
	assert.Len(t, files, len(known))
	for _, f := range files {
		assert.True(t, known[f], "%s is not a variant of any field case", f)
	}
	if len(rows) < len(known) {
		t.Logf("the docs table is checked only when every case ran (-run selected %d of %d)", len(rows), len(known))
		return
	}

	table := fieldTable(rows)
	path := filepath.Join("..", "docs", "field-incidents.md")
	doc, err := os.ReadFile(path)
	require.NoError(t, err)
	const begin, end = "<!-- BEGIN GENERATED -->\n", "<!-- END GENERATED -->\n"
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	require.True(t, i >= 0 && j > i, "%s: markers %q … %q", path, begin, end)
	if *update {
		require.False(t, t.Failed(), "the table is rewritten only from a passing run")
		out := append([]byte{}, doc[:i+len(begin)]...)
		out = append(out, table...)
		out = append(out, doc[j:]...)
		require.NoError(t, os.WriteFile(path, out, 0o644))
		return
	}
	got, want := strings.Split(string(doc[i+len(begin):j]), "\n"), strings.Split(string(table), "\n")
	for k := range max(len(got), len(want)) {
		var g, w string
		if k < len(got) {
			g = got[k]
		}
		if k < len(want) {
			w = want[k]
		}
		if g != w {
			t.Errorf("%s is out of date (go test ./tests -run TestFieldIncidents -update); line %d of the table:\n doc:  %s\n test: %s", path, k+1, g, w)
			break
		}
	}
}

// fieldTable is the generated table of docs/field-incidents.md: every case,
// its stack files and the verdict the test asserts (or why it is pending or
// not encoded).
func fieldTable(rows map[string]string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!-- generated by `go test ./tests -run TestFieldIncidents -update`; do not edit the table by hand -->\n")
	fmt.Fprintf(&b, "| # | case (source) | stack | verdict asserted | why | status |\n|---|---|---|---|---|---|\n")
	for _, c := range fieldCases {
		src := fmt.Sprintf("%s ([thread](%s))", c.title, c.source)
		if c.file == "" {
			fmt.Fprintf(&b, "| %d | %s | — | — | %s | not encoded |\n", c.n, src, c.fixNote)
			continue
		}
		for _, vr := range []struct {
			name string
			v    *verdict
		}{{"broken", &c.broken}, {"fix", c.fix}} {
			path := fieldPath(c.file, vr.name)
			if vr.v == nil {
				fmt.Fprintf(&b, "| %d | %s | — (fix) | — | %s | not encoded |\n", c.n, src, c.fixNote)
				continue
			}
			status := rows[path]
			fmt.Fprintf(&b, "| %d | %s | [%s](../tests/testdata/field/%s) | %s | %s | %s |\n",
				c.n, src, vr.name, filepath.Base(path), vr.v.summary(), vr.v.why, status)
		}
	}
	return b.Bytes()
}

func (v verdict) summary() string {
	switch {
	case v.badInput != "":
		return "bad input: " + v.badInput
	case len(v.refused) > 0:
		var parts []string
		for _, f := range v.present {
			if f.severity == capacity.SeverityFail {
				parts = append(parts, f.String())
			}
		}
		s := "refused: " + strings.Join(v.refused, ", ")
		if len(parts) > 0 {
			s += " — " + strings.Join(parts, "; ")
		}
		return s
	default:
		s := "passes"
		for _, f := range v.present {
			s += "; warns " + f.String()
		}
		return s
	}
}
