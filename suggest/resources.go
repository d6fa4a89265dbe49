package suggest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/cost"
	"github.com/headroom-dev/headroom/ingest"
)

// Suggest on a stack read from the Pulumi CLI's files (`pulumi preview
// --json`, `pulumi stack export`) of a program in any language: there is no
// stack file to patch, so each fix is a set of property edits of the
// resources — a database flag, a scaling field, an env value or one
// parameter of a connection string — named in those terms. Every candidate
// is applied to a copy of the resources and re-judged through the same
// plan pipeline (ResourcePlanner, pack.Evaluate under it); only passing
// ones are shown. What no property edit can change (a value in Secret
// Manager, a pool set in code) is advice: what to set and where, marked
// not verified.

// KindResources is Result.Kind of a stack read from a preview or state.
const KindResources = "resources"

// ResourcePlanner judges a resource list through the plan pipeline.
type ResourcePlanner func(ctx context.Context, resources []policyx.AnalyzerResource) (Outcome, error)

// ResourceStack is a stack read from a preview or state export.
type ResourceStack struct {
	Name string
	// File names the file(s) read, for display.
	File      string
	Resources []policyx.AnalyzerResource
}

// ResourceChange is one property edit of one resource. A connection
// string is never shown: Setting names the parameter and env var, From
// and To are the parameter's values.
type ResourceChange struct {
	Resource string `json:"resource"`
	Type     string `json:"type"`
	URN      string `json:"urn"`
	// Property is the property path edited, e.g.
	// "settings.databaseFlags[max_connections]".
	Property string `json:"property"`
	// Setting says it as a user writes it, e.g. "env DATABASE_URL
	// parameter connection_limit".
	Setting string `json:"setting"`
	From    string `json:"from"`
	To      string `json:"to"`
}

// Advice is a change the search cannot make on the resources: what to set
// and where. It is not re-planned.
type Advice struct {
	Resource string `json:"resource"`
	URN      string `json:"urn"`
	What     string `json:"what"`
	Verified bool   `json:"verified"`
}

// NotExploredResources is what the search on resources never changes.
var NotExploredResources = []string{
	"Direct VPC egress, subnets, startup probes and cross-region replicas (named as advice when a finding asks for them)",
	"worker or thread counts (gunicorn, Puma, WEB_CONCURRENCY), pools set in code or in Secret Manager (advice only)",
	"Enterprise ↔ Enterprise Plus edition changes, N4/C4A tiers and Managed Connection Pooling",
	"combinations of more than three changes",
}

// resEdit is one property edit.
type resEdit struct {
	urn    string
	apply  func(property.Map) property.Map
	change ResourceChange
}

// resOption is one alternative of a resource lever.
type resOption struct {
	what    string
	edits   []resEdit
	givesUp []string
	lost    int
}

type resLever struct {
	name    string
	options []resOption
}

// errPlanBudget stops the search when MaxPlans re-plans are used.
var errPlanBudget = errors.New("re-plan budget used")

type resSearch struct {
	ctx     context.Context
	plan    ResourcePlanner
	base    []policyx.AnalyzerResource
	byURN   map[string]int
	planned int
	max     int
	advice  []Advice
}

func (s *resSearch) apply(opts []resOption) []policyx.AnalyzerResource {
	out := slices.Clone(s.base)
	for _, o := range opts {
		for _, e := range o.edits {
			i := s.byURN[e.urn]
			out[i].Properties = e.apply(out[i].Properties)
		}
	}
	return out
}

// passes re-plans the resources with opts applied.
func (s *resSearch) passes(opts ...resOption) (Outcome, bool, error) {
	if s.planned >= s.max {
		return Outcome{}, false, errPlanBudget
	}
	if err := s.ctx.Err(); err != nil {
		return Outcome{}, false, err
	}
	s.planned++
	o, err := s.plan(s.ctx, s.apply(opts))
	if err != nil {
		return Outcome{}, false, err
	}
	return o, !o.Report.Failed(), nil
}

func (s *resSearch) advise(r *policyx.AnalyzerResource, format string, args ...any) {
	a := Advice{Resource: resourceDisplayName(r), URN: r.URN, What: contract.Redact(fmt.Sprintf(format, args...))}
	for _, have := range s.advice {
		if have == a {
			return
		}
	}
	s.advice = append(s.advice, a)
}

// SearchResources plans the resources and, when they are refused, searches
// property edits that make them pass, ranked like Search: those that keep
// the request capacity first, then by monthly cost, fewest changes.
func SearchResources(ctx context.Context, plan ResourcePlanner, st ResourceStack, opt Options) (Result, error) {
	start := time.Now()
	if opt.MaxPlans <= 0 {
		opt.MaxPlans = 150
	}
	if opt.Keep <= 0 {
		opt.Keep = 3
	}
	base, err := plan(ctx, st.Resources)
	if err != nil {
		return Result{}, err
	}
	baseCost := cost.Estimate(ingest.PricedStack(st.Resources))
	res := Result{Kind: KindResources, Stack: st.Name, File: st.File, Verdict: base.Report.Verdict, MonthlyUSD: baseCost.MonthlyUSD,
		CostLabel: baseCost.Label, Suggestions: []Suggestion{}, Violations: mandatoryPolicies(base.Report),
		NotExplored: NotExploredResources, Advice: []Advice{}}
	if !base.Report.Failed() {
		res.Seconds = time.Since(start).Seconds()
		return res, nil
	}
	s := &resSearch{ctx: ctx, plan: plan, base: st.Resources, byURN: map[string]int{}, max: opt.MaxPlans}
	for i, r := range st.Resources {
		s.byURN[r.URN] = i
	}
	levers, err := s.levers(base)
	if err != nil && !errors.Is(err, errPlanBudget) {
		return Result{}, err
	}
	type cand struct {
		rank
		opts []resOption
	}
	var cands []cand
	for _, combo := range resCombinations(levers, 3, 2000) {
		c := cand{opts: combo}
		for _, o := range combo {
			c.givesUp = c.givesUp || len(o.givesUp) > 0
			c.lost += o.lost
			c.nchg += len(o.edits)
		}
		c.cost = cost.Estimate(ingest.PricedStack(s.apply(combo)))
		cands = append(cands, c)
	}
	res.Candidates = len(cands)
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].before(cands[j].rank) })
	keep, keepLoss := opt.Keep, max(opt.Keep-1, 1)
	var accepted [][]string
	for _, c := range cands {
		whats := make([]string, len(c.opts))
		for i, o := range c.opts {
			whats[i] = o.what
		}
		if containsAll(whats, accepted) || (keep == 0 && keepLoss == 0) {
			continue
		}
		if c.givesUp && keepLoss == 0 || !c.givesUp && keep == 0 {
			continue
		}
		out, ok, err := s.passes(c.opts...)
		if errors.Is(err, errPlanBudget) {
			break
		}
		if err != nil {
			return Result{}, err
		}
		if !ok {
			continue
		}
		res.Passed++
		accepted = append(accepted, whats)
		if c.givesUp {
			keepLoss--
		} else {
			keep--
		}
		sg := Suggestion{Verdict: out.Report.Verdict, MonthlyUSD: c.cost.MonthlyUSD,
			DeltaUSD: math.Round((c.cost.MonthlyUSD-baseCost.MonthlyUSD)*100) / 100,
			GivesUp:  []string{}, Unpriced: append([]string{}, c.cost.Unpriced...), Hunks: []Hunk{}, Databases: []DBFit{},
			Summary: strings.Join(whats, "; "), newResources: s.apply(c.opts)}
		for _, o := range c.opts {
			sg.GivesUp = append(sg.GivesUp, o.givesUp...)
			for _, e := range o.edits {
				sg.ResourceChanges = append(sg.ResourceChanges, e.change)
				sg.Changes = append(sg.Changes, Change{Key: e.change.Resource + ": " + e.change.Setting, From: e.change.From, To: e.change.To})
			}
		}
		if sim := out.Report.Simulation; sim != nil {
			sg.SuccessRate, sg.ConnectP99 = sim.SuccessRate, sim.ConnectP99Seconds
		}
		for _, b := range worstBudgets(out.Capacity) {
			sg.Databases = append(sg.Databases, DBFit{Database: b.Database, MaxConnections: b.MaxConnections,
				Demand: b.Demand, Allowed: b.Allowed, Utilization: math.Round(b.Utilization*1000) / 1000})
		}
		res.Suggestions = append(res.Suggestions, sg)
	}
	sort.SliceStable(res.Suggestions, func(i, j int) bool {
		a, b := res.Suggestions[i], res.Suggestions[j]
		if (len(a.GivesUp) > 0) != (len(b.GivesUp) > 0) {
			return len(a.GivesUp) == 0
		}
		if a.MonthlyUSD != b.MonthlyUSD {
			return a.MonthlyUSD < b.MonthlyUSD
		}
		return len(a.ResourceChanges) < len(b.ResourceChanges)
	})
	for i := range res.Suggestions {
		res.Suggestions[i].Rank = i + 1
	}
	res.Planned = s.planned
	res.Advice = append(res.Advice, s.advice...)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// NewResources are the resources after a fix of KindResources (what was
// re-judged).
func (s Suggestion) NewResources() []policyx.AnalyzerResource { return s.newResources }

// containsAll reports whether whats holds every option of one accepted
// fix (a passing fix with fewer changes is already shown).
func containsAll(whats []string, accepted [][]string) bool {
	for _, a := range accepted {
		all := true
		for _, w := range a {
			if !slices.Contains(whats, w) {
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

// resCombinations are the combinations of at most maxLevers levers' options
// (one per lever), fewest changes first, at most limit of them.
func resCombinations(levers []resLever, maxLevers, limit int) [][]resOption {
	var out [][]resOption
	var walk func(from int, prefix []resOption)
	walk = func(from int, prefix []resOption) {
		for i := from; i < len(levers) && len(out) < limit; i++ {
			for _, o := range levers[i].options {
				c := append(slices.Clone(prefix), o)
				out = append(out, c)
				if len(c) < maxLevers {
					walk(i+1, c)
				}
			}
		}
	}
	walk(0, nil)
	return out
}

// levers builds the options: one lever per capacity remedy target (the
// same machine-readable remedies the stack-file search turns into edits)
// and one per service of a refused budget whose pool a property sets.
func (s *resSearch) levers(base Outcome) ([]resLever, error) {
	var levers []resLever
	add := func(name string, o resOption) {
		if len(o.edits) == 0 {
			return
		}
		for i := range levers {
			if levers[i].name == name {
				levers[i].options = append(levers[i].options, o)
				return
			}
		}
		levers = append(levers, resLever{name: name, options: []resOption{o}})
	}
	for _, r := range strongestRemedies(base.Capacity, failing(base.Report)) {
		switch r.Kind {
		case capacity.RemedyMaxConnections:
			if o, ok := s.maxConnections(r); ok {
				add(dbLeverName(r.Target), o)
			}
		case capacity.RemedyLowerMaxInstances:
			if o, ok := s.lowerMaxInstances(r); ok {
				add("max instances "+r.Target, o)
			}
		case capacity.RemedyConnectorMinInstances, capacity.RemedyConnectorMachineType:
			if o, ok := s.connector(r); ok {
				add(egressLeverName(r.Target), o)
			}
		case capacity.RemedyRegionalAvailability:
			if inst := s.find(contract.TypeSQLInstance, r.Target); inst != nil {
				add(leverHA, s.setOption(inst, fmt.Sprintf("make %s REGIONAL (HA)", r.Target), "settings.availabilityType",
					capacity.AvailabilityRegional, "settings", "availabilityType"))
			}
		default:
			s.remedyAdvice(r)
		}
	}
	for _, svc := range s.budgetServices(base.Capacity) {
		o, ok, err := s.pool(svc)
		if err != nil {
			return levers, err
		}
		if ok {
			add("pool "+resourceDisplayName(svc), o)
		}
	}
	return levers, nil
}

// find is the resource of type typ the pack names name.
func (s *resSearch) find(typ, name string) *policyx.AnalyzerResource {
	for i := range s.base {
		if r := &s.base[i]; r.Type == typ && resourceDisplayName(r) == name {
			return r
		}
	}
	return nil
}

// setOption sets one property of r to a string value.
func (s *resSearch) setOption(r *policyx.AnalyzerResource, what, prop, to string, path ...string) resOption {
	from, _ := propText(ingest.At(r.Properties, path...))
	if from == to {
		return resOption{}
	}
	return resOption{what: what, edits: []resEdit{{urn: r.URN,
		apply:  func(p property.Map) property.Map { return setProp(p, property.New(to), path...) },
		change: change(r, prop, prop, from, to)}}}
}

func change(r *policyx.AnalyzerResource, prop, setting, from, to string) ResourceChange {
	return ResourceChange{Resource: resourceDisplayName(r), Type: r.Type, URN: r.URN, Property: prop, Setting: setting,
		From: nonEmpty(from, "(unset)"), To: to}
}

// maxConnections: the instance's max_connections flag to the remedy's
// value on its tier when the tier's ceiling holds it, else on the
// cheapest larger tier that does; its replicas follow (PostgreSQL needs a
// hot standby's max_connections ≥ its primary's).
func (s *resSearch) maxConnections(r capacity.Remedy) (resOption, bool) {
	inst := s.find(contract.TypeSQLInstance, r.Target)
	if inst == nil || r.Value <= 0 {
		return resOption{}, false
	}
	tierName, _ := propText(ingest.At(inst.Properties, "settings", "tier"))
	tier, err := capacity.ParseTier(tierName)
	if err != nil {
		return resOption{}, false
	}
	curText, explicit := databaseFlag(inst.Properties, "max_connections")
	cur, _ := strconv.Atoi(curText)
	if !explicit {
		cur = capacity.DefaultMaxConnections(tier)
	}
	n := max(r.Value, cur)
	if n == cur && explicit {
		return resOption{}, false
	}
	o := resOption{what: fmt.Sprintf("raise %s max_connections to %d", r.Target, n)}
	if n > capacity.MaxConnectionsCeiling(tier) {
		moved := false
		for _, t := range tierLadder(tier) {
			if n <= capacity.MaxConnectionsCeiling(t) {
				to := t.Name
				o.what = fmt.Sprintf("move %s to %s with max_connections %d", r.Target, to, n)
				o.edits = append(o.edits, resEdit{urn: inst.URN,
					apply:  func(p property.Map) property.Map { return setProp(p, property.New(to), "settings", "tier") },
					change: change(inst, "settings.tier", "settings.tier", tierName, to)})
				moved = true
				break
			}
		}
		if !moved {
			s.advise(inst, "needs max_connections ≥ %d, above the ceiling of every tier the search tries from %s: split the demand across instances or lower it", n, tierName)
			return resOption{}, false
		}
	}
	flag := func(target *policyx.AnalyzerResource, from string) resEdit {
		v := strconv.Itoa(n)
		return resEdit{urn: target.URN,
			apply:  func(p property.Map) property.Map { return setDatabaseFlag(p, "max_connections", v) },
			change: change(target, "settings.databaseFlags[max_connections]", "settings.databaseFlags max_connections", from, v)}
	}
	o.edits = append(o.edits, flag(inst, curText))
	for i := range s.base {
		rep := &s.base[i]
		master, _ := propText(ingest.At(rep.Properties, "masterInstanceName"))
		if rep.Type != contract.TypeSQLInstance || master == "" || master[strings.LastIndexByte(master, ':')+1:] != r.Target {
			continue
		}
		if v, ok := databaseFlag(rep.Properties, "max_connections"); !ok || atoi(v) < n {
			o.edits = append(o.edits, flag(rep, v))
		}
	}
	return o, true
}

func atoi(s string) int { n, _ := strconv.Atoi(strings.TrimSpace(s)); return n }

// services are the Cloud Run services of workload group g (the
// headroom-workload label, else the service's name).
func (s *resSearch) services(g string) []*policyx.AnalyzerResource {
	var out []*policyx.AnalyzerResource
	for i := range s.base {
		r := &s.base[i]
		if r.Type != contract.TypeRunService {
			continue
		}
		group := resourceDisplayName(r)
		if l, ok := propText(ingest.At(r.Properties, "labels", contract.LabelWorkload)); ok && l != "" {
			group = l
		}
		if group == g {
			out = append(out, r)
		}
	}
	return out
}

// lowerMaxInstances: every service of the group at most Value instances,
// saying what request capacity that gives up.
func (s *resSearch) lowerMaxInstances(r capacity.Remedy) (resOption, bool) {
	o := resOption{what: fmt.Sprintf("lower %s maxInstanceCount to %d", r.Target, r.Value)}
	for _, svc := range s.services(r.Target) {
		conc, ok := propInt(ingest.At(svc.Properties, "template", "maxInstanceRequestConcurrency"))
		if !ok || conc <= 0 {
			conc = capacity.ConcurrencyDefault
		}
		for _, path := range [][]string{{"template", "scaling", "maxInstanceCount"}, {"scaling", "maxInstanceCount"}} {
			cur, ok := propInt(ingest.At(svc.Properties, path...))
			if path[0] == "scaling" && !ok {
				continue // the service-level cap is pulumi-gcp v9+'s, set only when the program sets it
			}
			if ok && cur <= r.Value {
				continue
			}
			from := "(unset)"
			if ok {
				from = strconv.Itoa(cur)
			} else {
				cur = capacity.CloudRunDefaultMaxInstances
			}
			v := float64(r.Value)
			prop := strings.Join(path, ".")
			o.edits = append(o.edits, resEdit{urn: svc.URN,
				apply:  func(p property.Map) property.Map { return setProp(p, property.New(v), path...) },
				change: change(svc, prop, prop, from, strconv.Itoa(r.Value))})
			if path[0] == "template" {
				o.givesUp = append(o.givesUp, fmt.Sprintf("%s: request capacity %d → %d concurrent requests (maxInstanceCount × concurrency %d)",
					resourceDisplayName(svc), cur*conc, r.Value*conc, conc))
				o.lost += (cur - r.Value) * conc
			}
		}
	}
	return o, len(o.edits) > 0
}

// connector: region Target's connector at minInstances ≥ Value (on the
// remedy's machine type when it names one), maxInstances above it.
func (s *resSearch) connector(r capacity.Remedy) (resOption, bool) {
	var cn *policyx.AnalyzerResource
	for i := range s.base {
		c := &s.base[i]
		if c.Type != contract.TypeConnector {
			continue
		}
		region, _ := propText(ingest.At(c.Properties, "region"))
		if region == r.Target {
			cn = c
		}
	}
	if cn == nil || r.Value <= 0 {
		return resOption{}, false
	}
	p := cn.Properties
	if !ingest.At(p, "maxThroughput").IsNull() || !ingest.At(p, "minThroughput").IsNull() {
		s.advise(cn, "connector %s sets its size by throughput: give it minInstances %d (and maxInstances above it) instead", resourceDisplayName(cn), r.Value)
		return resOption{}, false
	}
	machine, ok := propText(ingest.At(p, "machineType"))
	if !ok {
		machine = capacity.ConnectorDefaultMachineType
	}
	minI, ok := propInt(ingest.At(p, "minInstances"))
	if !ok {
		minI = capacity.ConnectorDefaultMinInstances
	}
	maxI, ok := propInt(ingest.At(p, "maxInstances"))
	if !ok {
		maxI = capacity.ConnectorDefaultMaxInstances
	}
	o := resOption{}
	if r.MachineType != "" && r.MachineType != machine {
		o.edits = append(o.edits, s.setOption(cn, "", "machineType", r.MachineType, "machineType").edits...)
		machine = r.MachineType
	}
	num := func(prop string, from, to int) resEdit {
		v := float64(to)
		return resEdit{urn: cn.URN, apply: func(p property.Map) property.Map { return setProp(p, property.New(v), prop) },
			change: change(cn, prop, prop, strconv.Itoa(from), strconv.Itoa(to))}
	}
	newMin := max(r.Value, minI)
	if newMin != minI {
		o.edits = append(o.edits, num("minInstances", minI, newMin))
	}
	if newMax := min(max(maxI, newMin+1), capacity.ConnectorMaxInstancesCeiling); newMax != maxI {
		o.edits = append(o.edits, num("maxInstances", maxI, newMax))
	}
	o.what = fmt.Sprintf("connector %s: %s × %d at minimum", resourceDisplayName(cn), machine, newMin)
	return o, len(o.edits) > 0
}

// remedyAdvice names a remedy no property edit here makes.
func (s *resSearch) remedyAdvice(r capacity.Remedy) {
	var what string
	switch r.Kind {
	case capacity.RemedyDirectEgress:
		what = fmt.Sprintf("use Direct VPC egress in %s (template.vpcAccess.networkInterfaces with a subnet of its own)", r.Target)
	case capacity.RemedyDirectSubnetPrefix:
		what = fmt.Sprintf("give the Direct VPC egress subnet in %s a /%d or larger range (ipCidrRange)", r.Target, r.Value)
	case capacity.RemedyHTTPStartupProbe:
		what = fmt.Sprintf("give %s an HTTP startup probe that tests the database (template.containers[].startupProbe.httpGet)", r.Target)
	case capacity.RemedyProbeWindow:
		what = fmt.Sprintf("give %s a startup probe window of at least %d s (startupProbe failureThreshold × periodSeconds + initialDelaySeconds)", r.Target, r.Value)
	case capacity.RemedyCrossRegionReplica:
		what = fmt.Sprintf("give %s a read replica in another region (masterInstanceName = %s)", r.Target, r.Target)
	default:
		what = fmt.Sprintf("%s on %s (%d)", r.Kind, r.Target, r.Value)
	}
	a := Advice{Resource: r.Target, What: what}
	if inst := s.find(contract.TypeSQLInstance, r.Target); inst != nil {
		a.URN = inst.URN
	} else if svcs := s.services(r.Target); len(svcs) > 0 {
		a.URN = svcs[0].URN
	}
	s.advice = append(s.advice, a)
}

// budgetServices are the Cloud Run services counted in a refused
// connection budget, in the order the budgets list them.
func (s *resSearch) budgetServices(c capacity.Report) []*policyx.AnalyzerResource {
	var out []*policyx.AnalyzerResource
	seen := map[string]bool{}
	for _, b := range worstBudgets(c) {
		if b.Severity != capacity.SeverityFail {
			continue
		}
		for _, w := range b.Contributors {
			if seen[w.Workload] {
				continue
			}
			seen[w.Workload] = true
			if r := s.find(contract.TypeRunService, w.Workload); r != nil {
				out = append(out, r)
			}
		}
	}
	return out
}
