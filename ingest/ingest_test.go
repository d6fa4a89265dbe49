package ingest_test

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/graph"
	"github.com/headroom-dev/headroom/ingest"
	"github.com/headroom-dev/headroom/policies/pack"
)

// mockGraph runs our program under Pulumi's mocks for a stack file.
func mockGraph(t testing.TB, path, stack string) *graph.Graph {
	t.Helper()
	f, err := config.LoadFile(path)
	require.NoError(t, err)
	g, err := graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: stack, Config: f.Values, DryRun: true}, infra.Program)
	require.NoError(t, err)
	return g
}

// previewOf renders a graph the way `pulumi preview --json` writes a
// brand-new stack: one create step per resource, its inputs in newState.
func previewOf(t testing.TB, g *graph.Graph) []byte {
	t.Helper()
	cp, err := g.Checkpoint()
	require.NoError(t, err)
	var doc struct {
		Deployment struct {
			Resources []map[string]any `json:"resources"`
		} `json:"deployment"`
	}
	require.NoError(t, json.Unmarshal(cp, &doc))
	steps := []map[string]any{}
	for _, r := range doc.Deployment.Resources {
		steps = append(steps, map[string]any{"op": "create", "urn": r["urn"], "provider": r["provider"], "newState": r})
	}
	b, err := json.Marshal(map[string]any{"steps": steps, "changeSummary": map[string]int{"create": len(steps)}})
	require.NoError(t, err)
	return b
}

// verdictSet is the violations as "policy level resource" strings.
func verdictSet(vs []pack.Violation) []string {
	set := map[string]bool{}
	for _, v := range vs {
		set[v.Policy+" "+v.Level+" "+pack.ShortURN(v.Resource)] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func evaluate(t testing.TB, rs []policyx.AnalyzerResource, cfg pack.Config) pack.Result {
	t.Helper()
	res, err := pack.Evaluate(rs, cfg)
	require.NoError(t, err)
	return res
}

// A state export of our program (the checkpoint writer's output, the format
// `pulumi stack import` takes) judged through ingest gives exactly the
// verdicts of the same graph handed to the pack directly; so does a
// preview rendered from it. Incident is refused, staging passes.
func TestIngestAgreesWithTheGraph(t *testing.T) {
	root := filepath.Join("..")
	cases := []struct {
		stack, file string
		refused     bool
	}{
		{"staging", filepath.Join(root, "stacks", "Pulumi.staging.yaml"), false},
		{"incident", filepath.Join(root, "tests", "testdata", "incident", "Pulumi.incident.yaml"), true},
	}
	for _, tc := range cases {
		t.Run(tc.stack, func(t *testing.T) {
			g := mockGraph(t, tc.file, tc.stack)
			cfg := pack.Config{Environment: "staging"}

			cp, err := g.Checkpoint()
			require.NoError(t, err)
			st, err := ingest.ParseState("state.json", cp)
			require.NoError(t, err)
			assert.Equal(t, ingest.KindState, st.Kind)
			assert.Equal(t, tc.stack, st.Name)
			assert.Equal(t, infra.ProjectName, st.Project)
			want := evaluate(t, g.AnalyzerResources(), cfg)
			got := evaluate(t, st.Resources, cfg)
			assert.Equal(t, verdictSet(want.Violations), verdictSet(got.Violations))
			assert.Equal(t, tc.refused, len(got.Mandatory()) > 0)
			assert.Equal(t, want.Topology, got.Topology)

			pv, err := ingest.ParsePreview("preview.json", previewOf(t, g))
			require.NoError(t, err)
			assert.Equal(t, ingest.KindPreview, pv.Kind)
			gotPv := evaluate(t, pv.Resources, cfg)
			assert.Equal(t, verdictSet(want.Violations), verdictSet(gotPv.Violations))
			// Every custom resource and component of the graph is there
			// (the checkpoint adds the default providers).
			for typ, n := range g.Counts() {
				assert.Equal(t, n, pv.Counts()[typ], typ)
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	doc := `{"steps":[
	 {"op":"create","urn":"urn:pulumi:s::p::pulumi:pulumi:Stack::p-s","newState":{"urn":"urn:pulumi:s::p::pulumi:pulumi:Stack::p-s","type":"pulumi:pulumi:Stack","outputs":{"dbHost":"10.0.0.3"}}},
	 {"op":"create","urn":"urn:pulumi:s::p::gcp:sql/databaseInstance:DatabaseInstance::db","newState":{
	   "urn":"urn:pulumi:s::p::gcp:sql/databaseInstance:DatabaseInstance::db","custom":true,"type":"gcp:sql/databaseInstance:DatabaseInstance",
	   "parent":"urn:pulumi:s::p::pulumi:pulumi:Stack::p-s",
	   "provider":"urn:pulumi:s::p::pulumi:providers:gcp::default_7_38_0::abc",
	   "dependencies":["urn:pulumi:s::p::gcp:compute/network:Network::net"],
	   "propertyDependencies":{"network":["urn:pulumi:s::p::gcp:compute/network:Network::net"]},
	   "inputs":{
	     "name":"db","ip":"04da6b54-80e4-46f7-96ec-b56ff0331ba9","n":42,"big":1e3,"b":true,"nil":null,
	     "pw":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"v1:abc"},
	     "shown":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","plaintext":"\"hunter2\""},
	     "ref":{"4dabf18193072939515e22adb298388d":"5cf8f73096256a8f31e491e813e4eb8e","urn":"urn:pulumi:s::p::gcp:compute/network:Network::net","id":"n-1"},
	     "nested":{"list":[1,"04da6b54-80e4-46f7-96ec-b56ff0331ba9",{"k":"v"}]}
	   }}},
	 {"op":"delete","urn":"urn:pulumi:s::p::gcp:sql/user:User::old","oldState":{"urn":"urn:pulumi:s::p::gcp:sql/user:User::old","type":"gcp:sql/user:User"}}
	]}`
	s, err := ingest.Parse("p.json", []byte(doc))
	require.NoError(t, err)
	require.Len(t, s.Resources, 2, "the deleted resource is not judged")
	assert.Equal(t, "p", s.Project)
	assert.Equal(t, "s", s.Name)
	assert.Equal(t, "10.0.0.3", s.Outputs.Get("dbHost").AsString())
	db := s.Resources[1]
	assert.Equal(t, "db", db.Name)
	assert.Equal(t, "urn:pulumi:s::p::pulumi:providers:gcp::default_7_38_0", db.Provider.URN)
	assert.Equal(t, "default_7_38_0", db.Provider.Name)
	assert.Equal(t, "pulumi:providers:gcp", db.Provider.Type)
	assert.Equal(t, []string{"urn:pulumi:s::p::gcp:compute/network:Network::net"}, db.Dependencies)
	assert.Equal(t, []string{"urn:pulumi:s::p::gcp:compute/network:Network::net"}, db.PropertyDependencies["network"])
	p := db.Properties
	assert.True(t, p.Get("ip").IsComputed())
	assert.Equal(t, 42.0, p.Get("n").AsNumber())
	assert.Equal(t, 1000.0, p.Get("big").AsNumber())
	assert.True(t, p.Get("b").AsBool())
	assert.True(t, p.Get("nil").IsNull())
	assert.True(t, p.Get("pw").Secret())
	assert.Equal(t, ingest.RedactedSecret, p.Get("pw").AsString(), "ciphertext is never decrypted")
	assert.True(t, p.Get("shown").Secret())
	assert.Equal(t, "hunter2", p.Get("shown").AsString())
	assert.Equal(t, "n-1", p.Get("ref").AsResourceReference().ID.AsString())
	list := p.Get("nested").AsMap().Get("list").AsArray()
	assert.True(t, list.Get(1).IsComputed())
	assert.Equal(t, "v", list.Get(2).AsMap().Get("k").AsString())
}

// A replacement's several steps give one resource, with the newest state.
func TestPreviewReplacementIsOneResource(t *testing.T) {
	u := "urn:pulumi:s::p::gcp:sql/databaseInstance:DatabaseInstance::db"
	step := func(op, tier string) map[string]any {
		return map[string]any{"op": op, "urn": u, "newState": map[string]any{"urn": u, "type": "gcp:sql/databaseInstance:DatabaseInstance",
			"custom": true, "inputs": map[string]any{"settings": map[string]any{"tier": tier}}}}
	}
	b, err := json.Marshal(map[string]any{"steps": []any{step("create-replacement", "db-custom-2-7680"), step("replace", "db-custom-4-16384"),
		map[string]any{"op": "delete-replaced", "urn": u, "oldState": map[string]any{"urn": u}}}})
	require.NoError(t, err)
	s, err := ingest.ParsePreview("r.json", b)
	require.NoError(t, err)
	require.Len(t, s.Resources, 1)
	assert.Equal(t, "db-custom-4-16384", s.Resources[0].Properties.Get("settings").AsMap().Get("tier").AsString())
}

// TestPreviewWithoutSames: a preview of an existing stack captured by the
// real engine without --show-sames lists only what changes (here: nothing
// but the stack); it is refused as input, naming the flag, rather than
// judged as a stack without its database.
func TestPreviewWithoutSames(t *testing.T) {
	_, err := ingest.Load(filepath.Join("testdata", "captured", "prisma-go-no-sames.preview.json"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "leaves out 6 unchanged resource(s)")
	assert.Contains(t, err.Error(), "--show-sames")
}

func TestBadInputIsOneLineNamingTheFile(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)
	cases := []struct{ name, data, want string }{
		{"not json", `steps:`, "not JSON"},
		{"empty object", `{}`, "neither a preview"},
		{"array", `[]`, "not JSON"},
		{"state v2", `{"version":2,"deployment":{}}`, "version 2: expected `pulumi stack export` version 3"},
		{"state null", `{"version":3,"deployment":null}`, "no \"deployment\""},
		{"state resources not a list", `{"version":3,"deployment":{"resources":{}}}`, "expected a `pulumi stack export` deployment"},
		{"bad urn", `{"version":3,"deployment":{"resources":[{"urn":"db","type":"x"}]}}`, "not a valid URN"},
		{"no urn", `{"version":3,"deployment":{"resources":[{"type":"x"}]}}`, "without \"urn\""},
		{"steps not a list", `{"steps":{}}`, "not the JSON of `pulumi preview --json`"},
		{"step without op", `{"steps":[{"urn":"urn:pulumi:s::p::a:b:C::x","newState":{"urn":"urn:pulumi:s::p::a:b:C::x"}}]}`, "no \"op\""},
		{"too deep", `{"version":3,"deployment":{"resources":[{"urn":"urn:pulumi:s::p::a:b:C::x","outputs":{"v":` + deep + `}}]}}`, "nested deeper"},
		{"unknown signature", `{"version":3,"deployment":{"resources":[{"urn":"urn:pulumi:s::p::a:b:C::x","outputs":{"v":{"4dabf18193072939515e22adb298388d":"zzz"}}}]}}`, "unknown signature"},
		{"two stacks", `{"version":3,"deployment":{"resources":[{"urn":"urn:pulumi:s::p::a:b:C::x"},{"urn":"urn:pulumi:t::p::a:b:C::y"}]}}`, "one file holds one stack"},
		{"sames left out", `{"steps":[{"op":"same","urn":"urn:pulumi:s::p::pulumi:pulumi:Stack::p-s","newState":{"urn":"urn:pulumi:s::p::pulumi:pulumi:Stack::p-s","type":"pulumi:pulumi:Stack"}}],"changeSummary":{"same":2}}`,
			"the preview leaves out 1 unchanged resource(s) (1 of 2 \"same\" steps listed): capture it with `pulumi preview --json --show-sames`"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ingest.Parse("in/x.json", []byte(tc.data))
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "in/x.json: "), err.Error())
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
	_, err := ingest.Load(filepath.Join(t.TempDir(), "missing.json"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing.json: no such file")
	_, err = ingest.LoadAs(filepath.Join("..", "stacks", "Pulumi.staging.yaml"), ingest.KindPreview)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not JSON")
}

func TestMerge(t *testing.T) {
	a := &ingest.Stack{Source: "a.json", Kind: ingest.KindState, Project: "p", Name: "platform",
		Resources: []policyx.AnalyzerResource{{URN: "urn:pulumi:platform::p::a:b:C::x", Properties: property.Map{}}}}
	b := &ingest.Stack{Source: "b.json", Kind: ingest.KindState, Project: "p", Name: "app",
		Resources: []policyx.AnalyzerResource{{URN: "urn:pulumi:app::p::a:b:C::y", Properties: property.Map{}}}}
	m, err := ingest.Merge(a, b)
	require.NoError(t, err)
	assert.Equal(t, "platform+app", m.Name)
	assert.Len(t, m.Resources, 2)
	_, err = ingest.Merge(a, a)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "same stack p/platform")
	_, err = ingest.Merge()
	require.Error(t, err)
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"steps":[]}`,
		`{"version":3,"deployment":{"resources":[]}}`,
		`{"steps":[{"op":"create","urn":"urn:pulumi:s::p::a:b:C::x","newState":{"urn":"urn:pulumi:s::p::a:b:C::x","inputs":{"a":[1,{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","plaintext":"1"}]}}}]}`,
		`{"version":3,"deployment":{"resources":[{"urn":"urn:pulumi:s::p::a:b:C::x","outputs":{"r":{"4dabf18193072939515e22adb298388d":"5cf8f73096256a8f31e491e813e4eb8e","urn":"x"}}}]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ingest.Parse("fuzz.json", data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		// Whatever parses, the pack must judge without panicking.
		_, _ = pack.Evaluate(s.Resources, pack.DefaultConfig())
	})
}

// splitStaging splits the staging checkpoint into a platform stack (the
// database and the network) and one app stack per workload, as an
// organisation lays them out, with the database's max_connections set to
// maxConns. Services bind to the database by its private IP (DB_HOST).
func splitStaging(t *testing.T, maxConns string) (platform, app1, app2 *ingest.Stack) {
	t.Helper()
	g := mockGraph(t, filepath.Join("..", "stacks", "Pulumi.staging.yaml"), "staging")
	cp, err := g.Checkpoint()
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(cp, &doc))
	dep := doc["deployment"].(map[string]any)
	parts := map[string][]any{}
	for _, r := range dep["resources"].([]any) {
		m := r.(map[string]any)
		u := m["urn"].(string)
		stack := "platform"
		switch {
		case strings.Contains(u, "netra-backend"):
			stack = "app-a"
		case strings.Contains(u, "auth-service"):
			stack = "app-b"
		}
		if m["type"] == "gcp:sql/databaseInstance:DatabaseInstance" && !strings.Contains(u, "replica") {
			settings := m["outputs"].(map[string]any)["settings"].(map[string]any)
			for _, f := range settings["databaseFlags"].([]any) {
				if fm := f.(map[string]any); fm["name"] == "max_connections" {
					fm["value"] = maxConns
				}
			}
		}
		if m["type"] == contract.TypeRootStack {
			// The whole staging stack's cross-stack export is none of the
			// split stacks' (it names organization/headroom/staging).
			if outs, ok := m["outputs"].(map[string]any); ok {
				delete(outs, contract.StackRefOutput)
			}
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		s := strings.ReplaceAll(string(b), "urn:pulumi:staging::", "urn:pulumi:"+stack+"::")
		var back any
		require.NoError(t, json.Unmarshal([]byte(s), &back))
		parts[stack] = append(parts[stack], back)
	}
	load := func(stack string) *ingest.Stack {
		d := map[string]any{}
		for k, v := range dep {
			d[k] = v
		}
		d["resources"] = parts[stack]
		b, err := json.Marshal(map[string]any{"version": 3, "deployment": d})
		require.NoError(t, err)
		s, err := ingest.ParseState(stack+".json", b)
		require.NoError(t, err)
		require.Equal(t, stack, s.Name)
		return s
	}
	return load("platform"), load("app-a"), load("app-b")
}

// The budget across stacks: one database in a platform stack, two app
// stacks. With max_connections 900 (allowed ⌊(900 − 5) × 0.8⌋ = 716), the
// first app alone fits (its rollout holds 2 × 300 + 10 = 610), the second
// app's arrival does not (rollout of both: 2 × 300 + 2 × 70 + 10 = 750), and
// 1000 connections carry both.
func TestBudgetAcrossStacks(t *testing.T) {
	budget := func(t *testing.T, stacks ...*ingest.Stack) (pack.Result, bool) {
		m, err := ingest.Merge(stacks...)
		require.NoError(t, err)
		res := evaluate(t, m.Resources, pack.Config{Environment: "staging"})
		refused := false
		for _, v := range res.Mandatory() {
			if v.Policy == pack.PolicyConnectionBudget {
				refused = true
			}
		}
		return res, refused
	}
	platform, a, b := splitStaging(t, "900")
	res, refused := budget(t, platform, a)
	assert.False(t, refused, "the first app fits: %v", res.Mandatory())
	require.Len(t, res.Topology.Workloads, 1)
	assert.Equal(t, res.Topology.Databases[0].Name, res.Topology.Workloads[0].Database, "the app binds to the platform's database")
	res, refused = budget(t, platform, a, b)
	assert.True(t, refused, "the second app's arrival exceeds the budget: %v", res.Violations)
	require.Len(t, res.Topology.Workloads, 2)

	platform, a, b = splitStaging(t, "1000")
	_, refused = budget(t, platform, a, b)
	assert.False(t, refused, "1000 connections carry both apps")
}
