package pack_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// TestDeployStyleFromAnnotation: the pack reads a service's deploy style
// from its annotation; absent or unknown is judged as latest (the worst
// case), an unknown value is said.
func TestDeployStyleFromAnnotation(t *testing.T) {
	for _, tt := range []struct {
		value string // "" = annotation absent
		want  capacity.DeployStyle
		said  bool
	}{
		{"", capacity.DeployLatest, false},
		{"latest", capacity.DeployLatest, false},
		{"candidate", capacity.DeployCandidate, false},
		{"blue-green", capacity.DeployLatest, true},
	} {
		t.Run(tt.value, func(t *testing.T) {
			s := pt.Staging()
			if tt.value != "" {
				s.Props["netra-backend-us-central1"]["annotations"].(map[string]any)[contract.AnnotationDeployStyle] = tt.value
			}
			topo, _ := pack.ExtractTopology(s.Resources(), stagingCfg())
			var got capacity.DeployStyle
			for _, w := range topo.Workloads {
				if w.Name == "netra-backend-us-central1" {
					got = w.Deploy
				}
			}
			if got == "" {
				got = capacity.DeployLatest // the model's default for an empty style
			}
			assert.Equal(t, tt.want, got)
			res := evaluate(t, s, stagingCfg())
			found := false
			for _, v := range res.Violations {
				if v.Policy == pack.PolicyCapacityModel && v.Level == pack.LevelAdvisory && strings.Contains(v.Message, `"blue-green"`) {
					found = true
				}
			}
			assert.Equal(t, tt.said, found)
			require.Empty(t, res.Mandatory())
		})
	}
}
