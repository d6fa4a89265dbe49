package pack

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// TestEvaluationMemo: the stack policies built by one policies call share
// one evaluation per resource list (the topology is extracted and the model
// run once per AnalyzeStack); a different list gets its own evaluation.
func TestEvaluationMemo(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Environment = capacity.EnvStaging
	_, memo := policies(cfg)
	staging, incident := pt.Staging().Resources(), pt.Incident().Resources()

	first := memo.get(staging)
	require.NotNil(t, first)
	assert.Same(t, first, memo.get(pt.Staging().Resources()), "same stack, same evaluation")

	other := memo.get(incident)
	assert.NotSame(t, first, other, "another stack is evaluated anew")
	assert.Equal(t, newEvaluation(incident, cfg).report, other.report)
	assert.Same(t, other, memo.get(incident))
}

// TestEvaluateSortsViolations: Evaluate's documented order is by policy,
// then resource URN, then message (reports and goldens rely on it).
func TestEvaluateSortsViolations(t *testing.T) {
	s := pt.Incident()
	// More than one violation of one policy on one resource, and of one
	// policy on several resources.
	for _, flag := range []string{"log_checkpoints", "log_connections", "log_lock_waits"} {
		pt.DeleteFlag(s.Props["staging-shared-postgres"], flag)
	}
	cfg := DefaultConfig()
	cfg.Environment = capacity.EnvStaging
	res, err := Evaluate(s.Resources(), cfg)
	require.NoError(t, err)

	less := func(a, b Violation) bool {
		if a.Policy != b.Policy {
			return a.Policy < b.Policy
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.Message < b.Message
	}
	var samePolicy, sameResource int
	for i := 1; i < len(res.Violations); i++ {
		a, b := res.Violations[i-1], res.Violations[i]
		assert.False(t, less(b, a), "violation %d out of order:\n%+v\n%+v", i, a, b)
		if a.Policy == b.Policy {
			samePolicy++
			if a.Resource == b.Resource {
				sameResource++
			}
		}
	}
	// The fixture exercises every key of the order.
	assert.Greater(t, samePolicy-sameResource, 0, "one policy on several resources")
	assert.Greater(t, sameResource, 0, "several messages of one policy on one resource")
	assert.Less(t, samePolicy, len(res.Violations)-1, "several policies")
}
