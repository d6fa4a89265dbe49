package suggest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/ingest"
	"github.com/headroom-dev/headroom/plan"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
	"github.com/headroom-dev/headroom/suggest"
	"github.com/headroom-dev/headroom/testkit/golden"
)

// The fixtures under testdata/resources are `pulumi preview --json` of a
// Prisma service (orders-api, 10 instances, connection_limit=10 in
// DATABASE_URL, carrying pt.ForeignPassword) on a db-custom-1-3840 with
// max_connections 100: 76 allowed, and a rollout holds 2 × 10 × 10 + 10
// admin slack = 210. In prisma-secret the URL is a Secret Manager value.
const resDir = "testdata/resources"

func resConfig(t *testing.T) pack.Config {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(resDir, "policy-config.json"))
	require.NoError(t, err)
	pc, err := pack.ParseConfig(b)
	require.NoError(t, err)
	return pc
}

func resourcePlanner(pc pack.Config) suggest.ResourcePlanner {
	return func(_ context.Context, rs []policyx.AnalyzerResource) (suggest.Outcome, error) {
		o, err := plan.Resources("staging", rs, pc)
		return suggest.Outcome{Report: o.Report, Capacity: o.Capacity}, err
	}
}

// loadPreview reads a fixture, with edits (old => new) applied to its text.
func loadPreview(t *testing.T, name string, edits ...string) *ingest.Stack {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(resDir, name))
	require.NoError(t, err)
	for _, edit := range edits {
		from, to, _ := strings.Cut(edit, "=>")
		require.Contains(t, string(b), from)
		b = []byte(strings.Replace(string(b), from, to, 1))
	}
	st, err := ingest.Parse(name, b)
	require.NoError(t, err)
	return st
}

func searchPreview(t *testing.T, st *ingest.Stack) suggest.Result {
	t.Helper()
	r, err := suggest.SearchResources(context.Background(), resourcePlanner(resConfig(t)),
		suggest.ResourceStack{Name: st.Name, File: st.Source, Resources: st.Resources}, suggest.Options{})
	require.NoError(t, err)
	return r
}

// envValue is env var name of the first container of the service api.
func envValue(t *testing.T, rs []policyx.AnalyzerResource, name string) string {
	t.Helper()
	for _, r := range rs {
		if r.Type != pt.TypeRunService {
			continue
		}
		for _, e := range r.Properties.Get("template").AsMap().Get("containers").AsArray().Get(0).AsMap().Get("envs").AsArray().AsSlice() {
			if v := e.AsMap().Get("value"); e.AsMap().Get("name").AsString() == name && v.IsString() {
				return v.AsString()
			}
		}
	}
	return ""
}

func renderAll(t *testing.T, r suggest.Result) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, suggest.Text(&b, r))
	require.NoError(t, suggest.Markdown(&b, r))
	require.NoError(t, suggest.JSON(&b, r))
	return b.String()
}

func TestSearchResources(t *testing.T) {
	const url10 = "connection_limit=10"
	const prismaSetting = "env DATABASE_URL parameter connection_limit"
	tests := []struct {
		name, file string
		edits      []string
		pass       bool
		// setting is the pool setting a fix edits ("" when none may), poolTo
		// the value it sets, poolFrom what it shows as the old value.
		setting, poolFrom, poolTo string
		advice                    string // a substring of the advice
		also                      string // another change of the pool fix, "setting from → to"
	}{
		{name: "prisma connection_limit", file: "prisma.preview.json", setting: prismaSetting, poolFrom: "10", poolTo: "3"},
		// Prisma's default on 4 vCPU: 2 × 4 + 1 = 9 per instance.
		{name: "prisma default (no connection_limit)", file: "prisma.preview.json",
			edits:   []string{"&" + url10 + "=>", `"ports": [=>"resources": {"limits": {"cpu": "4"}}, "ports": [`},
			setting: prismaSetting, poolFrom: "(unset)", poolTo: "3"},
		{name: "hikari env", file: "prisma.preview.json", edits: []string{
			`"name": "NODE_ENV",=>"name": "SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE",`, `"value": "production"=>"value": "10"`,
			"postgresql://app:" + pt.ForeignPassword + "@10.0.0.3:5432/orders?schema=public&connection_limit=10&pool_timeout=20=>jdbc:postgresql://10.0.0.3:5432/orders?password=" + pt.ForeignPassword},
			setting: "env " + contract.EnvHikariMaxPoolSize, poolFrom: "10", poolTo: "3"},
		{name: "headroom env contract", file: "prisma.preview.json", edits: []string{
			`"name": "NODE_ENV",=>"name": "DB_POOL_SIZE",`, `"value": "production"=>"value": "10"`,
			`"name": "DATABASE_URL",=>"name": "DB_HOST",`, "postgresql://app:" + pt.ForeignPassword + "@10.0.0.3:5432/orders?schema=public&connection_limit=10&pool_timeout=20=>10.0.0.3",
			`"envs": [=>"envs": [{"name": "DB_MAX_OVERFLOW", "value": "0"}, {"name": "DB_STARTUP_CONNECTIONS", "value": "10"}, {"name": "DB_CONNECT_TIMEOUT_SECONDS", "value": "10"},`},
			setting: "env " + contract.EnvDBPoolSize, poolFrom: "10", poolTo: "3",
			also: "env DB_STARTUP_CONNECTIONS 10 → 3"},
		{name: "prisma fits", file: "prisma.preview.json", edits: []string{url10 + "=>connection_limit=3"}, pass: true},
		// SQLAlchemy's default (5 + overflow 10) per gunicorn worker is set
		// in code: advice only, never an env var the application may not read.
		{name: "sqlalchemy default", file: "prisma.preview.json", edits: []string{
			`"name": "NODE_ENV",=>"name": "GUNICORN_CMD_ARGS",`, `"value": "production"=>"value": "--workers 2"`,
			"postgresql://app:" + pt.ForeignPassword + "@10.0.0.3:5432/orders?schema=public&connection_limit=10&pool_timeout=20=>postgresql+psycopg2://app:" + pt.ForeignPassword + "@10.0.0.3:5432/orders"},
			advice: "its pool is set in code (SQLAlchemy); lowering it alone does not make the stack pass"},
		{name: "secret URL", file: "prisma-secret.preview.json",
			advice: "to 3 connections per process where it is set: env DATABASE_URL (from Secret Manager secret orders-db-url)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := loadPreview(t, tt.file, tt.edits...)
			orig := envValue(t, st.Resources, "DATABASE_URL")
			r := searchPreview(t, st)
			assert.Equal(t, orig, envValue(t, st.Resources, "DATABASE_URL"), "the plan's resources are left as they were")
			assert.Equal(t, suggest.KindResources, r.Kind)
			assert.NotContains(t, renderAll(t, r), pt.ForeignPassword, "no output carries the credential")
			if tt.pass {
				assert.Equal(t, "pass", r.Verdict)
				assert.Empty(t, r.Suggestions)
				return
			}
			require.Equal(t, "fail", r.Verdict)
			require.NotEmpty(t, r.Suggestions, "%v", r.Violations)
			assert.Contains(t, r.Violations, pack.PolicyConnectionBudget)
			var sawPool bool
			var changes []string
			for _, s := range r.Suggestions {
				// Each fix, applied to the resources, passes the pack.
				res, err := pack.Evaluate(s.NewResources(), resConfig(t))
				require.NoError(t, err)
				assert.Empty(t, res.Mandatory(), "fix %q", s.Summary)
				require.NotEmpty(t, s.ResourceChanges)
				assert.Empty(t, s.Diff)
				for _, c := range s.ResourceChanges {
					changes = append(changes, c.Setting+" "+c.From+" → "+c.To)
					assert.NotEmpty(t, c.URN)
					if c.Setting != tt.setting {
						continue
					}
					sawPool = true
					assert.Equal(t, tt.poolFrom, c.From)
					assert.Equal(t, tt.poolTo, c.To)
					if c.Setting != prismaSetting {
						continue
					}
					// The rewrite keeps every other byte of the URL.
					before, after := envValue(t, st.Resources, "DATABASE_URL"), envValue(t, s.NewResources(), "DATABASE_URL")
					want, ok := contract.SetDSNParam(before, contract.ParamPrismaLimit, c.To)
					require.True(t, ok)
					assert.Equal(t, want, after)
					assert.Contains(t, after, pt.ForeignPassword+"@10.0.0.3:5432/orders?schema=public")
				}
			}
			assert.Equal(t, tt.setting != "", sawPool, "a fix edits the pool setting %q", tt.setting)
			if tt.also != "" {
				assert.Contains(t, changes, tt.also)
			}
			if tt.advice != "" {
				var all []string
				for _, a := range r.Advice {
					assert.False(t, a.Verified)
					all = append(all, a.What)
				}
				assert.Contains(t, strings.Join(all, "\n"), tt.advice)
			}
		})
	}
}

// The cheapest fix keeps the request capacity: the flag raise comes first,
// the pool and instance cuts (which give some up) after it; the pool found
// is the largest that passes (one more does not).
func TestSearchResourcesRanking(t *testing.T) {
	st := loadPreview(t, "prisma.preview.json")
	r := searchPreview(t, st)
	require.GreaterOrEqual(t, len(r.Suggestions), 3)
	best := r.Suggestions[0]
	assert.Empty(t, best.GivesUp)
	require.Len(t, best.ResourceChanges, 1)
	assert.Equal(t, "settings.databaseFlags[max_connections]", best.ResourceChanges[0].Property)
	assert.Equal(t, "100", best.ResourceChanges[0].From)
	for i, s := range r.Suggestions {
		assert.Equal(t, i+1, s.Rank)
		if i > 0 {
			assert.NotEmpty(t, s.GivesUp, "after the raise, fixes that give capacity up: %s", s.Summary)
		}
	}
	// Boundary: connection_limit 3 passes (2 × 10 × 3 + 10 = 70 ≤ 76), 4 does not (90).
	for limit, pass := range map[string]bool{"3": true, "4": false} {
		got := searchPreview(t, loadPreview(t, "prisma.preview.json", "connection_limit=10=>connection_limit="+limit))
		assert.Equal(t, pass, got.Verdict == "pass", "connection_limit=%s", limit)
	}
}

var secondsRE = regexp.MustCompile(`"seconds": [0-9.e+-]+`)

// The JSON of the Prisma fixture against a golden, compared as a subset
// (new fields may be added); `go test ./suggest -update` rewrites it.
func TestSearchResourcesGolden(t *testing.T) {
	r := searchPreview(t, loadPreview(t, "prisma.preview.json"))
	r.File = "prisma.preview.json"
	var b bytes.Buffer
	require.NoError(t, suggest.JSON(&b, r))
	got := secondsRE.ReplaceAllString(b.String(), `"seconds": 0`)
	path := filepath.Join(resDir, "prisma.suggest.golden.json")
	if golden.Update() {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	wantB, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./suggest -update")
	var want, have any
	require.NoError(t, json.Unmarshal(wantB, &want))
	require.NoError(t, json.Unmarshal([]byte(got), &have))
	assert.Empty(t, subsetDiffs("$", want, have))
}

// subsetDiffs lists where got lacks or differs from what want holds.
func subsetDiffs(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path + ": want an object"}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			if _, ok := g[k]; !ok {
				out = append(out, path+"."+k+": missing")
				continue
			}
			out = append(out, subsetDiffs(path+"."+k, w[k], g[k])...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want %d elements, got %v", path, len(w), got)}
		}
		var out []string
		for i := range w {
			out = append(out, subsetDiffs(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return []string{fmt.Sprintf("%s: want %v, got %v", path, want, got)}
	}
	return nil
}
