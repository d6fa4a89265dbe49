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

// safetyReport is the part of a headroom up/reconcile JSON report that
// change safety and reconcile fill.
type safetyReport struct {
	Kind    string `json:"kind"`
	Preview *struct {
		Operation string `json:"operation"`
		Stateful  []struct {
			Op        string   `json:"op"`
			Type      string   `json:"type"`
			Name      string   `json:"name"`
			Props     []string `json:"properties"`
			Allowed   bool     `json:"allowed"`
			Protected bool     `json:"protected"`
		} `json:"stateful"`
	} `json:"preview"`
	Reconcile *struct {
		Result   string `json:"result"`
		ExitCode int    `json:"exitCode"`
		Reason   string `json:"reason"`
	} `json:"reconcile"`
}

func decodeSafety(t *testing.T, b []byte, r enginetest.Result) safetyReport {
	t.Helper()
	var rep safetyReport
	require.NoError(t, json.Unmarshal(b, &rep), "headroom report (exit %d):\n%s", r.Code, r.Out)
	return rep
}

// output reads an output of a resource in the stand-in's cloud.
func output(t *testing.T, sb *enginetest.Sandbox, typ, name, path string) any {
	t.Helper()
	rec := sb.State(t).Find(typ, name)
	require.NotNil(t, rec, "%s %s is in the cloud", typ, name)
	v, err := rec.Output(path)
	require.NoError(t, err)
	return v
}

// drift changes an output in the stand-in's cloud, as someone using the
// console would.
func drift(t *testing.T, sb *enginetest.Sandbox, typ, name, path string, v any) {
	t.Helper()
	st := sb.State(t)
	rec := st.Find(typ, name)
	require.NotNil(t, rec)
	require.NoError(t, rec.SetOutput(path, v))
	require.NoError(t, st.Save())
}

// editStack rewrites the first `key: from` after `after` in the
// sandbox's stack file.
func editStack(t *testing.T, sb *enginetest.Sandbox, stack, after, key, from, to string) {
	t.Helper()
	path := filepath.Join(sb.Dir, "stacks", "Pulumi."+stack+".yaml")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s := string(b)
	i := strings.Index(s, after)
	require.GreaterOrEqual(t, i, 0, "%s: %q", path, after)
	j := strings.Index(s[i:], key+": "+from)
	require.GreaterOrEqual(t, j, 0, "%s: %s: %s after %q", path, key, from, after)
	s = s[:i+j] + key + ": " + to + s[i+j+len(key)+2+len(from):]
	require.NoError(t, os.WriteFile(path, []byte(s), 0o644))
}

// TestChangeSafetyAndReconcileUnderEngine: under the real engine with the
// stand-in provider, on one staging stack —
//   - a connector shrink (which forces a replacement) is refused by
//     headroom up without --allow-replace, nothing changes, and applied
//     with it;
//   - after an injected drift (max_connections set to 9000 by hand) reconcile
//     --dry-run reports it and changes nothing, reconcile re-applies it
//     and the stack is in sync again (headroom drift exits 0);
//   - after a drift that forces a connector replacement, reconcile is
//     refused by change safety, and re-applies with --allow-replace.
func TestChangeSafetyAndReconcileUnderEngine(t *testing.T) {
	e := enginetest.Require(t)
	packBin := e.PolicyPack(t)
	sb := e.NewSandbox(t, map[string]string{"staging": filepath.Join(e.Root, "stacks", "Pulumi.staging.yaml")})
	base := []string{"--stack", "staging", "--root", sb.Dir, "--policy-pack", packBin, "--format", "json"}
	headroom := func(args ...string) enginetest.Result {
		r := sb.Headroom(t, append(args, base...)...)
		t.Logf("headroom %s: exit %d in %v", strings.Join(args, " "), r.Code, r.Elapsed)
		return r
	}
	r := headroom("up", "--yes")
	require.Zero(t, r.Code, r.Out)
	const conn, db = "staging-connector", "staging-shared-postgres"
	require.EqualValues(t, 10, output(t, sb, gcp.TypeConnector, conn, "maxInstances"))

	t.Run("a connector shrink is refused without --allow-replace", func(t *testing.T) {
		editStack(t, sb, "staging", "connector:", "maxInstances", "10", "9")
		r := headroom("up", "--yes")
		assert.Equal(t, 1, r.Code, r.Out)
		assert.Contains(t, r.Out, "would replace staging-connector (gcp:vpcaccess/connector:Connector)")
		rep := decodeSafety(t, []byte(r.Stdout), r)
		require.NotNil(t, rep.Preview)
		require.Len(t, rep.Preview.Stateful, 1)
		s := rep.Preview.Stateful[0]
		assert.Equal(t, "replace", s.Op)
		assert.Equal(t, conn, s.Name)
		assert.Contains(t, s.Props, "maxInstances", "the provider names the property that forces it")
		assert.False(t, s.Allowed)
		assert.EqualValues(t, 10, output(t, sb, gcp.TypeConnector, conn, "maxInstances"), "nothing was changed")
	})

	t.Run("and applied with it", func(t *testing.T) {
		r := headroom("up", "--yes", "--allow-replace", conn)
		require.Zero(t, r.Code, r.Out)
		rep := decodeSafety(t, []byte(r.Stdout), r)
		require.NotNil(t, rep.Preview)
		require.Len(t, rep.Preview.Stateful, 1)
		assert.True(t, rep.Preview.Stateful[0].Allowed)
		assert.EqualValues(t, 9, output(t, sb, gcp.TypeConnector, conn, "maxInstances"), "the connector was replaced with 9")
	})

	t.Run("reconcile re-applies an injected drift", func(t *testing.T) {
		const flag = "settings.databaseFlags[0].value" // max_connections
		want := output(t, sb, gcp.TypeSQLInstance, db, flag)
		require.NotEmpty(t, want)
		drift(t, sb, gcp.TypeSQLInstance, db, flag, "9000")

		dry := filepath.Join(t.TempDir(), "dry.json")
		r := headroom("reconcile", "--once", "--dry-run", "--report", dry)
		assert.Equal(t, 3, r.Code, r.Out)
		b, err := os.ReadFile(dry)
		require.NoError(t, err)
		assert.Equal(t, "drift", decodeSafety(t, b, r).Reconcile.Result)
		assert.Equal(t, "9000", output(t, sb, gcp.TypeSQLInstance, db, flag), "a dry run changes nothing")

		rep := filepath.Join(t.TempDir(), "reconcile.json")
		r = headroom("reconcile", "--once", "--report", rep)
		require.Zero(t, r.Code, r.Out)
		b, err = os.ReadFile(rep)
		require.NoError(t, err)
		got := decodeSafety(t, b, r)
		assert.Equal(t, "reconcile", got.Kind)
		assert.Equal(t, "reconciled", got.Reconcile.Result)
		assert.Equal(t, want, output(t, sb, gcp.TypeSQLInstance, db, flag), "the program's max_connections is back")

		r = headroom("drift")
		assert.Zero(t, r.Code, "the state matches the cloud and the program again: %s", r.Out)
		r = headroom("reconcile", "--once")
		assert.Zero(t, r.Code, r.Out)
		assert.Contains(t, r.Out, "in-sync (exit 0)")
	})

	t.Run("reconcile refuses a drift that forces a connector replacement unless allowed", func(t *testing.T) {
		drift(t, sb, gcp.TypeConnector, conn, "maxInstances", 8)
		r := headroom("reconcile", "--once")
		assert.Equal(t, 1, r.Code, r.Out)
		got := decodeSafety(t, []byte(r.Stdout), r)
		assert.Equal(t, "refused", got.Reconcile.Result)
		require.NotNil(t, got.Preview)
		require.Len(t, got.Preview.Stateful, 1)
		assert.Equal(t, conn, got.Preview.Stateful[0].Name)
		assert.EqualValues(t, 8, output(t, sb, gcp.TypeConnector, conn, "maxInstances"), "nothing was applied")

		r = headroom("reconcile", "--once", "--allow-replace", conn)
		require.Zero(t, r.Code, r.Out)
		assert.EqualValues(t, 9, output(t, sb, gcp.TypeConnector, conn, "maxInstances"))
	})
}

// TestProtectedProductionDatabaseUnderEngine: production's Cloud SQL
// instances carry Pulumi's protect option, so even with --allow-replace a
// replacement is refused — by the engine itself — and reported as such.
func TestProtectedProductionDatabaseUnderEngine(t *testing.T) {
	e := enginetest.Require(t)
	packBin := e.PolicyPack(t)
	sb := e.NewSandbox(t, map[string]string{"production": filepath.Join(e.Root, "stacks", "Pulumi.production.yaml")})
	base := []string{"--stack", "production", "--root", sb.Dir, "--policy-pack", packBin, "--format", "json"}
	r := sb.Headroom(t, append([]string{"up", "--yes"}, base...)...)
	require.Zero(t, r.Code, r.Out)

	exp := sb.Pulumi(t, "stack", "export", "--stack", "production")
	require.Zero(t, exp.Code, exp.Out)
	var state struct {
		Deployment struct {
			Resources []struct {
				URN     string `json:"urn"`
				Type    string `json:"type"`
				Protect bool   `json:"protect"`
			} `json:"resources"`
		} `json:"deployment"`
	}
	require.NoError(t, json.Unmarshal([]byte(exp.Stdout), &state))
	protected := map[string]bool{}
	for _, res := range state.Deployment.Resources {
		if res.Protect {
			protected[res.Type] = true
		}
	}
	assert.Equal(t, map[string]bool{gcp.TypeSQLInstance: true, gcp.TypeSQLDatabase: true}, protected, "production databases are protected in the engine's state")

	// Someone moved the primary (a region change forces a replacement).
	drift(t, sb, gcp.TypeSQLInstance, "prod-postgres", "region", "us-west1")
	r = sb.Headroom(t, append([]string{"reconcile", "--once", "--allow-replace", "prod-postgres", "--allow-replace", "prod-postgres-use1"}, base...)...)
	assert.Equal(t, 1, r.Code, r.Out)
	assert.Contains(t, r.Out, "protected resource(s) prod-postgres")
	got := decodeSafety(t, []byte(r.Stdout), r)
	assert.Equal(t, "refused", got.Reconcile.Result)
	require.NotNil(t, got.Preview)
	byName := map[string]bool{}
	for _, s := range got.Preview.Stateful {
		assert.True(t, s.Protected, "%s: the engine refused it as protected", s.Name)
		byName[s.Name] = true
	}
	assert.True(t, byName["prod-postgres"], "the report lists the refused replacement: %+v", got.Preview.Stateful)
	assert.Equal(t, "us-west1", output(t, sb, gcp.TypeSQLInstance, "prod-postgres", "region"), "the instance was not replaced")
}
