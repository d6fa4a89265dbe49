package tests

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/graph"
)

var appStack = filepath.Join("testdata", "app", "Pulumi.app.yaml")

// TestAppInventory: the mock run of a stack whose workload carries env, two
// secrets, internal-and-cloud-load-balancing ingress and a group invoker
// declares the secret references, one accessor binding per secret to the
// workload's own service account, and the invoker binding.
func TestAppInventory(t *testing.T) {
	_, g := record(t, appStack)
	svc, ok := g.Find("gcp:cloudrunv2/service:Service", "netra-backend-us-central1")
	require.True(t, ok)
	assert.Equal(t, "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER", in(svc, "ingress"))
	assert.Equal(t, "team", func() string {
		for k := range in(svc, "labels").(map[string]any) {
			if k == "team" {
				return k
			}
		}
		return ""
	}())
	assert.Equal(t, "120s", in(svc, "template", "timeout"))
	assert.Equal(t, "EXECUTION_ENVIRONMENT_GEN2", in(svc, "template", "executionEnvironment"))
	c := list(in(svc, "template", "containers"))[0]
	assert.Equal(t, []any{"gunicorn"}, c["commands"])
	assert.Equal(t, false, dig(c, "resources", "cpuIdle"), "cpuAllocation: always")
	assert.Equal(t, "/healthz/live", dig(c, "livenessProbe", "httpGet", "path"))
	env := map[string]map[string]any{}
	for _, e := range list(c["envs"]) {
		env[e["name"].(string)] = e
	}
	assert.Equal(t, "info", env["LOG_LEVEL"]["value"])
	assert.Equal(t, "2", env["DB_PROCESSES"]["value"])
	assert.Equal(t, map[string]any{"secret": "stripe-api-key", "version": "3"}, dig(env["STRIPE_API_KEY"], "valueSource", "secretKeyRef"))
	assert.Equal(t, map[string]any{"secret": "sentry-dsn", "version": "latest"}, dig(env["SENTRY_DSN"], "valueSource", "secretKeyRef"))
	assert.Nil(t, env["SENTRY_DSN"]["value"], "a secret is referenced, never copied")

	sa, ok := g.Find("gcp:serviceaccount/account:Account", "netra-backend-sa")
	require.True(t, ok)
	member := out(sa, "member")
	require.NotEmpty(t, member)
	var secrets []string
	for _, r := range g.ByType("gcp:secretmanager/secretIamMember:SecretIamMember") {
		assert.Equal(t, contract.RoleSecretAccessor, in(r, "role"))
		assert.Equal(t, member, in(r, "member"), "granted to the workload's own service account only")
		secrets = append(secrets, in(r, "secretId").(string))
	}
	sort.Strings(secrets)
	assert.Equal(t, []string{"sentry-dsn", "stripe-api-key"}, secrets)
	assertDependsOnAll(t, g, svc, "gcp:secretmanager/secretIamMember:SecretIamMember")

	inv := g.ByType("gcp:cloudrunv2/serviceIamMember:ServiceIamMember")
	require.Len(t, inv, 1)
	assert.Equal(t, contract.RoleRunInvoker, in(inv[0], "role"))
	assert.Equal(t, "group:frontend@example.com", in(inv[0], "member"))
	assert.Equal(t, "netra-backend-us-central1", in(inv[0], "name"))
	assert.Equal(t, "us-central1", in(inv[0], "location"))

	var roles []string
	for _, r := range g.ByType("gcp:projects/iAMMember:IAMMember") {
		if in(r, "member") == member {
			roles = append(roles, in(r, "role").(string))
		}
	}
	assert.Contains(t, roles, "roles/cloudtrace.agent", "serviceAccountRoles")

	// The other workload keeps staging's default ingress (all) and request CPU.
	other, ok := g.Find("gcp:cloudrunv2/service:Service", "auth-service-us-central1")
	require.True(t, ok)
	assert.Equal(t, "INGRESS_TRAFFIC_ALL", in(other, "ingress"))
	assert.Equal(t, true, dig(list(in(other, "template", "containers"))[0], "resources", "cpuIdle"))
}

func assertDependsOnAll(t *testing.T, g *graph.Graph, r graph.Resource, typ string) {
	t.Helper()
	deps := map[string]bool{}
	for _, d := range r.Dependencies {
		deps[d] = true
	}
	for _, x := range g.ByType(typ) {
		assert.True(t, deps[x.URN], "%s waits for %s: a revision whose identity cannot read its secrets does not start", r.Name, x.Name)
	}
}

// TestSecretConfigStaysSecret: when headroom:workloads is set with
// `pulumi config set --secret`, the values the program derives from it
// (env values, command, args) are Pulumi secrets in the resource graph.
func TestSecretConfigStaysSecret(t *testing.T) {
	f, err := config.LoadFile(appStack)
	require.NoError(t, err)
	key := config.Namespace + ":workloads"
	run := func(secret ...string) graph.Resource {
		g, err := graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: f.Stack.Name, Config: f.Values, ConfigSecretKeys: secret}, infra.Program)
		require.NoError(t, err)
		svc, ok := g.Find("gcp:cloudrunv2/service:Service", "netra-backend-us-central1")
		require.True(t, ok)
		return svc
	}
	plain := graph.Plain(run().Inputs)
	c := list(dig(plain, "template", "containers"))[0]
	assert.Contains(t, c["envs"].([]any), map[string]any{"name": "LOG_LEVEL", "value": "info"})

	secret := graph.Plain(run(key).Inputs)
	c = list(dig(secret, "template", "containers"))[0]
	assert.Contains(t, c["envs"].([]any), map[string]any{"name": "LOG_LEVEL", "value": graph.SecretPlaceholder})
	assert.Equal(t, graph.SecretPlaceholder, c["args"])
	assert.Equal(t, graph.SecretPlaceholder, c["commands"])
}
