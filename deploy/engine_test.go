package deploy

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/report"
	"github.com/headroom-dev/headroom/testkit/enginetest"
)

// Up under the real Pulumi engine (Automation API, CLI v3.274.1, the
// stand-in GCP provider): the two refusals that happen after the offline
// gate has passed. The gate here always passes, so what refuses is the
// engine's preview with the pack, or the engine's update plan.
func TestUpUnderEngine(t *testing.T) {
	e := enginetest.Require(t)
	packBin := e.PolicyPack(t)
	passingGate := func(context.Context) (report.Report, error) { return gateReport(false), nil }
	policy := func(env string) Policy {
		return Policy{Pack: packBin, Name: pack.Name, Config: filepath.Join(e.Root, "policies", "config", env+".json")}
	}

	t.Run("a preview with mandatory violations is refused and nothing is created", func(t *testing.T) {
		sb := e.NewSandbox(t, map[string]string{"incident": filepath.Join(e.Root, "tests", "testdata", "incident", "Pulumi.incident.yaml")})
		sb.Setenv(t)
		out, err := Up(context.Background(), AutoOpener(e.CLI), UpOptions{
			Stack: "incident", WorkDir: sb.Dir, Policy: policy("staging"), Yes: true, Gate: passingGate,
		})
		require.NoError(t, err)
		assert.Equal(t, ExitViolations, out.Code)
		assert.False(t, out.Applied)
		assert.Contains(t, out.Reason, "preview:")
		require.NotNil(t, out.Report.Preview)
		assert.Contains(t, out.Report.Preview.PolicyPacks, pack.Name, "the engine ran the pack")
		got := map[string]bool{}
		for _, v := range out.Report.Violations {
			if v.Level == "mandatory" {
				got[v.Policy] = true
			}
		}
		for _, p := range []string{pack.PolicyConnectionBudget, pack.PolicyColdStartSuccess, pack.PolicyTimeoutBudget, pack.PolicyEgressHeadroom} {
			assert.True(t, got[p], "the engine's preview must report %s (got %v)", p, got)
		}
		assert.Empty(t, sb.State(t).Resources, "nothing was created")
	})

	t.Run("a change between the gated preview and the update is refused by the plan", func(t *testing.T) {
		sb := e.NewSandbox(t, map[string]string{"staging": filepath.Join(e.Root, "stacks", "Pulumi.staging.yaml")})
		sb.Setenv(t)
		changed := false
		out, err := Up(context.Background(), AutoOpener(e.CLI), UpOptions{
			Stack: "staging", WorkDir: sb.Dir, Policy: policy("staging"), Gate: passingGate,
			Confirm: func(string) (bool, error) {
				// After the preview was judged and its plan saved, the
				// stack's config changes (a concurrent `pulumi config
				// set`): the update must not apply what was not judged.
				r := sb.Pulumi(t, "config", "set", "--stack", "staging", "--path", "headroom:workloads[0].maxInstances", "18")
				require.Zero(t, r.Code, r.Out)
				changed = true
				return true, nil
			},
		})
		require.True(t, changed, "the confirmation ran between preview and update")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "deviated from the previewed plan")
		assert.False(t, out.Applied)
		assert.Equal(t, ExitFailure, out.Code, "a deviation from the plan is a failure (4), not a gate refusal")
		svc := sb.State(t).Find("gcp:cloudrunv2/service:Service", "netra-backend-us-central1")
		if svc != nil {
			v, err := svc.Output("template.scaling.maxInstanceCount")
			require.NoError(t, err)
			assert.EqualValues(t, 20, v, "the unjudged value was not applied")
		}
	})
}
