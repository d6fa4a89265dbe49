package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func doc(t *testing.T, s string) map[string]any {
	t.Helper()
	d, err := ParseDocument([]byte(s))
	require.NoError(t, err)
	return d
}

func section(d *Diff, id string) (DiffTable, bool) {
	for _, s := range d.Sections {
		if s.ID == id {
			return s, true
		}
	}
	return DiffTable{}, false
}

// Scenario rows are keyed rows of the JSON model: a scenario the model
// adds later (any id, any figures, nested or not) is diffed without code.
func TestCompareScenariosGeneric(t *testing.T) {
	base := doc(t, `{"kind":"plan","verdict":"pass","violations":[],
		"scenarios":[
			{"id":"cold-start","verdict":"pass","successRate":0.95,"connectP99Seconds":3.5},
			{"id":"rollout/all","verdict":"pass","simulation":{"successRate":0.97,"connectP99Seconds":2}},
			{"id":"overshoot","verdict":"pass","successRate":1}
		]}`)
	head := doc(t, `{"kind":"plan","verdict":"pass","violations":[],
		"scenarios":[
			{"id":"cold-start","verdict":"pass","successRate":0.95,"connectP99Seconds":3.5},
			{"id":"rollout/all","verdict":"warn","simulation":{"successRate":0.91,"connectP99Seconds":2}},
			{"id":"restart/main-db","verdict":"pass","successRate":0.99,"newFigure":7}
		]}`)
	d := Compare(base, head, DiffBase{Source: "main", Kind: "ref"})
	s, ok := section(d, "scenarios")
	require.True(t, ok)
	assert.Equal(t, 1, s.Unchanged)
	byKey := map[string]DiffRow{}
	for _, r := range s.Rows {
		byKey[r.Key] = r
	}
	require.Len(t, byKey, 3)
	assert.Equal(t, RowChanged, byKey["rollout/all"].Status)
	assert.Contains(t, byKey["rollout/all"].Fields, FieldChange{Field: "simulation.successRate", Before: 0.97, After: 0.91, Changed: true},
		"a nested figure is found by its name")
	assert.Contains(t, byKey["rollout/all"].Fields, FieldChange{Field: "verdict", Before: "pass", After: "warn", Changed: true})
	assert.Equal(t, RowAdded, byKey["restart/main-db"].Status)
	assert.Equal(t, RowRemoved, byKey["overshoot"].Status)
	assert.True(t, d.Changed)
	assert.True(t, d.ThresholdCrossed, "a verdict cell changed and scenarios came and went")
	// The simulation is not a second cold-start row when scenarios exist.
	assert.NotContains(t, byKey, "cold-start")

	var b strings.Builder
	require.NoError(t, DiffMarkdown(&b, "s", d, MarkdownOptions{}))
	assert.Contains(t, b.String(), "| `restart/main-db` | added |")
	assert.Contains(t, b.String(), "97.0 % → **91.0 %**")
}

// Thresholds: what counts as "changed" and what crosses a threshold.
func TestCompareThresholds(t *testing.T) {
	const v = `{"kind":"plan","verdict":"%s","violations":[%s],
		"capacity":{"databases":[{"database":"db","demand":%d,"allowed":76,"utilization":%g,"severity":"%s"}]}}`
	mk := func(verdict, viol string, demand int, util float64, sev string) map[string]any {
		return doc(t, fmt.Sprintf(v, verdict, viol, demand, util, sev))
	}
	viol := `{"policy":"connection-budget","level":"mandatory","message":"m %d","resource":"urn:pulumi:s::p::t::db"}`
	cases := []struct {
		name               string
		base, head         map[string]any
		changed, threshold bool
	}{
		{"identical", mk("pass", "", 50, 0.66, "ok"), mk("pass", "", 50, 0.66, "ok"), false, false},
		{"figure moved, same severity", mk("pass", "", 50, 0.66, "ok"), mk("pass", "", 55, 0.72, "ok"), true, false},
		{"severity ok → warn", mk("pass", "", 50, 0.66, "ok"), mk("pass", "", 61, 0.80, "warn"), true, true},
		{"violation added, verdict flips", mk("pass", "", 50, 0.66, "ok"), mk("fail", fmt.Sprintf(viol, 1), 90, 1.2, "fail"), true, true},
		{"violation message moved only", mk("fail", fmt.Sprintf(viol, 1), 90, 1.2, "fail"), mk("fail", fmt.Sprintf(viol, 2), 90, 1.2, "fail"), false, false},
		{"no base", nil, mk("pass", "", 50, 0.66, "ok"), true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Compare(c.base, c.head, DiffBase{Source: "b", Kind: "file"})
			assert.Equal(t, c.changed, d.Changed, "changed")
			assert.Equal(t, c.threshold, d.ThresholdCrossed, "threshold")
			assert.Equal(t, c.changed, d.ShouldComment(CommentChanged))
			assert.Equal(t, c.threshold, d.ShouldComment(CommentThreshold))
			assert.True(t, d.ShouldComment(CommentAlways))
		})
	}
}

func TestParseDocumentRejects(t *testing.T) {
	for _, s := range []string{`[]`, `null`, `{"kind":"up"}`, `{`} {
		_, err := ParseDocument([]byte(s))
		assert.Error(t, err, s)
	}
}

// A diff survives the JSON round trip and validates against the schema.
func TestDiffJSONSchema(t *testing.T) {
	r := Report{Kind: KindPlan, Stack: "s", Environment: "staging"}
	r.Finalize()
	r.Targets, r.Resources, r.Capacity, r.Simulation = &Targets{}, &Resources{ByType: []TypeCount{}, Databases: []DatabaseSizing{},
		Egress: []EgressSizing{}, Services: []ServiceSizing{}},
		&Capacity{Databases: []DatabaseBudget{}, Failover: []Failover{}, Regions: []RegionEgress{}, Timeouts: []Timeout{}},
		&Simulation{Workloads: []WorkloadSim{}, Series: []Point{}}
	head, err := ToDocument(r)
	require.NoError(t, err)
	r.Diff = Compare(nil, head, DiffBase{Source: "origin/main", Kind: "ref", Note: "no stack file"})
	var b strings.Builder
	require.NoError(t, JSON(&b, r))
	require.NoError(t, Validate([]byte(b.String())), b.String())
	var back Report
	require.NoError(t, json.Unmarshal([]byte(b.String()), &back))
	assert.Equal(t, "origin/main", back.Diff.Base.Source)
}

func TestDiffValue(t *testing.T) {
	cases := []struct {
		field string
		v     any
		want  string
	}{
		{"successRate", 0.9, "90.0 %"},
		{"utilization", 1.25, "125.0 %"},
		{"connectP99Seconds", 2.5, "2.5 s"},
		{"coldStartMbps", 1100.0, "1100 Mbps"},
		{"monthlyUsd", 12.5, "$12.50"},
		{"demand", 380.0, "380"},
		{"x", 0.125, "0.125"},
		{"x", nil, "—"},
		{"x", true, "yes"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, diffValue(c.field, c.v), c.field)
	}
}

// FuzzCompare: any two JSON plans compare without panicking, render, and a
// plan compared with itself shows no change.
func FuzzCompare(f *testing.F) {
	f.Add([]byte(`{"kind":"plan","verdict":"pass","violations":[]}`), []byte(`{"kind":"plan","verdict":"fail","violations":[{"policy":"p","resource":"r"}]}`))
	f.Add([]byte(`{"kind":"plan","scenarios":[{"id":"a","x":{"successRate":1}},{"id":"a"},{"id":""},3]}`), []byte(`{"kind":"plan","capacity":{"databases":[{"database":"d","demand":1}]}}`))
	f.Add([]byte(`{"kind":"plan","simulation":{"successRate":0.5,"series":[1]}}`), []byte(`{"kind":"plan","simulation":7}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		da, errA := ParseDocument(a)
		db, errB := ParseDocument(b)
		if errA != nil || errB != nil {
			return
		}
		self := Compare(da, da, DiffBase{Source: "s", Kind: "file"})
		if self.Changed || self.ThresholdCrossed {
			t.Fatalf("a plan differs from itself: %+v", self)
		}
		d := Compare(da, db, DiffBase{Source: "s", Kind: "file"})
		var w strings.Builder
		if err := DiffMarkdown(&w, "s", d, MarkdownOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := DiffText(&w, "s", d, TextOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(d); err != nil {
			t.Fatal(err)
		}
	})
}

// The scenario rows as the scenario model writes them (a verdict, per-check
// verdicts, findings): per-check verdict changes are shown and cross a
// threshold; the cold-start simulation's figures join the cold-start row.
func TestCompareScenarioChecks(t *testing.T) {
	mk := func(sev, budget string, success float64) map[string]any {
		return doc(t, fmt.Sprintf(`{"kind":"plan","verdict":"pass","violations":[],
			"simulation":{"successRate":%g,"connectP99Seconds":1.5,"series":[]},
			"scenarios":[
				{"id":"cold-start","kind":"cold-start","description":"d","severity":"%s",
				 "checks":[{"check":"connection-budget","severity":"%s"},{"check":"egress-headroom","severity":"ok"}],
				 "findings":[{"check":"x","message":"m1"},{"check":"x","message":"m2"}]},
				{"id":"rollout/all","kind":"rollout","severity":"ok","checks":[{"check":"connection-budget","severity":"ok"}],"findings":[]}
			]}`, success, sev, budget))
	}
	d := Compare(mk("ok", "ok", 0.99), mk("warn", "warn", 0.95), DiffBase{Source: "b", Kind: "file"})
	s, ok := section(d, "scenarios")
	require.True(t, ok)
	require.Len(t, s.Rows, 1)
	assert.Equal(t, 1, s.Unchanged, "rollout/all unchanged")
	r := s.Rows[0]
	assert.Equal(t, "cold-start", r.Key)
	assert.Contains(t, r.Fields, FieldChange{Field: "successRate", Before: 0.99, After: 0.95, Changed: true}, "the simulation joins the cold-start row")
	assert.Contains(t, r.Fields, FieldChange{Field: "checks.connection-budget.severity", Before: "ok", After: "warn", Changed: true})
	for _, f := range r.Fields {
		assert.NotEqual(t, "checks.egress-headroom.severity", f.Field, "unchanged checks are not columns")
	}
	assert.True(t, d.ThresholdCrossed)
	var b strings.Builder
	require.NoError(t, DiffMarkdown(&b, "s", d, MarkdownOptions{}))
	assert.Contains(t, b.String(), "| connection-budget |")
	assert.Contains(t, b.String(), "✅ ok → ⚠️ warn")

	// Only a per-check verdict moved: still a threshold.
	d = Compare(mk("ok", "ok", 0.99), mk("ok", "warn", 0.99), DiffBase{Source: "b", Kind: "file"})
	assert.True(t, d.ThresholdCrossed)
}

// Violations of one policy on one resource in several scenarios match per
// scenario: the one whose scenario passes now is resolved, even when its
// figures and the others' moved.
func TestCompareViolationsPerScenario(t *testing.T) {
	v := func(msg string) string {
		return fmt.Sprintf(`{"policy":"connection-budget","level":"mandatory","resource":"urn:pulumi:s::p::t::db","message":%q}`, msg)
	}
	scen := `"scenarios":[{"id":"cold-start"},{"id":"rollout/all"}]`
	base := doc(t, `{"kind":"plan","verdict":"fail",`+scen+`,"violations":[`+v("cold-start: demand 380")+`,`+v("rollout/all: demand 750")+`]}`)
	head := doc(t, `{"kind":"plan","verdict":"fail",`+scen+`,"violations":[`+v("rollout/all: demand 700")+`]}`)
	d := Compare(base, head, DiffBase{Source: "b", Kind: "file"})
	require.Len(t, d.Violations.Resolved, 1)
	assert.Equal(t, "cold-start: demand 380", d.Violations.Resolved[0].Message)
	assert.Empty(t, d.Violations.Added)
	assert.Equal(t, 1, d.Violations.Unchanged)
}
