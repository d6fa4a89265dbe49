package tests

import (
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/policies/pack"
)

// TestMonotoneVerdictsOnStackFiles: for every stack file of the repository
// (and every field case under testdata/field, when present), run through
// the program and the policy pack as `headroom plan` does, a user's safe
// change — raising max_connections (a primary with its replicas), lowering
// maxInstances or a pool, lengthening the connect timeout — never adds a
// mandatory failure: every failing (scenario, check, subject) of the
// changed topology already failed, and no scenario starts failing.
// (infra/capacity's TestPropertyMonotoneVerdicts checks the same on
// hand-built and random topologies.)
func TestMonotoneVerdictsOnStackFiles(t *testing.T) {
	cases := append([]stackCase(nil), stackCases...)
	field, _ := filepath.Glob(filepath.Join("testdata", "field", "*.yaml"))
	for _, f := range field {
		cases = append(cases, stackCase{name: filepath.Base(f), path: f})
	}
	r := rand.New(rand.NewPCG(1278, 9))
	for _, sc := range cases {
		t.Run(sc.name, func(t *testing.T) {
			if _, err := config.LoadFile(sc.path); err != nil {
				// A field case refused as bad input (the API would refuse it
				// too) has no topology to vary.
				t.Skipf("refused as bad input: %v", err)
			}
			_, g := record(t, sc.path)
			res, err := pack.Evaluate(g.AnalyzerResources(), loadPolicyConfig(t, sc.name))
			require.NoError(t, err)
			base := res.Topology
			require.NotEmpty(t, base.Workloads)
			before := mandatory(capacity.Analyze(base))
			for _, mu := range safeChanges {
				for i := 0; i < 10; i++ {
					changed := cloneTopo(base)
					mu.apply(r, &changed)
					added := newKeys(before, mandatory(capacity.Analyze(changed)))
					assert.Empty(t, added, "%s: %s turned a pass into a mandatory failure", sc.name, mu.name)
				}
			}
		})
	}
}

func mandatory(r capacity.Report) map[string]bool {
	out := map[string]bool{}
	for _, f := range r.Findings {
		if f.Severity != capacity.SeverityFail {
			continue
		}
		out["scenario "+f.Scenario] = true
		if f.Check != capacity.CheckColdStartSuccess {
			out[f.Scenario+"|"+f.Check+"|"+f.Subject] = true
		}
	}
	return out
}

func newKeys(before, after map[string]bool) []string {
	var out []string
	for k := range after {
		if !before[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func cloneTopo(t capacity.Topology) capacity.Topology {
	t.Databases = append([]capacity.Database(nil), t.Databases...)
	t.Workloads = append([]capacity.Workload(nil), t.Workloads...)
	t.Egress = append([]capacity.Egress(nil), t.Egress...)
	return t
}

var safeChanges = []struct {
	name  string
	apply func(r *rand.Rand, t *capacity.Topology)
}{
	{"raise max_connections", func(r *rand.Rand, t *capacity.Topology) {
		i := r.IntN(len(t.Databases))
		if t.Databases[i].MaxConnections == 0 {
			return // the tier default: "raising" it needs the tier's table
		}
		n := t.Databases[i].MaxConnections + 1 + r.IntN(400)
		t.Databases[i].MaxConnections = n
		for j := range t.Databases {
			if t.Databases[j].ReplicaOf == t.Databases[i].Name && t.Databases[j].MaxConnections < n {
				t.Databases[j].MaxConnections = n
			}
		}
	}},
	{"lower maxInstances", func(r *rand.Rand, t *capacity.Topology) {
		w := &t.Workloads[r.IntN(len(t.Workloads))]
		if floor := max(w.MinInstances, 1); w.MaxInstances > floor {
			w.MaxInstances -= 1 + r.IntN(w.MaxInstances-floor)
		}
	}},
	{"lower a pool", func(r *rand.Rand, t *capacity.Topology) {
		w := &t.Workloads[r.IntN(len(t.Workloads))]
		if w.MaxOverflow > 0 {
			w.MaxOverflow--
		} else if w.PoolSize > 1 {
			w.PoolSize--
			w.StartupConnections = min(w.StartupConnections, w.PoolSize)
		}
	}},
	{"lengthen the connect timeout", func(r *rand.Rand, t *capacity.Topology) {
		w := &t.Workloads[r.IntN(len(t.Workloads))]
		w.ConnectTimeoutSeconds += float64(1 + r.IntN(120))
	}},
}
