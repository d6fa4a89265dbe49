package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/testkit/enginetest"
	"github.com/headroom-dev/headroom/testkit/standin/gcp"
)

// upReport is the part of headroom's JSON report these tests read.
type upReport struct {
	Verdict string `json:"verdict"`
	Preview *struct {
		Operation   string            `json:"operation"`
		Summary     map[string]int    `json:"summary"`
		PolicyPacks map[string]string `json:"policyPacks"`
		Steps       []struct {
			Op    string   `json:"op"`
			Type  string   `json:"type"`
			Name  string   `json:"name"`
			Diffs []string `json:"diffs"`
		} `json:"steps"`
	} `json:"preview"`
	Drift *struct {
		Detected bool         `json:"detected"`
		Refresh  driftChanges `json:"refresh"`
		Preview  driftChanges `json:"preview"`
	} `json:"drift"`
}

type driftChanges struct {
	Steps []struct {
		Op    string   `json:"op"`
		Type  string   `json:"type"`
		Name  string   `json:"name"`
		Diffs []string `json:"diffs"`
	} `json:"steps"`
}

func decodeReport(t *testing.T, r enginetest.Result) upReport {
	t.Helper()
	var rep upReport
	require.NoError(t, json.Unmarshal([]byte(r.Stdout), &rep), "headroom report (exit %d):\n%s", r.Code, r.Out)
	return rep
}

// TestHeadroomUpUnderEngine: `headroom up` through the Automation API —
// gate, preview with the pack saving an update plan, update pinned to
// that plan — applies staging and refuses the incident at the gate with
// nothing created.
func TestHeadroomUpUnderEngine(t *testing.T) {
	e := enginetest.Require(t)
	packBin := e.PolicyPack(t)

	t.Run("staging is applied, pinned to the saved plan", func(t *testing.T) {
		sb := e.NewSandbox(t, map[string]string{"staging": stackCases[0].path(e)})
		plan := filepath.Join(t.TempDir(), "update-plan.json")
		r := sb.Headroom(t, "up", "--stack", "staging", "--root", sb.Dir, "--yes",
			"--policy-pack", packBin, "--plan-file", plan, "--format", "json")
		t.Logf("headroom up --stack staging: %v (exit %d)", r.Elapsed, r.Code)
		require.Zero(t, r.Code, r.Out)
		rep := decodeReport(t, r)
		require.NotNil(t, rep.Preview)
		assert.Equal(t, "update", rep.Preview.Operation)
		assert.Contains(t, rep.Preview.PolicyPacks, "headroom")
		b, err := os.ReadFile(plan)
		require.NoError(t, err, "--plan-file keeps the plan the update was pinned to")
		assert.Contains(t, string(b), "gcp:sql/databaseInstance:DatabaseInstance")
		st := sb.State(t)
		inst := st.Find(gcp.TypeSQLInstance, "staging-shared-postgres")
		require.NotNil(t, inst, "the update created the Cloud SQL instance")
		cn, err := inst.Output("connectionName")
		require.NoError(t, err)
		assert.Equal(t, "netra-staging:us-central1:staging-shared-postgres", cn)

		// A second run has nothing to change and stays gated.
		r = sb.Headroom(t, "up", "--stack", "staging", "--root", sb.Dir, "--yes", "--policy-pack", packBin, "--format", "json")
		require.Zero(t, r.Code, r.Out)
		rep = decodeReport(t, r)
		require.NotNil(t, rep.Preview)
		for op, n := range rep.Preview.Summary {
			if op != "same" {
				assert.Zero(t, n, "second up: %s", op)
			}
		}
	})

	t.Run("incident is refused by the gate; nothing is created", func(t *testing.T) {
		sb := e.NewSandbox(t, map[string]string{"incident": stackCases[2].path(e)})
		r := sb.Headroom(t, "up", "--stack", "incident", "--root", sb.Dir, "--yes", "--policy-pack", packBin, "--format", "json")
		assert.Equal(t, 1, r.Code, r.Out)
		rep := decodeReport(t, r)
		assert.Equal(t, "fail", rep.Verdict)
		require.NotNil(t, rep.Preview)
		assert.Empty(t, rep.Preview.Steps, "nothing was previewed")
		assert.Empty(t, sb.State(t).Resources)
	})
}

// TestStructuredAndSecretConfigUnderEngine: a value set with
// `pulumi config set --path` and one set with `--secret` reach the
// program intact under the engine (they end up in the resources the
// stand-in created).
func TestStructuredAndSecretConfigUnderEngine(t *testing.T) {
	e := enginetest.Require(t)
	sb := e.NewSandbox(t, map[string]string{"staging": stackCases[0].path(e)})
	const image = "us-docker.pkg.dev/netra-staging/private/backend@sha256:0123456789abcdef"
	r := sb.Pulumi(t, "config", "set", "--stack", "staging", "--path", "headroom:workloads[0].maxInstances", "17")
	require.Zero(t, r.Code, r.Out)
	r = sb.Pulumi(t, "config", "set", "--stack", "staging", "--secret", "--path", "headroom:workloads[0].image", image)
	require.Zero(t, r.Code, r.Out)
	file, err := os.ReadFile(filepath.Join(sb.Dir, "stacks", "Pulumi.staging.yaml"))
	require.NoError(t, err)
	assert.NotContains(t, string(file), image, "the secret is stored encrypted")
	assert.Contains(t, string(file), "secure: ")

	up := pulumiWithLog(t, sb, "up", "--yes", "--stack", "staging")
	require.Zero(t, up.Code, up.Out)
	svc := sb.State(t).Find(gcp.TypeRunService, "netra-backend-us-central1")
	require.NotNil(t, svc)
	got, err := svc.Output("template.scaling.maxInstanceCount")
	require.NoError(t, err)
	assert.EqualValues(t, 17, got, "--path value reached the Cloud Run service")
	got, err = svc.Output("template.containers[0].image")
	require.NoError(t, err)
	assert.Equal(t, image, got, "--secret value reached the program decrypted")
	other := sb.State(t).Find(gcp.TypeRunService, "auth-service-us-central1")
	require.NotNil(t, other)
	got, err = other.Output("template.containers[0].image")
	require.NoError(t, err)
	assert.NotEqual(t, image, got, "only workloads[0] changed")

	// A bad structured value is one line naming the key, from the
	// program under the engine.
	r = sb.Pulumi(t, "config", "set", "--stack", "staging", "--path", "headroom:workloads[0].maxInstances", "--", "-3")
	require.Zero(t, r.Code, r.Out)
	r = sb.Pulumi(t, "preview", "--stack", "staging", "--non-interactive")
	assert.NotZero(t, r.Code)
	assert.Contains(t, r.Out, "headroom:workloads[0].maxInstances")
}

// TestDriftUnderEngine: after `pulumi up`, someone raises max_connections
// by hand, shrinks the connector and opens a public IP; `headroom drift`
// exits 3 and names the drifted properties.
func TestDriftUnderEngine(t *testing.T) {
	e := enginetest.Require(t)
	packBin := e.PolicyPack(t)
	sb := e.NewSandbox(t, map[string]string{"staging": stackCases[0].path(e)})
	cfg := policyConfig(t, sb, "staging")
	up := pulumiWithLog(t, sb, "up", "--yes", "--stack", "staging", "--policy-pack", packBin, "--policy-pack-config", cfg)
	require.Zero(t, up.Code, up.Out)

	clean := sb.Headroom(t, "drift", "--stack", "staging", "--root", sb.Dir, "--policy-pack", packBin, "--format", "json")
	require.Zero(t, clean.Code, "no drift right after up:\n%s", clean.Out)

	st := sb.State(t)
	inst := st.Find(gcp.TypeSQLInstance, "staging-shared-postgres")
	require.NotNil(t, inst)
	flag, err := inst.Output("settings.databaseFlags[0].name")
	require.NoError(t, err)
	require.Equal(t, "max_connections", flag)
	require.NoError(t, inst.SetOutput("settings.databaseFlags[0].value", "900"))
	require.NoError(t, inst.SetOutput("settings.ipConfiguration.ipv4Enabled", true))
	conn := st.Find(gcp.TypeConnector, "staging-connector")
	require.NotNil(t, conn)
	require.NoError(t, conn.SetOutput("maxInstances", 4))
	require.NoError(t, st.Save())

	r := sb.Headroom(t, "drift", "--stack", "staging", "--root", sb.Dir, "--policy-pack", packBin, "--format", "json")
	t.Logf("headroom drift: %v (exit %d)", r.Elapsed, r.Code)
	require.Equal(t, 3, r.Code, r.Out)
	rep := decodeReport(t, r)
	require.NotNil(t, rep.Drift)
	assert.True(t, rep.Drift.Detected)
	diffs := map[string][]string{}
	for _, s := range rep.Drift.Refresh.Steps {
		diffs[s.Name] = append(diffs[s.Name], s.Diffs...)
	}
	assert.Contains(t, strings.Join(diffs["staging-shared-postgres"], " "), "settings")
	assert.Contains(t, strings.Join(diffs["staging-connector"], " "), "maxInstances")
	// Putting the program's size back would replace the connector: any
	// size change of a connector forces replacement in pulumi-gcp 7.38.
	ops := map[string]string{}
	for _, s := range rep.Drift.Preview.Steps {
		ops[s.Name] += s.Op + " "
	}
	assert.Contains(t, ops["staging-connector"], "replace", "program vs refreshed state: %v", ops)
	assert.Contains(t, ops["staging-shared-postgres"], "update", "max_connections and the public IP are set back in place")
	assert.NotContains(t, ops["staging-shared-postgres"], "replace")
	text := sb.Headroom(t, "drift", "--stack", "staging", "--root", sb.Dir, "--policy-pack", packBin)
	assert.Equal(t, 3, text.Code)
	for _, want := range []string{"staging-shared-postgres", "staging-connector", "maxInstances"} {
		assert.Contains(t, text.Out, want)
	}
	t.Logf("headroom drift (text):\n%s", text.Out)
}
