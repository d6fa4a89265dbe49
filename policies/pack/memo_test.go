package pack

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// TestEvaluationMemoSeesEveryChange: the memo's key is the resource list
// compared field by field, not a formatted fingerprint; a change to any
// field the pack reads gets a new evaluation, and the same list (the
// engine's case: one slice for every stack policy) the cached one.
func TestEvaluationMemoSeesEveryChange(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Environment = capacity.EnvStaging
	base := pt.Staging().Resources()
	require.NotEmpty(t, base)
	i := len(base) - 1
	edits := map[string]func(r []policyx.AnalyzerResource){
		"urn":        func(r []policyx.AnalyzerResource) { r[i].URN += "x" },
		"type":       func(r []policyx.AnalyzerResource) { r[i].Type += "x" },
		"name":       func(r []policyx.AnalyzerResource) { r[i].Name += "x" },
		"parent":     func(r []policyx.AnalyzerResource) { r[i].Parent += "x" },
		"property":   func(r []policyx.AnalyzerResource) { r[i].Properties = r[i].Properties.Set("x", property.New("y")) },
		"secret":     func(r []policyx.AnalyzerResource) { r[i].Properties = secretAll(r[i].Properties) },
		"dependency": func(r []policyx.AnalyzerResource) { r[i].Dependencies = append(r[i].Dependencies, "urn:x") },
		"property dependency": func(r []policyx.AnalyzerResource) {
			r[i].PropertyDependencies = map[string][]string{"x": {"urn:x"}}
		},
		"one fewer": nil,
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			_, memo := policies(cfg)
			first := memo.get(base)
			assert.Same(t, first, memo.get(base), "the same slice")
			changed := append([]policyx.AnalyzerResource(nil), base...)
			if edit == nil {
				changed = changed[:i]
			} else {
				edit(changed)
			}
			second := memo.get(changed)
			assert.NotSame(t, first, second, "a changed list is evaluated anew")
			assert.Same(t, second, memo.get(changed))
		})
	}
}

func secretAll(m property.Map) property.Map {
	out := map[string]property.Value{}
	for k, v := range m.All {
		out[k] = v.WithSecret(true)
	}
	return property.NewMap(out)
}
