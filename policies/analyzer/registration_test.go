package analyzer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// TestRegistrationJudgedDuringUpdate drives the server the way `pulumi up`
// does after a first preview that could not know the service's
// DATABASE_URL: the connector and the instance are analyzed (by their
// inputs: no address yet), then the service with its URL now known. Its
// Analyze must refuse it — before the engine creates it — and a preview
// (dry run) must leave the verdict to AnalyzeStack.
func TestRegistrationJudgedDuringUpdate(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		dryRun  bool
		max     int
		limit   string
		refused bool
	}{
		{name: "update, 50 × 10 against 100", max: 50, limit: "10", refused: true},
		{name: "update, 30 × 1 fits", max: 30, limit: "1"},
		{name: "preview leaves it to AnalyzeStack", dryRun: true, max: 50, limit: "10"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := start(t)
			_, err := cl.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "test", Project: "headroom", DryRun: c.dryRun})
			require.NoError(t, err)
			var last *pulumirpc.AnalyzeResponse
			for _, r := range []struct {
				typ, name string
				props     map[string]any
			}{
				{pt.TypeConnector, "conn", pt.ForeignConnector()},
				{pt.TypeSQLInstance, "db", pt.ForeignInstanceInputs()},
				{pt.TypeRunService, "api", pt.ForeignService(c.max, map[string]any{"DATABASE_URL": pt.PrismaURL(c.limit)}, nil)},
			} {
				res := pt.Resource(r.typ, r.name, r.props)
				last, err = cl.Analyze(ctx, &pulumirpc.AnalyzeRequest{Type: res.Type, Urn: res.URN, Name: res.Name, Properties: marshal(t, res)})
				require.NoError(t, err)
			}
			var refusals []string
			for _, d := range last.GetDiagnostics() {
				assert.NotContains(t, d.GetMessage(), pt.ForeignPassword)
				if d.GetPolicyName() == pack.PolicyConnectionBudget && d.GetEnforcementLevel() == pulumirpc.EnforcementLevel_MANDATORY {
					refusals = append(refusals, d.GetMessage())
					assert.Equal(t, pt.Resource(pt.TypeRunService, "api", nil).URN, d.GetUrn())
				}
			}
			if c.refused {
				require.NotEmpty(t, refusals)
				all := strings.Join(refusals, "\n")
				assert.Contains(t, all, pack.RegistrationPrefix+"service api: cold-start: connection demand 510 (api (us-central1) 50×10=500")
			} else {
				assert.Empty(t, refusals)
			}
		})
	}
}
