package suggest

import (
	"fmt"
	"math"
	"net/netip"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/yamlpath"
)

// The capacity model's findings carry their remedies machine-readable
// (capacity.Remedy): every change a plan prints is turned here into a
// candidate edit, so suggest never misses a fix the plan itself names.
// The levers of search.go search further (cheaper tiers, other machine
// types); these candidates join them, deduplicated.

// remedyBuilder turns one remedy into the options it means on the stack
// file, and names the lever they belong to (options of one lever are
// alternatives).
type remedyBuilder func(st config.Stack, r capacity.Remedy) (lever string, opts []option)

// remedyBuilders has a builder for every capacity.RemedyKind (a test
// checks it).
var remedyBuilders = map[capacity.RemedyKind]remedyBuilder{
	capacity.RemedyMaxConnections:        maxConnectionsRemedy,
	capacity.RemedyLowerMaxInstances:     lowerMaxInstancesRemedy,
	capacity.RemedyConnectorMinInstances: connectorRemedy,
	capacity.RemedyConnectorMachineType:  connectorRemedy,
	capacity.RemedyDirectEgress:          directEgressRemedy,
	capacity.RemedyDirectSubnetPrefix:    directSubnetRemedy,
	capacity.RemedyHTTPStartupProbe:      httpProbeRemedy,
	capacity.RemedyProbeWindow:           probeWindowRemedy,
	capacity.RemedyRegionalAvailability:  haRemedy,
	capacity.RemedyCrossRegionReplica:    haRemedy,
}

// Lever names shared with search.go's levers, so a remedy's option is an
// alternative to theirs rather than a second change of the same key.
func dbLeverName(db string) string         { return "database " + db }
func egressLeverName(region string) string { return "egress " + region }

const (
	leverTimeouts = "timeouts"
	leverProbe    = "startup probe"
	leverHA       = "high availability"
)

// addRemedies adds the options of every remedy of the findings that refuse
// the stack to levers (a new, optional lever where none has the name): the
// failing findings of a check whose policy fails as mandatory, and its
// static warnings (no scenario) that the policy escalates. A warning of a
// judged scenario, or of an advisory one (the overshoot), refuses nothing.
//
// Of the remedies of one kind and target (each scenario names its own), the
// strongest stands for the others: a failing scenario that needs
// max_connections ≥ 943 refuses 480 whatever the cold start needs, so the
// weaker ones could only be re-planned to fail.
func addRemedies(levers []lever, st config.Stack, c capacity.Report, fail map[string]bool) []lever {
	for _, r := range strongestRemedies(c, fail) {
		build, ok := remedyBuilders[r.Kind]
		if !ok {
			continue
		}
		name, opts := build(st, r)
		levers = mergeOptions(levers, name, opts)
	}
	return levers
}

// strongestRemedies are the remedies addRemedies turns into options, the
// strongest of each kind and target, in the findings' order.
func strongestRemedies(c capacity.Report, fail map[string]bool) []capacity.Remedy {
	type key struct {
		kind            capacity.RemedyKind
		target, machine string
	}
	strongest := map[key]capacity.Remedy{}
	var order []key
	for _, f := range c.Findings {
		if !fail[f.Check] || (f.Severity != capacity.SeverityFail && f.Scenario != "") {
			continue
		}
		for _, r := range f.Remedies {
			k := key{r.Kind, r.Target, r.MachineType}
			have, ok := strongest[k]
			if !ok {
				order = append(order, k)
				strongest[k] = r
				continue
			}
			if stronger(r, have) {
				strongest[k] = r
			}
		}
	}
	out := make([]capacity.Remedy, 0, len(order))
	for _, k := range order {
		out = append(out, strongest[k])
	}
	return out
}

// stronger reports whether remedy a asks for more than b of the same kind
// and target: fewer instances or a shorter prefix (a larger subnet) for
// the kinds that lower a number, a larger number for the others.
func stronger(a, b capacity.Remedy) bool {
	switch a.Kind {
	case capacity.RemedyLowerMaxInstances, capacity.RemedyDirectSubnetPrefix:
		return a.Value < b.Value
	}
	return a.Value > b.Value
}

// mergeOptions adds opts to the lever named name, skipping an option whose
// edits one of the lever's options already makes.
func mergeOptions(levers []lever, name string, opts []option) []lever {
	if len(opts) == 0 {
		return levers
	}
	li := -1
	for i := range levers {
		if levers[i].name == name {
			li = i
		}
	}
	if li < 0 {
		levers = append(levers, lever{name: name})
		li = len(levers) - 1
	}
	for _, o := range opts {
		dup := false
		for _, have := range levers[li].options {
			if fmt.Sprint(have.ops) == fmt.Sprint(o.ops) {
				dup = true
				break
			}
		}
		if !dup {
			levers[li].options = append(levers[li].options, o)
		}
	}
	return levers
}

// maxConnectionsRemedy: max_connections ≥ Value on database Target, on its
// tier when the tier's ceiling holds it, else on the cheapest larger tier
// that does.
func maxConnectionsRemedy(st config.Stack, r capacity.Remedy) (string, []option) {
	ref, ok := findDB(st, r.Target)
	if !ok {
		return "", nil
	}
	cur, err := capacity.ParseTier(ref.tier)
	if err != nil || r.Value <= 0 {
		return "", nil
	}
	n := max(r.Value, ref.maxConn)
	if n <= capacity.MaxConnectionsCeiling(cur) {
		if n == ref.maxConn {
			return "", nil
		}
		o, c := set(ref.maxConn, n, append(ref.path, "maxConnections")...)
		ro, rc := replicaFollow(st, ref, n, cur)
		return dbLeverName(r.Target), []option{{what: fmt.Sprintf("raise %s max_connections to %d on %s", r.Target, n, cur.Name),
			ops: append([]Op{o}, ro...), changes: append([]Change{c}, rc...)}}
	}
	for _, t := range tierLadder(cur) {
		if n > capacity.MaxConnectionsCeiling(t) {
			continue
		}
		o1, c1 := set(ref.tier, t.Name, append(ref.path, "tier")...)
		o2, c2 := set(ref.maxConn, n, append(ref.path, "maxConnections")...)
		ro, rc := replicaFollow(st, ref, n, t)
		return dbLeverName(r.Target), []option{{what: fmt.Sprintf("move %s to %s with max_connections %d", r.Target, t.Name, n),
			ops: append([]Op{o1, o2}, ro...), changes: append([]Change{c1, c2}, rc...)}}
	}
	if o, ok := aboveInferredCeiling(st, ref, r.Target, n, cur); ok {
		return dbLeverName(r.Target), []option{o}
	}
	return "", nil
}

// lowerMaxInstancesRemedy: workload group Target's maxInstances to Value.
func lowerMaxInstancesRemedy(st config.Stack, r capacity.Remedy) (string, []option) {
	_, w, ok := workload(st, r.Target)
	if !ok {
		return "", nil
	}
	o, ok := lowerMaxInstances(st, r.Target, r.Value)
	if !ok {
		return "", nil
	}
	return dbLeverName(st.TargetInstance(w)), []option{o}
}

// connectorRemedy: region Target's connector at minInstances ≥ Value, on
// MachineType when the remedy names one.
func connectorRemedy(st config.Stack, r capacity.Remedy) (string, []option) {
	rg, ok := st.Network.Regions[r.Target]
	if !ok || rg.Connector == nil || r.Value <= 0 {
		return "", nil
	}
	cn := *rg.Connector
	machine := cn.MachineType
	if r.MachineType != "" {
		machine = r.MachineType
	}
	base := []string{keyNetwork, "regions", r.Target, "connector"}
	minI := max(r.Value, cn.MinInstances)
	maxI := max(cn.MaxInstances, minI+1)
	var ops []Op
	var chs []Change
	if machine != cn.MachineType {
		o, c := set(cn.MachineType, machine, append(base, "machineType")...)
		ops, chs = append(ops, o), append(chs, c)
	}
	if minI != cn.MinInstances {
		o, c := set(cn.MinInstances, minI, append(base, "minInstances")...)
		ops, chs = append(ops, o), append(chs, c)
	}
	if maxI != cn.MaxInstances {
		o, c := set(cn.MaxInstances, maxI, append(base, "maxInstances")...)
		ops, chs = append(ops, o), append(chs, c)
	}
	if len(ops) == 0 {
		return "", nil
	}
	return egressLeverName(r.Target), []option{{what: fmt.Sprintf("connector %s: %s × %d at minimum", cn.Name, machine, minI), ops: ops, changes: chs}}
}

// directEgressRemedy: Direct VPC egress in region Target.
func directEgressRemedy(st config.Stack, r capacity.Remedy) (string, []option) {
	o, ok := directEgress(st, r.Target)
	if !ok {
		return "", nil
	}
	return egressLeverName(r.Target), []option{o}
}

// directSubnetRemedy: region Target's Direct VPC egress subnet at prefix
// length Value (a /Value), keeping its base address when the wider range
// overlaps no other range of the stack, else the first free one.
func directSubnetRemedy(st config.Stack, r capacity.Remedy) (string, []option) {
	rg, ok := st.Network.Regions[r.Target]
	if !ok || rg.Direct == nil || r.Value < 8 || r.Value > 32 {
		return "", nil
	}
	cur, err := netip.ParsePrefix(rg.Direct.Subnet)
	if err != nil || !cur.Addr().Is4() || cur.Bits() <= r.Value {
		return "", nil
	}
	cidr := netip.PrefixFrom(cur.Addr(), r.Value).Masked().String()
	if !freeOf(st, cidr, rg.Direct.Subnet) {
		if cidr, ok = freePrefix(st, r.Value, rg.Direct.Subnet); !ok {
			return "", nil
		}
	}
	o, c := set(rg.Direct.Subnet, cidr, keyNetwork, "regions", r.Target, "direct", "subnet")
	return egressLeverName(r.Target), []option{{what: fmt.Sprintf("Direct VPC egress subnet %s in %s", cidr, r.Target), ops: []Op{o}, changes: []Change{c}}}
}

// httpProbeRemedy: an HTTP startup probe on workload group Target.
func httpProbeRemedy(st config.Stack, r capacity.Remedy) (string, []option) {
	wi, w, ok := workload(st, r.Target)
	if !ok || w.StartupProbe.Path != "" {
		return "", nil
	}
	o, c := set("", HTTPProbePath, keyWorkloads, yamlpath.Item(wi), "startupProbe", "path")
	return leverProbe, []option{{what: "HTTP startup probe " + HTTPProbePath + " on " + w.Name, ops: []Op{o}, changes: []Change{c}}}
}

// probeWindowRemedy: workload group Target's startup probe window to
// ≥ Value seconds (more failures allowed at the same period), within
// Cloud Run's ceiling.
func probeWindowRemedy(st config.Stack, r capacity.Remedy) (string, []option) {
	wi, w, ok := workload(st, r.Target)
	if !ok {
		return "", nil
	}
	p := w.StartupProbe
	period := p.PeriodSeconds
	if period == 0 {
		period = capacity.StartupProbeDefaultPeriodSeconds
	}
	thr := int(math.Ceil(float64(r.Value-p.InitialDelaySeconds) / float64(period)))
	if thr <= p.FailureThreshold || p.InitialDelaySeconds+period*thr > capacity.StartupProbeMaxWindowSeconds {
		return "", nil
	}
	o, c := set(p.FailureThreshold, thr, keyWorkloads, yamlpath.Item(wi), "startupProbe", "failureThreshold")
	ops, chs := []Op{o}, []Change{c}
	if p.PeriodSeconds == 0 {
		o, c := set(0, period, keyWorkloads, yamlpath.Item(wi), "startupProbe", "periodSeconds")
		ops, chs = append(ops, o), append(chs, c)
	}
	return leverTimeouts, []option{{what: fmt.Sprintf("startup probe window of %s to %d s", w.Name, p.InitialDelaySeconds+period*thr), ops: ops, changes: chs}}
}

// haRemedy: what the multi-region rule names for the primary (HA and a
// cross-region replica), as haLever proposes it.
func haRemedy(st config.Stack, r capacity.Remedy) (string, []option) {
	if r.Target != st.Database.Name {
		return "", nil
	}
	l, ok := haLever(st)
	if !ok {
		return "", nil
	}
	return leverHA, l.options
}
