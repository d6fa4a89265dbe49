// Package suggest searches the changes to a refused stack file that make
// its plan pass, and ranks them by monthly cost. Each candidate is applied
// to the stack file's text (keeping comments and layout), re-loaded and
// re-planned through the same pipeline as `headroom plan` (the Planner the
// CLI injects); only candidates whose plan has no mandatory violation are
// kept. The pass/fail test is the plan's overall verdict, so new scenarios
// and policies are honoured without changes here.
package suggest

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/cost"
	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/report"
	"github.com/headroom-dev/headroom/yamlpath"
)

// Outcome is one plan of a stack file.
type Outcome struct {
	Report   report.Report
	Capacity capacity.Report
}

// Planner plans a stack file's bytes (path names it in errors). A config
// error must come back as *config.FileError so the search can skip the
// candidate; any other error stops the search.
type Planner func(ctx context.Context, path string, data []byte) (*config.File, Outcome, error)

// Options bound the search.
type Options struct {
	// MaxPlans is how many candidates are re-planned at most (default 150).
	MaxPlans int
	// Keep is how many passing fixes are shown: Keep that keep the
	// request capacity, and Keep−1 (at least 1) that give some up
	// (default 3).
	Keep int
}

// Change is one edited key.
type Change struct {
	Key  string `json:"key"`
	From string `json:"from"`
	To   string `json:"to"`
}

// option is one alternative of a lever.
type option struct {
	what    string
	ops     []Op
	changes []Change
	// givesUp says what request capacity is lost; empty when none.
	givesUp []string
	// lost is the concurrent requests given up (maxInstances × concurrency).
	lost int
}

// lever is a set of mutually exclusive options; required levers must
// change (their violation cannot pass otherwise).
type lever struct {
	name     string
	required bool
	options  []option
}

// Suggestion is one passing fix.
type Suggestion struct {
	Rank        int      `json:"rank"`
	Summary     string   `json:"summary"`
	Changes     []Change `json:"changes"`
	MonthlyUSD  float64  `json:"monthlyUsd"`
	DeltaUSD    float64  `json:"deltaUsd"`
	GivesUp     []string `json:"givesUp"`
	Unpriced    []string `json:"unpriced"`
	Verdict     string   `json:"verdict"`
	SuccessRate float64  `json:"successRate"`
	ConnectP99  float64  `json:"connectP99Seconds"`
	Databases   []DBFit  `json:"databases"`
	Diff        string   `json:"diff"`
	Hunks       []Hunk   `json:"hunks"`
	// ResourceChanges are the property edits of a fix of a stack read
	// from a preview or state (resources.go); Diff and Hunks are empty.
	ResourceChanges []ResourceChange `json:"resourceChanges,omitempty"`
	newText         []byte
	newResources    []policyx.AnalyzerResource
}

// DBFit is a database's budget after the fix.
type DBFit struct {
	Database       string  `json:"database"`
	MaxConnections int     `json:"maxConnections"`
	Demand         int     `json:"demand"`
	Allowed        int     `json:"allowed"`
	Utilization    float64 `json:"utilization"`
}

// Result is what suggest found for one stack file.
type Result struct {
	// Kind is KindResources for a stack read from a preview or state
	// export; empty for a stack file.
	Kind  string `json:"kind,omitempty"`
	Stack string `json:"stack"`
	File  string `json:"file"`
	// Verdict is the stack as it is: "pass" needs no change.
	Verdict     string       `json:"verdict"`
	Violations  []string     `json:"violations"`
	MonthlyUSD  float64      `json:"monthlyUsd"`
	CostLabel   string       `json:"costLabel"`
	Suggestions []Suggestion `json:"suggestions"`
	// Candidates were generated, Planned were re-planned, Passed passed.
	Candidates int     `json:"candidates"`
	Planned    int     `json:"planned"`
	Passed     int     `json:"passed"`
	Seconds    float64 `json:"seconds"`
	// NotExplored lists what the search does not try (docs/cost.md).
	NotExplored []string `json:"notExplored"`
	// Advice is what a fix of a preview or state needs where no property
	// edit can make it (not re-planned).
	Advice []Advice `json:"advice,omitempty"`
}

// NotExplored is what the search never changes.
var NotExplored = []string{
	"adding regions, workloads or Cloud Run services; changing images, CPU, memory or concurrency",
	"Enterprise ↔ Enterprise Plus edition changes, N4/C4A tiers and Managed Connection Pooling",
	"min instances of Cloud Run services, ramped rollouts, deploy style candidate and assumption or target changes",
	"combinations beyond one option per lever (database, egress per region, timeouts, startup probe, HA/replica)",
}

// Search plans the stack file and, when it is refused, searches fixes.
func Search(ctx context.Context, plan Planner, path string, src []byte, opt Options) (Result, error) {
	start := time.Now()
	if opt.MaxPlans <= 0 {
		opt.MaxPlans = 150
	}
	if opt.Keep <= 0 {
		opt.Keep = 3
	}
	file, base, err := plan(ctx, path, src)
	if err != nil {
		return Result{}, err
	}
	baseCost := cost.Estimate(file.Stack)
	res := Result{Stack: base.Report.Stack, File: path, Verdict: base.Report.Verdict, MonthlyUSD: baseCost.MonthlyUSD,
		CostLabel: baseCost.Label, Suggestions: []Suggestion{}, Violations: mandatoryPolicies(base.Report), NotExplored: NotExplored}
	if !base.Report.Failed() {
		res.Seconds = time.Since(start).Seconds()
		return res, nil
	}
	levers := buildLevers(file.Stack, base)
	type cand struct {
		rank
		opts  []option
		text  []byte
		stack config.Stack
	}
	var cands []cand
	seen := map[string]bool{}
	for _, combo := range combinations(levers) {
		combo = withoutDominated(combo)
		var ops []Op
		givesUp := false
		n, lost := 0, 0
		for _, o := range combo {
			ops = append(ops, o.ops...)
			givesUp = givesUp || len(o.givesUp) > 0
			n += len(o.changes)
			lost += o.lost
		}
		if n == 0 {
			continue
		}
		text, err := Apply(src, ops)
		if err != nil || seen[string(text)] {
			continue
		}
		seen[string(text)] = true
		f, err := config.LoadBytes(path, text)
		if err != nil {
			continue // the edit breaks a config rule: not a candidate
		}
		cands = append(cands, cand{rank: rank{cost: cost.Estimate(f.Stack), givesUp: givesUp, lost: lost, nchg: n}, opts: combo, text: text, stack: f.Stack})
	}
	res.Candidates = len(cands)
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].before(cands[j].rank) })
	keep, keepLoss := opt.Keep, max(opt.Keep-1, 1)
	var accepted [][]option
	uses := map[string]int{} // option → kept suggestions using it
	for _, c := range cands {
		if supersetOfAny(c.opts, accepted) {
			continue // a passing fix with fewer changes is already shown
		}
		if overused(c.opts, uses, max(opt.Keep-1, 1)) {
			continue // keep the list varied: another lever's alternative next
		}
		if res.Planned >= opt.MaxPlans || (keep == 0 && keepLoss == 0) {
			break
		}
		if c.givesUp && keepLoss == 0 || !c.givesUp && keep == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		_, out, err := plan(ctx, path, c.text)
		res.Planned++
		if err != nil {
			if _, ok := err.(*config.FileError); ok {
				continue
			}
			return Result{}, err
		}
		if out.Report.Failed() {
			continue
		}
		res.Passed++
		accepted = append(accepted, c.opts)
		for _, o := range c.opts {
			uses[o.what]++
		}
		if c.givesUp {
			keepLoss--
		} else {
			keep--
		}
		s := Suggestion{Verdict: out.Report.Verdict, MonthlyUSD: c.cost.MonthlyUSD,
			DeltaUSD: math.Round((c.cost.MonthlyUSD-baseCost.MonthlyUSD)*100) / 100,
			GivesUp:  []string{}, Unpriced: append([]string{}, c.cost.Unpriced...), newText: c.text}
		var whats []string
		for _, o := range c.opts {
			if len(o.changes) == 0 {
				continue
			}
			whats = append(whats, o.what)
			s.Changes = append(s.Changes, o.changes...)
			s.GivesUp = append(s.GivesUp, o.givesUp...)
		}
		s.Summary = strings.Join(whats, "; ")
		if sim := out.Report.Simulation; sim != nil {
			s.SuccessRate, s.ConnectP99 = sim.SuccessRate, sim.ConnectP99Seconds
		}
		// The budget of the scenario that needs the most (a rollout's peak).
		for _, b := range worstBudgets(out.Capacity) {
			s.Databases = append(s.Databases, DBFit{Database: b.Database, MaxConnections: b.MaxConnections,
				Demand: b.Demand, Allowed: b.Allowed, Utilization: math.Round(b.Utilization*1000) / 1000})
		}
		s.Diff, s.Hunks = diff(path, src, c.text)
		if s.Hunks == nil {
			s.Hunks = []Hunk{}
		}
		if s.Databases == nil {
			s.Databases = []DBFit{}
		}
		res.Suggestions = append(res.Suggestions, s)
	}
	sort.SliceStable(res.Suggestions, func(i, j int) bool {
		a, b := res.Suggestions[i], res.Suggestions[j]
		if (len(a.GivesUp) > 0) != (len(b.GivesUp) > 0) {
			return len(a.GivesUp) == 0
		}
		return a.MonthlyUSD < b.MonthlyUSD
	})
	for i := range res.Suggestions {
		res.Suggestions[i].Rank = i + 1
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// overused reports whether an option of opts already appears in limit kept
// suggestions.
// withoutDominated drops from a combination every option whose edits
// another option of it already makes at least as strongly: a replica's own
// max_connections raise is dominated by the primary's raise, which lifts
// its hot standbys to the primary's value (PostgreSQL requires it). Applied
// after it, the replica's lower value would undo that and break parity.
func withoutDominated(combo []option) []option {
	out := make([]option, 0, len(combo))
	for i, o := range combo {
		if len(o.ops) > 0 && dominated(o, combo, i) {
			continue
		}
		out = append(out, o)
	}
	return out
}

// dominated: every op of o sets a numeric key that another option of the
// combination sets to a value at least as large.
func dominated(o option, combo []option, self int) bool {
	for _, op := range o.ops {
		want, err := strconv.Atoi(op.Value)
		if err != nil || op.Delete || op.Flow {
			return false
		}
		covered := false
		for j, other := range combo {
			if j == self {
				continue
			}
			for _, p := range other.ops {
				if v, err := strconv.Atoi(p.Value); err == nil && !p.Delete && slices.Equal(p.Path, op.Path) && v >= want {
					covered = true
				}
			}
		}
		if !covered {
			return false
		}
	}
	return true
}

// rank orders candidate fixes, for stack files and for resources alike:
// those that keep every request capacity first, then the cheaper, then
// the fewer requests given up, then the fewer changes.
type rank struct {
	cost    cost.Cost
	givesUp bool
	lost    int
	nchg    int
}

// before reports whether a ranks ahead of b.
func (a rank) before(b rank) bool {
	if a.givesUp != b.givesUp {
		return !a.givesUp
	}
	if a.cost.MonthlyUSD != b.cost.MonthlyUSD {
		return a.cost.MonthlyUSD < b.cost.MonthlyUSD
	}
	if a.lost != b.lost {
		return a.lost < b.lost
	}
	return a.nchg < b.nchg
}

func overused(opts []option, uses map[string]int, limit int) bool {
	for _, o := range opts {
		if len(o.changes) > 0 && uses[o.what] >= limit {
			return true
		}
	}
	return false
}

// supersetOfAny reports whether opts contains every changing option of one
// of the accepted combinations.
func supersetOfAny(opts []option, accepted [][]option) bool {
	has := map[string]bool{}
	for _, o := range opts {
		if len(o.changes) > 0 {
			has[o.what] = true
		}
	}
	for _, a := range accepted {
		all := true
		for _, o := range a {
			if len(o.changes) > 0 && !has[o.what] {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// NewText is the stack file after the fix (what was re-planned).
func (s Suggestion) NewText() []byte { return s.newText }

func mandatoryPolicies(r report.Report) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, v := range r.Violations {
		if v.Level == report.LevelMandatory && !seen[v.Policy] {
			seen[v.Policy] = true
			out = append(out, v.Policy)
		}
	}
	sort.Strings(out)
	return out
}

// combinations is the product of the levers' options (plus "no change" for
// levers that are not required).
func combinations(levers []lever) [][]option {
	out := [][]option{{}}
	for _, l := range levers {
		choices := l.options
		if !l.required {
			choices = append([]option{{}}, choices...)
		}
		if len(choices) == 0 {
			continue
		}
		var next [][]option
		for _, prefix := range out {
			for _, c := range choices {
				next = append(next, append(append([]option(nil), prefix...), c))
			}
		}
		out = next
	}
	return out
}

// Config paths of the stack file.
const (
	keyDatabase  = "headroom:database"
	keyNetwork   = "headroom:network"
	keyWorkloads = "headroom:workloads"
)

// set is the edit of the key at path (yamlpath segments) and the change
// it shows.
func set(from, to any, path ...string) (Op, Change) {
	return Op{Path: path, Value: fmt.Sprint(to)}, Change{Key: changeKey(path...), From: fmt.Sprint(from), To: fmt.Sprint(to)}
}

// changeKey is how a change names the key at path: yamlpath's spelling
// without the namespace of the first key (workloads[0].db.poolSize).
func changeKey(path ...string) string {
	if len(path) == 0 {
		return ""
	}
	segs := append([]string{strings.TrimPrefix(path[0], config.Namespace+":")}, path[1:]...)
	return yamlpath.String(segs...)
}

// failing reports which mandatory policies fail.
func failing(r report.Report) map[string]bool {
	m := map[string]bool{}
	for _, p := range mandatoryPolicies(r) {
		m[p] = true
	}
	return m
}

// Policies whose failure a lever addresses (names of policies/pack).
var (
	dbPolicies      = []string{pack.PolicyConnectionBudget, pack.PolicyColdStartSuccess, pack.PolicyTimeoutBudget, pack.PolicyReplicaParity, pack.PolicySQLMaxConnections}
	egressPolicies  = []string{pack.PolicyEgressHeadroom, pack.PolicyColdStartSuccess, pack.PolicyTimeoutBudget, pack.PolicyDirectEgressIPs}
	timeoutPolicies = []string{pack.PolicyTimeoutBudget, pack.PolicyColdStartSuccess, pack.PolicyRunProbeWindow}
	haPolicies      = []string{pack.PolicyMultiRegion}
)

func implicated(fail map[string]bool, known map[string]bool, names []string) bool {
	for _, n := range names {
		if fail[n] {
			return true
		}
	}
	// A policy this search does not know (a new scenario): try every lever.
	for p := range fail {
		if !known[p] {
			return true
		}
	}
	return false
}

func buildLevers(st config.Stack, base Outcome) []lever {
	fail := failing(base.Report)
	known := map[string]bool{}
	for _, l := range [][]string{dbPolicies, egressPolicies, timeoutPolicies, haPolicies} {
		for _, p := range l {
			known[p] = true
		}
	}
	var out []lever
	if implicated(fail, known, dbPolicies) {
		for _, b := range worstBudgets(base.Capacity) {
			if l, ok := databaseLever(st, b); ok {
				out = append(out, l)
			}
		}
	}
	if implicated(fail, known, egressPolicies) {
		for _, e := range base.Capacity.Egress {
			if l, ok := egressLever(st, e); ok {
				out = append(out, l)
			}
		}
	}
	if implicated(fail, known, timeoutPolicies) {
		if l, ok := timeoutLever(st, base.Capacity); ok {
			out = append(out, l)
		}
	}
	if asksForHTTPProbe(base.Report) {
		if l, ok := probeLever(st); ok {
			out = append(out, l)
		}
	}
	if implicated(fail, known, haPolicies) {
		if l, ok := haLever(st); ok {
			out = append(out, l)
		}
	}
	// Every change the plan's findings name is a candidate too.
	return addRemedies(out, st, base.Capacity, fail)
}

// judged lists the scenarios that decide the verdict (every non-advisory
// one); a report without scenarios is its cold-start figures alone.
func judged(c capacity.Report) []capacity.ScenarioResult {
	var out []capacity.ScenarioResult
	for _, s := range c.Scenarios {
		if !s.Advisory {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = []capacity.ScenarioResult{{Budgets: c.Budgets, Timeouts: c.Timeouts}}
	}
	return out
}

// worstBudgets is, per database instance, the budget of the scenario that
// needs the most max_connections (a rollout holds both revisions'
// connections), failing when any judged scenario fails it.
func worstBudgets(c capacity.Report) []capacity.ConnectionBudget {
	idx := map[string]int{}
	var out []capacity.ConnectionBudget
	for _, s := range judged(c) {
		for _, b := range s.Budgets {
			i, ok := idx[b.Database]
			if !ok {
				idx[b.Database] = len(out)
				out = append(out, b)
				continue
			}
			failed := out[i].Severity == capacity.SeverityFail || b.Severity == capacity.SeverityFail
			if b.RequiredMaxConnections > out[i].RequiredMaxConnections {
				out[i] = b
			}
			if failed {
				out[i].Severity = capacity.SeverityFail
			}
		}
	}
	return out
}

// dbRef is where a database instance lives in the stack file.
type dbRef struct {
	path    []string // its mapping
	tier    string
	maxConn int
	replica bool
}

func findDB(st config.Stack, name string) (dbRef, bool) {
	if name == st.Database.Name {
		return dbRef{path: []string{keyDatabase}, tier: st.Database.Tier, maxConn: st.Database.MaxConnections}, true
	}
	for i, r := range st.Database.Replicas {
		if r.Name == name {
			tier, mc := r.Tier, r.MaxConnections
			if tier == "" {
				tier = st.Database.Tier
			}
			if mc == 0 {
				mc = st.Database.MaxConnections
			}
			return dbRef{path: []string{keyDatabase, "replicas", yamlpath.Item(i)},
				tier: tier, maxConn: mc, replica: true}, true
		}
	}
	return dbRef{}, false
}

// tierLadder lists Enterprise db-custom tiers (3.75 and 6.5 GB per vCPU)
// or Enterprise Plus N2 tiers larger than cur, cheapest first, as
// capacity.ParseTier accepts them.
func tierLadder(cur capacity.Tier) []capacity.Tier {
	var names []string
	if cur.Edition == capacity.EditionEnterprisePlus {
		for _, v := range []int{2, 4, 8, 16, 32, 48, 64, 80, 96, 128} {
			names = append(names, fmt.Sprintf("db-perf-optimized-N-%d", v))
		}
	} else {
		for _, v := range []int{1, 2, 4, 8, 16, 32, 64, 96} {
			names = append(names, fmt.Sprintf("db-custom-%d-%d", v, v*3840))
			if v <= 16 {
				names = append(names, fmt.Sprintf("db-custom-%d-%d", v, v*6656))
			}
		}
	}
	var out []capacity.Tier
	for _, n := range names {
		t, err := capacity.ParseTier(n)
		if err != nil || t.Edition != cur.Edition {
			continue
		}
		if t.MemoryGB > cur.MemoryGB || t.VCPUs > cur.VCPUs {
			if t.MemoryGB >= cur.MemoryGB && t.VCPUs >= cur.VCPUs {
				out = append(out, t)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return float64(out[i].VCPUs)*6+out[i].MemoryGB < float64(out[j].VCPUs)*6+out[j].MemoryGB
	})
	return out
}

// databaseLever: raise max_connections within the tier's ceiling, a larger
// tier, or lower the demand (maxInstances of one group, overflow to 0).
func databaseLever(st config.Stack, b capacity.ConnectionBudget) (lever, bool) {
	ref, ok := findDB(st, b.Database)
	if !ok {
		return lever{}, false
	}
	cur, err := capacity.ParseTier(ref.tier)
	if err != nil {
		return lever{}, false
	}
	need := max(b.RequiredMaxConnections, ref.maxConn)
	l := lever{name: dbLeverName(b.Database), required: b.Severity == capacity.SeverityFail}
	replicaFollow := func(n int, tier capacity.Tier) ([]Op, []Change) { return replicaFollow(st, ref, n, tier) }
	// Same tier: the max_connections that fits, or the tier's ceiling.
	for _, n := range uniqueInts(need, capacity.MaxConnectionsCeiling(cur)) {
		if n <= ref.maxConn || n > capacity.MaxConnectionsCeiling(cur) {
			continue
		}
		o, c := set(ref.maxConn, n, append(ref.path, "maxConnections")...)
		ro, rc := replicaFollow(n, cur)
		l.options = append(l.options, option{what: fmt.Sprintf("raise %s max_connections to %d on %s", b.Database, n, cur.Name),
			ops: append([]Op{o}, ro...), changes: append([]Change{c}, rc...)})
	}
	// Larger tiers (the three cheapest that hold the demand).
	added := 0
	for _, t := range tierLadder(cur) {
		if added == 3 {
			break
		}
		if need > capacity.MaxConnectionsCeiling(t) {
			continue
		}
		added++
		o1, c1 := set(ref.tier, t.Name, append(ref.path, "tier")...)
		ops, chs := []Op{o1}, []Change{c1}
		n := need
		if n != ref.maxConn {
			o2, c2 := set(ref.maxConn, n, append(ref.path, "maxConnections")...)
			ops, chs = append(ops, o2), append(chs, c2)
		}
		ro, rc := replicaFollow(n, t)
		l.options = append(l.options, option{what: fmt.Sprintf("move %s to %s with max_connections %d", b.Database, t.Name, n),
			ops: append(ops, ro...), changes: append(chs, rc...)})
	}
	if added == 0 {
		if o, ok := aboveInferredCeiling(st, ref, b.Database, need, cur); ok {
			l.options = append(l.options, o)
		}
	}
	// Lower the demand: one group's maxInstances, or every overflow to 0.
	for _, r := range b.MaxInstancesRemedies {
		if !r.Feasible {
			continue
		}
		if o, ok := lowerMaxInstances(st, r.Group, r.MaxInstances); ok {
			l.options = append(l.options, o)
		}
	}
	var ops []Op
	var chs []Change
	var lost []string
	for wi, w := range st.Workloads {
		if st.TargetInstance(w) != b.Database || w.DB.MaxOverflow == 0 {
			continue
		}
		o, c := set(w.DB.MaxOverflow, 0, keyWorkloads, yamlpath.Item(wi), "db", "maxOverflow")
		ops, chs = append(ops, o), append(chs, c)
		if w.DB.StartupConnections > w.DB.PoolSize {
			o, c := set(w.DB.StartupConnections, w.DB.PoolSize, keyWorkloads, yamlpath.Item(wi), "db", "startupConnections")
			ops, chs = append(ops, o), append(chs, c)
		}
		lost = append(lost, fmt.Sprintf("%s: database connections per instance %d → %d (requests beyond the pool wait for a connection)",
			w.Name, w.DB.PoolSize+w.DB.MaxOverflow, w.DB.PoolSize))
	}
	if len(ops) > 0 {
		l.options = append(l.options, option{what: "set maxOverflow to 0 on " + b.Database, ops: ops, changes: chs, givesUp: lost})
	}
	return l, len(l.options) > 0
}

// aboveInferredCeiling is the option of last resort for a database whose
// demand no tier holds inside our inferred max_connections ceiling (4× the
// tier's memory-derived default, docs/gcp-limits.md): max_connections n on
// its own tier, which Cloud SQL accepts up to its documented maximum. The
// ceiling is our inference, so the fix is offered, saying so, rather than
// no fix at all; the plan reports it as advice.
func aboveInferredCeiling(st config.Stack, ref dbRef, db string, n int, cur capacity.Tier) (option, bool) {
	ceiling := capacity.MaxConnectionsCeiling(cur)
	if n <= ceiling || n > capacity.MaxConnectionsFlagMax || n <= ref.maxConn {
		return option{}, false
	}
	o, c := set(ref.maxConn, n, append(ref.path, "maxConnections")...)
	ro, rc := replicaFollow(st, ref, n, cur)
	return option{
		what: fmt.Sprintf("raise %s max_connections to %d on %s, above our inferred ceiling %d for its memory "+
			"(no tier holds it inside that range; check memory under load)", db, n, cur.Name, ceiling),
		ops: append([]Op{o}, ro...), changes: append([]Change{c}, rc...),
	}, true
}

// replicaFollow keeps hot standbys at ≥ the primary's max_connections
// when the primary (ref) moves to n on tier.
func replicaFollow(st config.Stack, ref dbRef, n int, tier capacity.Tier) ([]Op, []Change) {
	if ref.replica {
		return nil, nil
	}
	var ops []Op
	var chs []Change
	for i, r := range st.Database.Replicas {
		if r.MaxConnections != 0 && r.MaxConnections < n {
			o, c := set(r.MaxConnections, n, keyDatabase, "replicas", yamlpath.Item(i), "maxConnections")
			ops, chs = append(ops, o), append(chs, c)
		}
		if r.Tier != "" && r.Tier != tier.Name {
			if rt, err := capacity.ParseTier(r.Tier); err == nil && capacity.MaxConnectionsCeiling(rt) < n {
				o, c := set(r.Tier, tier.Name, keyDatabase, "replicas", yamlpath.Item(i), "tier")
				ops, chs = append(ops, o), append(chs, c)
			}
		}
	}
	return ops, chs
}

func uniqueInts(xs ...int) []int {
	var out []int
	for _, x := range xs {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}

// lowerMaxInstances is the option that lowers workload group's
// maxInstances (per region) to n, saying what request capacity it gives up.
func lowerMaxInstances(st config.Stack, group string, n int) (option, bool) {
	wi, w, ok := workload(st, group)
	if !ok || n >= w.MaxInstances || n < max(w.MinInstances, 1) {
		return option{}, false
	}
	o, c := set(w.MaxInstances, n, keyWorkloads, yamlpath.Item(wi), "maxInstances")
	conc := w.Concurrency
	if conc == 0 {
		conc = capacity.ConcurrencyDefault
	}
	lost := fmt.Sprintf("%s: request capacity %d → %d concurrent requests per region (maxInstances × concurrency %d)",
		w.Name, w.MaxInstances*conc, n*conc, conc)
	return option{what: fmt.Sprintf("lower %s maxInstances to %d", w.Name, n),
		ops: []Op{o}, changes: []Change{c}, givesUp: []string{lost},
		lost: (w.MaxInstances - n) * conc * len(w.Regions)}, true
}

func workload(st config.Stack, group string) (int, config.Workload, bool) {
	for i, w := range st.Workloads {
		if w.Name == group {
			return i, w, true
		}
	}
	return 0, config.Workload{}, false
}

// egressLever: more connector instances at minimum, a larger machine type,
// or Direct VPC egress in the region.
func egressLever(st config.Stack, e capacity.EgressHeadroom) (lever, bool) {
	rg, ok := st.Network.Regions[e.Region]
	if !ok || e.Kind != capacity.EgressConnector || rg.Connector == nil || e.Severity == capacity.SeverityOK {
		return lever{}, false
	}
	cn := *rg.Connector
	l := lever{name: egressLeverName(e.Region), required: e.Severity == capacity.SeverityFail}
	base := []string{keyNetwork, "regions", e.Region, "connector"}
	curM := e.MachineType
	curMin, curMax := e.MinInstances, e.MaxInstances
	for _, m := range capacity.ConnectorMachines() {
		cur, _ := capacity.LookupConnectorMachine(curM)
		if m.PerInstanceMbps < cur.PerInstanceMbps {
			continue
		}
		minI := max(capacity.ConnectorMinInstancesFloor, int(math.Ceil(e.ColdStartMbps/m.PerInstanceMbps)))
		if m.Name == curM && minI <= curMin {
			continue
		}
		if minI >= capacity.ConnectorMaxInstancesCeiling {
			continue
		}
		maxI := max(curMax, minI+1)
		var ops []Op
		var chs []Change
		if m.Name != curM {
			o, c := set(curM, m.Name, append(base, "machineType")...)
			ops, chs = append(ops, o), append(chs, c)
		}
		if minI != curMin {
			o, c := set(curMin, minI, append(base, "minInstances")...)
			ops, chs = append(ops, o), append(chs, c)
		}
		if maxI != curMax {
			o, c := set(curMax, maxI, append(base, "maxInstances")...)
			ops, chs = append(ops, o), append(chs, c)
		}
		l.options = append(l.options, option{what: fmt.Sprintf("connector %s: %s × %d at minimum", cn.Name, m.Name, minI), ops: ops, changes: chs})
	}
	if o, ok := directEgress(st, e.Region); ok {
		l.options = append(l.options, o)
	}
	return l, len(l.options) > 0
}

// directEgress is the option that replaces region's connector by Direct
// VPC egress on a free subnet sized for a rollout (freeDirectSubnet).
func directEgress(st config.Stack, region string) (option, bool) {
	rg, ok := st.Network.Regions[region]
	if !ok || rg.Connector == nil {
		return option{}, false
	}
	cidr, ok := freeDirectSubnet(st, region)
	if !ok {
		return option{}, false
	}
	rp := []string{keyNetwork, "regions", region}
	ops := []Op{
		{Path: append(rp, "egress"), Value: "direct"},
		{Path: append(rp, "connector"), Delete: true},
		{Path: append(rp, "direct", "subnet"), Value: cidr},
	}
	chs := []Change{
		{Key: changeKey(ops[0].Path...), From: "connector", To: "direct"},
		{Key: changeKey(ops[1].Path...), From: rg.Connector.Name, To: "(removed)"},
		{Key: changeKey(ops[2].Path...), From: "", To: cidr},
	}
	return option{what: "Direct VPC egress in " + region + " (subnet " + cidr + ")", ops: ops, changes: chs}, true
}

// freeDirectSubnet finds a Direct VPC egress subnet for a region: the
// smallest prefix (≤ /26) whose usable addresses hold both revisions of a
// rollout (2 × 2 × Σ maxInstances + 16), at the first 10.x.0.0 that overlaps no range of the stack.
func freeDirectSubnet(st config.Stack, region string) (string, bool) {
	total := 0
	for _, w := range st.Workloads {
		for _, r := range w.Regions {
			if r == region {
				total += w.MaxInstances
			}
		}
	}
	// A rollout runs the old and the new revision side by side, each up to
	// its maxInstances (docs/gcp-limits.md#cloud-run-rollout), so the subnet
	// holds both revisions' IPs.
	needed := capacity.DirectEgressIPsNeeded(2 * total)
	bits := capacity.DirectEgressMaxPrefixLength
	for ; bits > 8; bits-- {
		_, usable, err := capacity.SubnetUsableIPs(fmt.Sprintf("10.0.0.0/%d", bits))
		if err == nil && usable >= needed {
			break
		}
	}
	return freePrefix(st, bits, "")
}

// freePrefix is the first 10.x.0.0/bits (x ≥ 20) that overlaps no range of
// the stack except skip (the range being replaced).
func freePrefix(st config.Stack, bits int, skip string) (string, bool) {
	for second := 20; second < 256; second++ {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(second), 0, 0}), bits).Masked()
		if freeOf(st, p.String(), skip) {
			return p.String(), true
		}
	}
	return "", false
}

// freeOf reports whether cidr overlaps none of the stack's ranges (private
// services access, region subnets, connector and Direct VPC egress ranges)
// except skip, the range being replaced.
func freeOf(st config.Stack, cidr, skip string) bool {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return false
	}
	ranges := []string{st.Network.PrivateServiceAccessRange}
	for _, r := range st.Network.Regions {
		ranges = append(ranges, r.Subnet)
		if r.Connector != nil {
			ranges = append(ranges, r.Connector.IPCIDRRange)
		}
		if r.Direct != nil {
			ranges = append(ranges, r.Direct.Subnet)
		}
	}
	for _, s := range ranges {
		if s == skip {
			continue
		}
		if u, err := netip.ParsePrefix(s); err == nil && u.Masked().Overlaps(p) {
			return false
		}
	}
	return true
}

// timeoutLever: the connect timeout of every failing workload raised to
// cover its worst case (≤ Cloud Run's startup window ceiling,
// capacity.StartupProbeMaxWindowSeconds), and the startup probe
// window raised to cover the timeout.
func timeoutLever(st config.Stack, c capacity.Report) (lever, bool) {
	worst := map[int]float64{}
	var tbs []capacity.TimeoutBudget
	for _, s := range judged(c) {
		tbs = append(tbs, s.Timeouts...)
	}
	for _, tb := range tbs {
		if tb.Severity != capacity.SeverityFail {
			continue
		}
		for wi, w := range st.Workloads {
			if strings.HasPrefix(tb.Workload, w.Name) {
				worst[wi] = math.Max(worst[wi], tb.WorstCaseSeconds)
			}
		}
	}
	var ops []Op
	var chs []Change
	limit := float64(capacity.StartupProbeMaxWindowSeconds)
	for wi, w := range st.Workloads {
		to := w.DB.ConnectTimeoutSeconds
		if need, ok := worst[wi]; ok {
			if t := math.Min(limit, math.Ceil(need/5)*5+5); t > to {
				o, ch := set(to, t, keyWorkloads, yamlpath.Item(wi), "db", "connectTimeoutSeconds")
				ops, chs = append(ops, o), append(chs, ch)
				to = t
			}
		}
		// The startup probe's window must cover the connect timeout.
		p := w.StartupProbe
		cp := capacity.Probe{InitialDelaySeconds: p.InitialDelaySeconds, PeriodSeconds: p.PeriodSeconds,
			TimeoutSeconds: p.TimeoutSeconds, FailureThreshold: p.FailureThreshold}
		if capacity.ProbeWindowSeconds(cp) >= to {
			continue
		}
		period := p.PeriodSeconds
		if period == 0 {
			period = capacity.StartupProbeDefaultPeriodSeconds
		}
		thr := int(math.Ceil((to - float64(p.InitialDelaySeconds)) / float64(period)))
		if thr <= p.FailureThreshold || float64(p.InitialDelaySeconds+period*thr) > limit {
			continue
		}
		o, ch := set(p.FailureThreshold, thr, keyWorkloads, yamlpath.Item(wi), "startupProbe", "failureThreshold")
		ops, chs = append(ops, o), append(chs, ch)
		if p.PeriodSeconds == 0 {
			o, ch := set(0, period, keyWorkloads, yamlpath.Item(wi), "startupProbe", "periodSeconds")
			ops, chs = append(ops, o), append(chs, ch)
		}
	}
	if len(ops) == 0 {
		return lever{}, false
	}
	return lever{name: leverTimeouts, options: []option{{what: "longer connect timeouts and probe windows", ops: ops, changes: chs}}}, true
}

// haLever: what the multi-region rule needs — an HA primary and a
// cross-region replica (in a region the network already has).
func haLever(st config.Stack) (lever, bool) {
	var ops []Op
	var chs []Change
	var whats []string
	if !strings.EqualFold(st.Database.Availability, capacity.AvailabilityRegional) {
		whats = append(whats, "HA (REGIONAL) primary")
		o, c := set(nonEmpty(st.Database.Availability, capacity.AvailabilityZonal), capacity.AvailabilityRegional, keyDatabase, "availability")
		ops, chs = append(ops, o), append(chs, c)
	}
	if len(st.Database.Replicas) == 0 {
		for _, r := range st.SortedRegions() {
			if r == st.Database.Region {
				continue
			}
			name := st.Database.Name + "-replica"
			v := fmt.Sprintf("[{name: %s, region: %s}]", name, r)
			ops = append(ops, Op{Path: []string{keyDatabase, "replicas"}, Value: v, Flow: true})
			chs = append(chs, Change{Key: changeKey(keyDatabase, "replicas"), From: "[]", To: v})
			whats = append(whats, "a replica in "+r)
			break
		}
	}
	if len(ops) == 0 {
		return lever{}, false
	}
	return lever{name: leverHA, required: true, options: []option{{what: strings.Join(whats, " and "), ops: ops, changes: chs}}}, true
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// asksForHTTPProbe reports whether a mandatory violation is the TCP-probe
// rule (its remedy names the startupProbe.path key).
func asksForHTTPProbe(r report.Report) bool {
	for _, v := range r.Violations {
		if v.Level == report.LevelMandatory && strings.Contains(v.Message, "startupProbe.path") {
			return true
		}
	}
	return false
}

// HTTPProbePath is the startup probe path suggest proposes in place of a
// TCP probe: an endpoint that answers once the database connect succeeded
// (the one the repository's stacks use).
const HTTPProbePath = "/healthz/db"

// probeLever: an HTTP startup probe (startupProbe.path) on every workload
// with a database whose probe is TCP, which passes as soon as the port is
// bound, before the database is reachable (docs/gcp-limits.md#cloud-run).
func probeLever(st config.Stack) (lever, bool) {
	var ops []Op
	var chs []Change
	var names []string
	for wi, w := range st.Workloads {
		if w.StartupProbe.Path != "" || w.DB.Database == "" {
			continue
		}
		o, c := set("", HTTPProbePath, keyWorkloads, yamlpath.Item(wi), "startupProbe", "path")
		ops, chs, names = append(ops, o), append(chs, c), append(names, w.Name)
	}
	if len(ops) == 0 {
		return lever{}, false
	}
	return lever{name: leverProbe, options: []option{{what: "HTTP startup probe " + HTTPProbePath + " on " + strings.Join(names, ", "), ops: ops, changes: chs}}}, true
}
