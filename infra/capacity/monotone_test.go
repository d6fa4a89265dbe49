package capacity

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The gate's monotonicity: a user who raises max_connections, lowers
// maxInstances or a pool, or lengthens a timeout never turns a pass into a
// mandatory failure. Every mandatory verdict comes from a monotone rule
// (budget, timeout budget, egress headroom, IPs, Admin API); the storm
// simulation, which is not monotone (TestPartialPoolCounterexamples), is
// mandatory only in a scenario where such a rule already fails. The
// property is checked per finding of the monotone rules (every failure of
// the changed stack — scenario, check, subject — was already a failure
// before) and per scenario (no scenario starts failing).

// failures is the set of mandatory findings of a report: one key per
// monotone-rule failure and one per failing scenario.
func failures(r Report) map[string]bool {
	out := map[string]bool{}
	for _, f := range r.Findings {
		if f.Severity != SeverityFail {
			continue
		}
		out["scenario "+f.Scenario] = true
		if f.Check != CheckColdStartSuccess {
			out[f.Scenario+"|"+f.Check+"|"+f.Subject] = true
		}
	}
	return out
}

func newFailures(before, after map[string]bool) []string {
	var out []string
	for k := range after {
		if !before[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// mutation is one change a user makes that must never add a failure.
type mutation struct {
	name  string
	apply func(r *rand.Rand, t *Topology) bool // false: not applicable
}

// effectiveMaxConnections is max_connections in force for database i.
func effectiveMaxConnections(t Topology, i int) int { return newModel(t).dbs[i].maxConn }

var mutations = []mutation{
	{"raise max_connections", func(r *rand.Rand, t *Topology) bool {
		if len(t.Databases) == 0 {
			return false
		}
		i := r.IntN(len(t.Databases))
		n := effectiveMaxConnections(*t, i) + 1 + r.IntN(300)
		// PostgreSQL requires a hot standby's max_connections ≥ its
		// primary's (replica parity), so a primary is raised together with
		// its replicas: the one rule where raising alone can fail, on purpose.
		name := t.Databases[i].Name
		t.Databases[i].MaxConnections = n
		for j := range t.Databases {
			if t.Databases[j].ReplicaOf == name && effectiveMaxConnections(*t, j) < n {
				t.Databases[j].MaxConnections = n
			}
		}
		return true
	}},
	{"lower maxInstances", func(r *rand.Rand, t *Topology) bool {
		if len(t.Workloads) == 0 {
			return false
		}
		w := &t.Workloads[r.IntN(len(t.Workloads))]
		cur := w.MaxInstances
		if cur <= 0 {
			cur = CloudRunDefaultMaxInstances
		}
		floor := max(w.MinInstances, 1)
		if cur <= floor {
			return false
		}
		w.MaxInstances = cur - 1 - r.IntN(cur-floor)
		return true
	}},
	{"lower a pool", func(r *rand.Rand, t *Topology) bool {
		if len(t.Workloads) == 0 {
			return false
		}
		w := &t.Workloads[r.IntN(len(t.Workloads))]
		switch r.IntN(4) {
		case 0:
			if w.PoolSize == 0 {
				return false
			}
			w.PoolSize -= 1 + r.IntN(w.PoolSize)
		case 1:
			if w.MaxOverflow == 0 {
				return false
			}
			w.MaxOverflow -= 1 + r.IntN(w.MaxOverflow)
		case 2:
			if w.StartupConnections == 0 {
				return false
			}
			w.StartupConnections -= 1 + r.IntN(w.StartupConnections)
		default:
			if w.Processes <= 1 {
				return false
			}
			w.Processes--
		}
		return true
	}},
	{"lengthen the connect timeout", func(r *rand.Rand, t *Topology) bool {
		if len(t.Workloads) == 0 {
			return false
		}
		w := &t.Workloads[r.IntN(len(t.Workloads))]
		w.ConnectTimeoutSeconds += float64(1 + r.IntN(120))
		return true
	}},
	{"lengthen the startup probe", func(r *rand.Rand, t *Topology) bool {
		if len(t.Workloads) == 0 {
			return false
		}
		w := &t.Workloads[r.IntN(len(t.Workloads))]
		p := w.StartupProbe
		if p.PeriodSeconds == 0 || p.FailureThreshold == 0 {
			return false
		}
		p.FailureThreshold++
		// Stay inside Cloud Run's startup window (a longer probe than Cloud
		// Run accepts is a different, static refusal).
		if ValidateStartupProbe(p) != nil {
			return false
		}
		w.StartupProbe = p
		return true
	}},
}

func cloneDeep(t Topology) Topology {
	t = cloneTopology(t)
	for i := range t.Workloads {
		t.Workloads[i].ExtraPools = append([]Pool(nil), t.Workloads[i].ExtraPools...)
	}
	for i := range t.Databases {
		t.Databases[i].Consumers = append([]Consumer(nil), t.Databases[i].Consumers...)
	}
	return t
}

// monotoneBases are the repository's stacks (as hand-built topologies),
// the issue's stack, the incident, and variants that sit near thresholds.
func monotoneBases() map[string]Topology {
	bases := map[string]Topology{
		"staging": stagingTopology(), "production": productionTopology(), "incident": incidentTopology(), "issue": issueStack(),
	}
	near := stagingTopology()
	near.Databases[0].MaxConnections = 500 // rollouts over budget, cold start inside
	bases["staging at 500"] = near
	direct := issueStack()
	direct.Egress = []Egress{{Region: "r", Kind: EgressDirect, Name: "sub", SubnetCIDR: "10.0.0.0/26"}}
	direct.Workloads[0].Egress = EgressDirect
	direct.Workloads[0].MaxInstances = 12
	direct.Workloads[0].ConnectTimeoutSeconds = 50
	bases["direct egress"] = direct
	cand := productionTopology()
	for i := range cand.Workloads {
		cand.Workloads[i].Deploy = DeployCandidate
		cand.Workloads[i].Processes = 2
	}
	cand.Databases[0].Consumers = []Consumer{{Name: "jobs", Connections: 40}}
	bases["production, candidate, 2 processes"] = cand
	short := issueStack()
	short.Workloads[0].StartupProbe = Probe{PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 3, Path: "/db"} // 30 s window
	short.Workloads[0].ConnectTimeoutSeconds = 25
	bases["short probe"] = short
	return bases
}

func TestPropertyMonotoneVerdicts(t *testing.T) {
	bases := monotoneBases()
	names := make([]string, 0, len(bases))
	for n := range bases {
		names = append(names, n)
	}
	sort.Strings(names)
	r := rand.New(rand.NewPCG(9, 1278))
	for _, name := range names {
		base := bases[name]
		before := failures(Analyze(base))
		for _, mu := range mutations {
			t.Run(name+"/"+mu.name, func(t *testing.T) {
				applied := 0
				for i := 0; i < 25; i++ {
					changed := cloneDeep(base)
					if !mu.apply(r, &changed) {
						continue
					}
					applied++
					added := newFailures(before, failures(Analyze(changed)))
					assert.Empty(t, added, "%s turned a pass into a mandatory failure: %v", mu.name, fmt.Sprint(added))
				}
				// The repository's probes already use the whole startup window
				// Cloud Run allows; "short probe" exercises that mutation.
				if mu.name != "lengthen the startup probe" || name == "short probe" {
					assert.Positive(t, applied, "the mutation applies to %s", name)
				}
			})
		}
	}
}

func TestPropertyMonotoneVerdictsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 150; i++ {
		base := randomTopology(r)
		before := failures(Analyze(base))
		mu := mutations[r.IntN(len(mutations))]
		changed := cloneDeep(base)
		if !mu.apply(r, &changed) {
			continue
		}
		added := newFailures(before, failures(Analyze(changed)))
		if !assert.Empty(t, added, "case %d: %s", i, mu.name) {
			return
		}
	}
}

// TestHotStandbyParityIsTheDeliberateException pins the one rule under
// which raising max_connections alone can fail: a primary raised above its
// replica (PostgreSQL refuses to run such a standby).
func TestHotStandbyParityIsTheDeliberateException(t *testing.T) {
	prod := productionTopology()
	prod.Databases[0].MaxConnections = 1300
	fs := scenarioFindings(Analyze(prod), "failover/prod-postgres-use1", CheckReplicaParity, "prod-postgres-use1")
	if assert.Len(t, fs, 1) {
		assert.Contains(t, fs[0].Message, "set it to ≥ 1300")
	}
}
