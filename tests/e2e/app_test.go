package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/testkit/enginetest"
)

// previewStep is one step of `pulumi preview --json`.
type previewStep struct {
	Op       string `json:"op"`
	URN      string `json:"urn"`
	NewState struct {
		Type                 string              `json:"type"`
		Inputs               map[string]any      `json:"inputs"`
		PropertyDependencies map[string][]string `json:"propertyDependencies"`
	} `json:"newState"`
}

// TestAppSettingsUnderEngine: the real engine previews a stack whose
// workload carries env, two secrets, internal-and-cloud-load-balancing
// ingress and a group invoker, with the stand-in provider checking the new
// resource types; the preview holds the secret references, the accessor
// bindings (to the workload's own service account) and the invoker
// binding. A bad application setting stops `headroom up` with exit 2
// before anything is applied. After `pulumi up`, the accessor bindings
// name the workload's service account, and a change of an env value made
// outside Pulumi is reported as drift.
func TestAppSettingsUnderEngine(t *testing.T) {
	e := enginetest.Require(t)
	packBin := e.PolicyPack(t)
	sb := e.NewSandbox(t, map[string]string{"app": filepath.Join(e.Root, "tests", "testdata", "app", "Pulumi.app.yaml")})

	r := sb.Pulumi(t, "preview", "--stack", "app", "--non-interactive", "--json")
	require.Zero(t, r.Code, r.Out)
	t.Logf("pulumi preview: %v", r.Elapsed)
	var pv struct {
		Steps []previewStep `json:"steps"`
	}
	i := strings.Index(r.Stdout, "{")
	require.GreaterOrEqual(t, i, 0, r.Out)
	require.NoError(t, json.Unmarshal([]byte(r.Stdout[i:]), &pv), r.Out)
	byType := map[string][]previewStep{}
	saURN := ""
	for _, s := range pv.Steps {
		assert.Equal(t, "create", s.Op, s.URN)
		byType[s.NewState.Type] = append(byType[s.NewState.Type], s)
		if s.NewState.Type == contract.TypeAccount && strings.HasSuffix(s.URN, "::netra-backend-sa") {
			saURN = s.URN
		}
	}
	require.NotEmpty(t, saURN, "netra-backend's service account is in the preview")

	// One accessor per secret, on that secret only, granted to the
	// workload's own service account (the member comes from it: it is
	// unknown until the account exists, so the engine's dependency says so).
	accessors := byType[contract.TypeSecretIAMMember]
	require.Len(t, accessors, 2, "one accessor binding per secret")
	var ids []any
	for _, a := range accessors {
		ids = append(ids, a.NewState.Inputs["secretId"])
		assert.Equal(t, "roles/secretmanager.secretAccessor", a.NewState.Inputs["role"])
		assert.Equal(t, []string{saURN}, a.NewState.PropertyDependencies["member"], "%s: member is netra-backend's own service account", a.URN)
	}
	assert.ElementsMatch(t, []any{"sentry-dsn", "stripe-api-key"}, ids)

	invokers := byType[contract.TypeRunIAMMember]
	require.Len(t, invokers, 1)
	in := invokers[0].NewState.Inputs
	assert.Equal(t, "group:frontend@example.com", in["member"])
	assert.Equal(t, "roles/run.invoker", in["role"])
	assert.Equal(t, "netra-backend-us-central1", in["name"])
	assert.Equal(t, "us-central1", in["location"])

	var svc map[string]any
	for _, s := range byType[contract.TypeRunService] {
		if s.NewState.Inputs["name"] == "netra-backend-us-central1" {
			svc = s.NewState.Inputs
		}
	}
	require.NotNil(t, svc, "netra-backend's service is in the preview")
	assert.Equal(t, "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER", svc["ingress"])
	env := containerEnv(t, svc)
	assert.Equal(t, map[string]any{"value": "info"}, env["LOG_LEVEL"])
	assert.Equal(t, map[string]any{"value": "https://payments.example.com/v1"}, env["UPSTREAM_URL"])
	assert.Equal(t, map[string]any{"valueSource": map[string]any{"secretKeyRef": map[string]any{"secret": "stripe-api-key", "version": "3"}}},
		env["STRIPE_API_KEY"], "a pinned version")
	assert.Equal(t, map[string]any{"valueSource": map[string]any{"secretKeyRef": map[string]any{"secret": "sentry-dsn", "version": "latest"}}},
		env["SENTRY_DSN"], "no version is latest")

	// Bad input: nothing is applied.
	stackFile := filepath.Join(sb.Dir, "stacks", "Pulumi.app.yaml")
	good, err := os.ReadFile(stackFile)
	require.NoError(t, err)
	edited := strings.Replace(string(good), "        LOG_LEVEL: info\n", "        LOG_LEVEL: info\n        DB_POOL_SIZE: \"50\"\n", 1)
	require.NotEqual(t, string(good), edited)
	require.NoError(t, os.WriteFile(stackFile, []byte(edited), 0o644))
	h := sb.Headroom(t, "up", "--stack", "app", "--root", sb.Dir, "--yes", "--policy-pack", packBin)
	assert.Equal(t, 2, h.Code, h.Out)
	assert.Contains(t, h.Out, "headroom:workloads[0].env.DB_POOL_SIZE")
	assert.Empty(t, sb.State(t).Resources, "nothing applied")
	require.NoError(t, os.WriteFile(stackFile, good, 0o644))

	// Applied: the accessor bindings carry the service account's member.
	up := sb.Pulumi(t, "up", "--yes", "--stack", "app", "--non-interactive")
	require.Zero(t, up.Code, up.Out)
	t.Logf("pulumi up: %v", up.Elapsed)
	saMember := output(t, sb, contract.TypeAccount, "netra-backend-sa", "member")
	assert.Equal(t, "serviceAccount:netra-backend-run@netra-staging.iam.gserviceaccount.com", saMember)
	st := sb.State(t)
	n := 0
	for _, rec := range st.Resources {
		if rec.Type != contract.TypeSecretIAMMember {
			continue
		}
		n++
		m, err := rec.Output("member")
		require.NoError(t, err)
		assert.Equal(t, saMember, m, rec.URN)
	}
	assert.Equal(t, 2, n)

	clean := sb.Headroom(t, "drift", "--stack", "app", "--root", sb.Dir, "--policy-pack", packBin, "--format", "json")
	require.Zero(t, clean.Code, "no drift right after up:\n%s", clean.Out)

	// Someone changes LOG_LEVEL in the console: drift, on the service.
	path := ""
	for k := 0; ; k++ {
		p := fmt.Sprintf("template.containers[0].envs[%d]", k)
		name, err := st.Find(contract.TypeRunService, "netra-backend-us-central1").Output(p + ".name")
		require.NoError(t, err)
		require.NotNil(t, name, "LOG_LEVEL is in the deployed service's env")
		if name == "LOG_LEVEL" {
			path = p + ".value"
			break
		}
	}
	drift(t, sb, contract.TypeRunService, "netra-backend-us-central1", path, "debug")
	d := sb.Headroom(t, "drift", "--stack", "app", "--root", sb.Dir, "--policy-pack", packBin, "--format", "json")
	require.Equal(t, 3, d.Code, d.Out)
	rep := decodeReport(t, d)
	require.NotNil(t, rep.Drift)
	assert.True(t, rep.Drift.Detected)
	var diffs []string
	for _, s := range rep.Drift.Refresh.Steps {
		if s.Name == "netra-backend-us-central1" {
			diffs = append(diffs, s.Diffs...)
		}
	}
	assert.Contains(t, strings.Join(diffs, " "), "template", "the refresh finds the service's env changed: %s", d.Out)
	ops := map[string]string{}
	for _, s := range rep.Drift.Preview.Steps {
		ops[s.Name] += s.Op + " "
	}
	assert.Contains(t, ops["netra-backend-us-central1"], "update", "the program sets LOG_LEVEL back in place: %v", ops)
	assert.NotContains(t, ops["netra-backend-us-central1"], "replace")
}

// containerEnv is the first container's env of a Cloud Run service's
// inputs: name → the entry without its name.
func containerEnv(t *testing.T, svc map[string]any) map[string]any {
	t.Helper()
	tmpl, _ := svc["template"].(map[string]any)
	cs, _ := tmpl["containers"].([]any)
	require.NotEmpty(t, cs, "the service has a container")
	c, _ := cs[0].(map[string]any)
	envs, _ := c["envs"].([]any)
	out := map[string]any{}
	for _, x := range envs {
		m, _ := x.(map[string]any)
		name, _ := m["name"].(string)
		rest := map[string]any{}
		for k, v := range m {
			if k != "name" {
				rest[k] = v
			}
		}
		out[name] = rest
	}
	return out
}
