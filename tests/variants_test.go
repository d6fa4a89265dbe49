package tests

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/graph"
	"github.com/headroom-dev/headroom/testkit/mockrun"
)

// runEdited loads a stack file, applies edits to its structured config
// values and runs the program.
func runEdited(t *testing.T, stack string, edits map[string]func(any) any) *graph.Graph {
	t.Helper()
	f, err := config.LoadFile(config.StackFile("..", stack))
	require.NoError(t, err)
	values := map[string]string{}
	for k, v := range f.Values {
		values[k] = v
	}
	for key, fn := range edits {
		var v any
		require.NoError(t, json.Unmarshal([]byte(values[key]), &v), key)
		b, err := json.Marshal(fn(v))
		require.NoError(t, err)
		values[key] = string(b)
	}
	g, err := graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: stack, Config: values}, infra.Program)
	require.NoError(t, err)
	return g
}

func TestDirectVPCEgress(t *testing.T) {
	g := runEdited(t, "staging", map[string]func(any) any{
		"headroom:network": func(v any) any {
			r := v.(map[string]any)["regions"].(map[string]any)["us-central1"].(map[string]any)
			r["egress"] = "direct"
			delete(r, "connector")
			r["direct"] = map[string]any{"subnet": "10.20.0.0/24"}
			return v
		},
	})
	assert.Empty(t, g.ByType(graph.TypeConnector), "no connector with Direct VPC egress")
	direct, ok := g.Find(graph.TypeSubnetwork, "staging-vpc-us-central1-direct")
	require.True(t, ok)
	assert.Equal(t, "10.20.0.0/24", in(direct, "ipCidrRange"))
	assert.Equal(t, "us-central1", in(direct, "region"))
	for _, s := range g.ByType(graph.TypeRunService) {
		assert.Equal(t, "PRIVATE_RANGES_ONLY", in(s, "template", "vpcAccess", "egress"))
		assert.Nil(t, in(s, "template", "vpcAccess", "connector"))
		assert.Equal(t, []map[string]any{{"network": "staging-vpc", "subnetwork": "staging-vpc-us-central1-direct"}},
			list(in(s, "template", "vpcAccess", "networkInterfaces")), s.Name)
	}
	assert.Empty(t, graph.Plain(g.Outputs)["connectorIds"])
}

func TestIgnoreImageChangesAndHTTPProbe(t *testing.T) {
	g := runEdited(t, "staging", map[string]func(any) any{
		"headroom:workloads": func(v any) any {
			w := v.([]any)[0].(map[string]any)
			w["ignoreImageChanges"] = true
			w["startupProbe"].(map[string]any)["path"] = "/healthz"
			return v
		},
	})
	backend, ok := g.Find(graph.TypeRunService, "netra-backend-us-central1")
	require.True(t, ok)
	auth, ok := g.Find(graph.TypeRunService, "auth-service-us-central1")
	require.True(t, ok)
	assert.Equal(t, []string{"template.containers[0].image"}, backend.IgnoreChanges)
	assert.Empty(t, auth.IgnoreChanges)
	probe := list(in(backend, "template", "containers"))[0]["startupProbe"]
	assert.Equal(t, "/healthz", dig(probe, "httpGet", "path"))
	assert.Nil(t, dig(probe, "tcpSocket"))
	assert.Equal(t, "/healthz/db", dig(list(in(auth, "template", "containers"))[0]["startupProbe"], "httpGet", "path"))
	// Without a path the probe is TCP.
	g = runEdited(t, "staging", map[string]func(any) any{
		"headroom:workloads": func(v any) any {
			delete(v.([]any)[1].(map[string]any)["startupProbe"].(map[string]any), "path")
			return v
		},
	})
	auth, ok = g.Find(graph.TypeRunService, "auth-service-us-central1")
	require.True(t, ok)
	assert.NotNil(t, dig(list(in(auth, "template", "containers"))[0]["startupProbe"], "tcpSocket"))
}

func TestReplicaTarget(t *testing.T) {
	g := runEdited(t, "production", map[string]func(any) any{
		"headroom:workloads": func(v any) any {
			v.([]any)[1].(map[string]any)["db"].(map[string]any)["target"] = "prod-postgres-use1"
			return v
		},
	})
	replica, ok := g.Find(graph.TypeSQLInstance, "prod-postgres-use1")
	require.True(t, ok)
	for _, region := range []string{"us-central1", "us-east1"} {
		s, ok := g.Find(graph.TypeRunService, "auth-service-"+region)
		require.True(t, ok)
		env := map[string]any{}
		for _, e := range list(list(in(s, "template", "containers"))[0]["envs"]) {
			env[e["name"].(string)] = e["value"]
		}
		assert.Equal(t, out(replica, "privateIpAddress"), env["DB_HOST"])
		assert.Equal(t, "netra-production:us-east1:prod-postgres-use1", env["DB_INSTANCE"])
		assert.Contains(t, s.PropertyDependencies["template"], replica.URN)
	}
}

func TestRecordConcurrentIsDeterministic(t *testing.T) {
	first := map[string][]string{}
	for _, sc := range stackCases {
		_, g := record(t, sc.path)
		first[sc.name] = urnsOf(g)
	}
	t.Run("parallel", func(t *testing.T) {
		for i := 0; i < 4; i++ {
			for _, sc := range stackCases {
				t.Run(sc.name, func(t *testing.T) {
					t.Parallel()
					_, g := record(t, sc.path)
					assert.Equal(t, first[sc.name], urnsOf(g))
				})
			}
		}
	})
}

func urnsOf(g *graph.Graph) []string {
	out := make([]string, len(g.Resources))
	for i, r := range g.Resources {
		out[i] = r.URN
	}
	return out
}

func BenchmarkRecord(b *testing.B) {
	for _, sc := range stackCases {
		f, err := config.LoadFile(sc.path)
		require.NoError(b, err)
		b.Run(sc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := mockrun.Record(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPreviewOfNewStack runs the program as a first `pulumi preview` sees
// it: nothing exists, so outputs are unknown. DB_INSTANCE must still name
// the target (the policy pack resolves targets by it); DB_HOST and the
// connector id are unknown.
func TestPreviewOfNewStack(t *testing.T) {
	f, err := config.LoadFile(config.StackFile("..", "production"))
	require.NoError(t, err)
	full, err := mockrun.Record(f)
	require.NoError(t, err)
	g, err := graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: "production", Config: f.Values,
		DryRun: true, PreviewUnknowns: true}, infra.Program)
	require.NoError(t, err)
	assert.Equal(t, full.Counts(), g.Counts(), "same resources as the full run")
	for _, s := range g.ByType(graph.TypeRunService) {
		env := map[string]any{}
		for _, e := range list(list(in(s, "template", "containers"))[0]["envs"]) {
			env[e["name"].(string)] = e["value"]
		}
		assert.Equal(t, "netra-production:us-central1:prod-postgres", env["DB_INSTANCE"], s.Name)
		assert.Equal(t, graph.UnknownPlaceholder, env["DB_HOST"], s.Name)
		assert.Equal(t, "45", env["DB_CONNECT_TIMEOUT_SECONDS"], s.Name)
		assert.Equal(t, graph.UnknownPlaceholder, in(s, "template", "vpcAccess", "connector"), s.Name)
		assert.Equal(t, "PRIVATE_RANGES_ONLY", in(s, "template", "vpcAccess", "egress"), s.Name)
		assert.Empty(t, s.ID)
	}
	for _, i := range g.ByType(graph.TypeSQLInstance) {
		assert.Equal(t, graph.UnknownPlaceholder, in(i, "settings", "ipConfiguration", "privateNetwork"))
		assert.Equal(t, "ENCRYPTED_ONLY", in(i, "settings", "ipConfiguration", "sslMode"))
	}
	assert.Equal(t, 0, g.Outputs.Len(), "stack outputs are unknown in a first preview")
}
