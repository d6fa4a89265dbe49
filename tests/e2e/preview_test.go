package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/testkit/enginetest"
)

// TestPolicyGateUnderEngine: for each stack, `pulumi preview` with the
// policy pack in directory form (PulumiPolicy.yaml, built by the language
// host) and in binary form, on a brand-new stack (every computed value
// unknown) and on an existing one; `pulumi up`; then `pulumi policy
// analyze` on the resulting state. Staging and production pass everywhere;
// the incident is refused everywhere with the same mandatory violations as
// `headroom plan` prints for it.
func TestPolicyGateUnderEngine(t *testing.T) {
	e := enginetest.Require(t)
	packBin := e.PolicyPack(t)
	e.Headroom(t)
	forms := []struct{ name, pack string }{
		{"directory", e.PolicyPackDir()},
		{"binary", packBin},
	}
	for _, sc := range stackCases {
		t.Run(sc.name, func(t *testing.T) {
			sb := e.NewSandbox(t, map[string]string{sc.name: sc.path(e)})
			want := planMandatory(t, sb, sc.name)
			if sc.pass {
				require.Empty(t, want, "headroom plan must pass %s", sc.name)
			} else {
				require.NotEmpty(t, want, "headroom plan must refuse %s", sc.name)
			}
			cfg := policyConfig(t, sb, sc.name)

			for _, f := range forms {
				r := pulumiWithLog(t, sb, "preview", "--stack", sc.name, "--policy-pack", f.pack, "--policy-pack-config", cfg)
				t.Logf("new stack, pack %s: preview %v (exit %d)", f.name, r.Elapsed, r.Code)
				assert.True(t, r.packRan, "new stack, %s form: the pack must run\n%s", f.name, r.Out)
				assert.Positive(t, r.summary["create"], "new stack: everything is created")
				assertVerdict(t, sc, "preview of a new stack, "+f.name+" form", r.Code, r.mandatory, want, r.Out)
			}

			// pulumi up with the pack: a refused stack creates nothing.
			up := pulumiWithLog(t, sb, "up", "--yes", "--stack", sc.name, "--policy-pack", packBin, "--policy-pack-config", cfg)
			assertVerdict(t, sc, "up", up.Code, up.mandatory, want, up.Out)
			if !sc.pass {
				assert.Empty(t, sb.State(t).Resources, "a refused up must create nothing")
				// Deploy it regardless (as someone bypassing the gate
				// would) to judge an existing stack.
				up = pulumiWithLog(t, sb, "up", "--yes", "--stack", sc.name)
				require.Zero(t, up.Code, up.Out)
			}
			created := len(sb.State(t).Resources)
			require.Positive(t, created)
			assert.Equal(t, created, customCreates(up.ops), "every custom resource created by up is in the stand-in's cloud")

			for _, f := range forms {
				r := pulumiWithLog(t, sb, "preview", "--stack", sc.name, "--policy-pack", f.pack, "--policy-pack-config", cfg)
				t.Logf("existing stack, pack %s: preview %v (exit %d)", f.name, r.Elapsed, r.Code)
				assert.True(t, r.packRan, "existing stack, %s form: the pack must run\n%s", f.name, r.Out)
				assert.Zero(t, r.summary["create"]+r.summary["update"]+r.summary["replace"]+r.summary["delete"],
					"existing stack: the program matches the state (%v)", r.summary)
				assertVerdict(t, sc, "preview of an existing stack, "+f.name+" form", r.Code, r.mandatory, want, r.Out)
			}

			an := sb.Pulumi(t, "policy", "analyze", "--stack", sc.name, "--policy-pack", packBin, "--policy-pack-config", cfg, "--json")
			t.Logf("policy analyze: %v (exit %d)", an.Elapsed, an.Code)
			ev := enginetest.ParseEvents(t, an.Stdout)
			_, ran := enginetest.Summary(ev, pack.Name)
			assert.True(t, ran, "policy analyze must run the pack:\n%s", an.Out)
			assertVerdict(t, sc, "policy analyze", an.Code, enginetest.Mandatory(enginetest.Violations(ev)), want, an.Out)
		})
	}
}
