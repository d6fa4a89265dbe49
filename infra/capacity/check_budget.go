package capacity

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// requiredMaxConnections is the smallest N with floor((N − reserved) × u) ≥
// demand, floor taken as the model takes it for allowed (floorEps).
// ⌈demand ÷ u⌉ is N − reserved up to float rounding, which can leave it
// one too high (21 ÷ 0.7 = 30.000000000000004) or, for demands in the tens
// of millions, one too low (29,360,135 at 0.7); one step either way
// corrects it.
func requiredMaxConnections(demand, reserved int, u float64) int {
	k := int(math.Ceil(float64(demand) / u))
	if floorEps(float64(k)*u) < demand {
		k++
	} else if floorEps(float64(k-1)*u) >= demand {
		k--
	}
	return reserved + k
}

// budgets is the connection budget of every database instance that is up
// in the scenario (docs/gcp-limits.md#derived-rules): what its clients
// hold at once against floor((max_connections − reserved) × utilization).
// In a failover the promoted replica's budget is the replica-parity check.
func (an *analysis) budgets() {
	m, sc := an.m, an.sc
	for di, d := range m.dbs {
		if sc.dbRoute[di] != di {
			continue // down in this scenario (failed-over primary)
		}
		b := an.budget(di)
		an.res.Budgets = append(an.res.Budgets, b)
		if b.ClientCapacity > 0 && b.Clients > b.ClientCapacity {
			an.flag(CheckConnectionBudget, d.Name, SeverityFail,
				"%d client connections exceed the %d Managed Connection Pooling accepts = %d poolers (vCPU ÷ 4) × max_client_connections %d; raise max_client_connections to ≥ %d (fixes %s)",
				b.Clients, b.ClientCapacity, b.Poolers, b.ClientCapacity/b.Poolers, ceilDiv(b.Clients, b.Poolers), sc.id)
		}
		if di == sc.promoted {
			an.parity(di, b)
			continue
		}
		if b.Demand > b.Allowed {
			msg, fix := budgetMessage(b, d, m.consumerList(sc, di), m.targets.ConnectionUtilization, sc.id)
			an.flagFix(fix, CheckConnectionBudget, d.Name, SeverityFail, "%s", msg)
		}
	}
}

// budget computes database di's connection budget in the scenario.
func (an *analysis) budget(di int) ConnectionBudget {
	m, sc := an.m, an.sc
	d := m.dbs[di]
	b := ConnectionBudget{
		Database: d.Name, Region: d.Region, MaxConnections: d.maxConn, MaxConnectionsExplicit: d.explicit,
		Reserved: m.assume.ReservedConnections, AdminSlack: m.assume.AdminSlackConnections,
		Usable: d.usable, Allowed: d.allowed, Consumers: m.consumersOn(sc, di),
	}
	b.Demand = b.AdminSlack + b.Consumers
	if d.pool.pooled {
		b.Poolers, b.PoolCap, b.ClientCapacity = d.pool.poolers, d.pool.pairCap, d.pool.clientCap
	}
	n := 0
	for i := range m.workloads {
		if sc.target[i] == di {
			n++
		}
	}
	// Workloads in report order (name, region), so contributors need no sort.
	b.Contributors = make([]BudgetContributor, 0, n)
	for _, i := range m.byName {
		w := &m.workloads[i]
		if sc.target[i] != di {
			continue
		}
		c := BudgetContributor{Workload: w.Name, Region: w.Region, Group: w.group, MaxInstances: w.maxInst,
			Instances: sc.instances(i), PerInstance: w.perInst}
		c.Connections = d.pool.server(c.Clients())
		b.Contributors = append(b.Contributors, c)
		b.Demand += c.Connections
		b.Clients += c.Clients()
	}
	if !d.pool.pooled {
		b.Clients = 0
	}
	if b.Usable > 0 {
		b.Utilization = float64(b.Demand) / float64(b.Usable)
	}
	b.RequiredMaxConnections = requiredMaxConnections(b.Demand, b.Reserved, m.targets.ConnectionUtilization)
	b.Severity = SeverityOK
	if b.Demand > b.Allowed {
		b.Severity = SeverityFail
		b.MaxInstancesRemedies = an.remedies(di, b)
	}
	if b.ClientCapacity > 0 && b.Clients > b.ClientCapacity {
		b.Severity = SeverityFail
	}
	return b
}

// remedies says, per workload group on database di, the largest
// per-region maxInstances that fits the budget when only that group
// changes (computed for a failing budget).
func (an *analysis) remedies(di int, b ConnectionBudget) []InstanceRemedy {
	m, sc := an.m, an.sc
	type grp struct {
		conns, regions, per, inst, maxInst int
	}
	groups := map[int]*grp{}
	for i := range m.workloads {
		if sc.target[i] != di {
			continue
		}
		w := &m.workloads[i]
		g := groups[m.groupOf[i]]
		if g == nil {
			g = &grp{}
			groups[m.groupOf[i]] = g
		}
		g.conns += m.dbs[di].pool.server(sc.instances(i) * w.perInst)
		g.regions++
		g.per = max(g.per, w.perInst)
		g.inst += sc.instances(i)
		g.maxInst += w.maxInst
	}
	var out []InstanceRemedy
	for gi, name := range m.groupNames {
		g := groups[gi]
		if g == nil {
			continue
		}
		rest := b.Demand - g.conns
		r := InstanceRemedy{Group: name, Regions: g.regions}
		if rest <= b.Allowed {
			// The budget fails (Demand > Allowed), so rest ≤ Allowed means
			// the group holds connections: per, inst and maxInst are > 0.
			// The scenario runs k instances per max instance (2 in a
			// rollout: old + new revision), so a max of n costs k × n.
			k := float64(g.inst) / float64(g.maxInst)
			r.MaxInstances = floorEps(float64(b.Allowed-rest) / (float64(g.per*g.regions) * k))
			r.Feasible = r.MaxInstances >= 1
		}
		out = append(out, r)
	}
	return out
}

// budgetTermsShown is how many services a connection-budget finding names
// before it sums the rest.
const budgetTermsShown = 8

// budgetMessage explains an over-budget database with both remedies, each
// saying the scenario it fixes: the max_connections that fits, and the
// maxInstances of one workload group that fits (the largest contributor
// first).
func budgetMessage(b ConnectionBudget, d dbInfo, consumers []Consumer, util float64, scenario string) (string, []Remedy) {
	var parts []string
	var held []BudgetContributor
	for _, c := range b.Contributors {
		if c.Instances > 0 {
			held = append(held, c)
		}
	}
	more, moreConns := 0, 0
	if len(held) > budgetTermsShown {
		// An organisation-sized stack has hundreds of contributors: name
		// the largest and sum the rest, so one finding stays readable (the
		// report's budget table lists every service).
		sort.SliceStable(held, func(i, j int) bool { return held[i].Connections > held[j].Connections })
		for _, c := range held[budgetTermsShown:] {
			more, moreConns = more+1, moreConns+c.Connections
		}
		held = held[:budgetTermsShown]
	}
	for _, c := range held {
		if c.Connections < c.Clients() {
			// Capped by the poolers: min(clients, poolers × max_pool_size).
			parts = append(parts, fmt.Sprintf("%s min(%d×%d, %d)=%d", c.Name(), c.Instances, c.PerInstance, b.PoolCap, c.Connections))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d×%d=%d", c.Name(), c.Instances, c.PerInstance, c.Connections))
	}
	if more > 0 {
		parts = append(parts, fmt.Sprintf("%d more services %d", more, moreConns))
	}
	for _, c := range consumers {
		if c.Connections > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Connections))
		}
	}
	parts = append(parts, fmt.Sprintf("admin slack %d", b.AdminSlack))
	source := "explicit"
	if !b.MaxConnectionsExplicit {
		source = "tier default"
	}
	what := "connection demand"
	if b.Poolers > 0 {
		what = "server connection demand " + poolingTerms(b.Poolers, b.PoolCap)
	}
	msg := fmt.Sprintf("%s %d (%s) exceeds allowed %d = floor((max_connections %d [%s] − %d reserved) × %.2f); raise max_connections to ≥ %d",
		what, b.Demand, strings.Join(parts, " + "), b.Allowed, b.MaxConnections, source, b.Reserved, util, b.RequiredMaxConnections)
	if d.tierErr == nil {
		if c := MaxConnectionsCeiling(d.tier); b.RequiredMaxConnections > c {
			if gb, def, ok := MemoryForDefaultMaxConnections(b.RequiredMaxConnections); ok {
				msg += fmt.Sprintf(" (above %d, our ceiling for %s: move to a tier with ≥ %g GB memory, default max_connections %d)", c, d.Tier, gb, def)
			} else {
				msg += fmt.Sprintf(" (above %d, our ceiling for %s: split the load across instances)", c, d.Tier)
			}
		}
	}
	fix := []Remedy{{Kind: RemedyMaxConnections, Target: d.Name, Value: b.RequiredMaxConnections}}
	rem := append([]InstanceRemedy(nil), b.MaxInstancesRemedies...)
	share := map[string]int{}
	for _, c := range b.Contributors {
		share[c.Group] += c.Connections
	}
	sort.SliceStable(rem, func(i, j int) bool { return share[rem[i].Group] > share[rem[j].Group] })
	fixes := fmt.Sprintf(" (fixes %s)", scenario)
	for _, r := range rem {
		if r.Feasible {
			per := ""
			if r.Regions > 1 {
				per = " per region"
			}
			fix = append(fix, Remedy{Kind: RemedyLowerMaxInstances, Target: r.Group, Value: r.MaxInstances})
			return msg + fmt.Sprintf(" or lower %s maxInstances to ≤ %d%s", r.Group, r.MaxInstances, per) + fixes, fix
		}
	}
	if len(rem) > 0 {
		msg += fmt.Sprintf("; lowering one workload's maxInstances alone cannot fit it (the others exceed %d without %s)", b.Allowed, rem[0].Group)
	}
	return msg + fixes, fix
}

// parity checks, in a failover scenario, that the promoted replica carries
// what is routed to it, and that its max_connections is not below its
// primary's (PostgreSQL refuses to run a hot standby with a smaller
// max_connections than its primary, docs/gcp-limits.md#cloud-sql-replicas).
func (an *analysis) parity(ri int, b ConnectionBudget) {
	m := an.m
	r := m.dbs[ri]
	p := m.dbs[r.primary]
	fb := FailoverBudget{Primary: p.Name, Replica: r.Name, PrimaryDemand: b.Demand, ReplicaAllowed: r.allowed, Severity: SeverityOK}
	if b.Demand > r.allowed {
		fb.Severity = SeverityFail
		var cs []string
		for _, c := range m.consumerList(an.sc, ri) {
			if c.Connections > 0 {
				cs = append(cs, fmt.Sprintf("%s %d", c.Name, c.Connections))
			}
		}
		with := ""
		if len(cs) > 0 {
			with = "; consumers " + strings.Join(cs, " + ")
		}
		// A promoted replica keeps its own settings: its own poolers, or
		// none, whatever the primary had.
		switch {
		case b.Poolers > 0:
			with += "; counted as server connections " + poolingTerms(b.Poolers, b.PoolCap)
		case p.pool.pooled:
			with += "; it has no Managed Connection Pooling of its own, so every client of the primary's poolers becomes a server connection"
		}
		an.flagFix([]Remedy{{Kind: RemedyMaxConnections, Target: r.Name, Value: b.RequiredMaxConnections}}, CheckReplicaParity, r.Name, SeverityFail,
			"replica %s (%s) would carry %d connections after promotion (everything routed to primary %s and to itself%s) but allows %d = floor((%d − %d) × %.2f); raise its max_connections to ≥ %d (fixes %s)",
			r.Name, r.Region, b.Demand, p.Name, with, r.allowed, r.maxConn, m.assume.ReservedConnections,
			m.targets.ConnectionUtilization, b.RequiredMaxConnections, an.sc.id)
	}
	if r.maxConn < p.maxConn {
		fb.Severity = SeverityFail
		an.flagFix([]Remedy{{Kind: RemedyMaxConnections, Target: r.Name, Value: p.maxConn}}, CheckReplicaParity, r.Name, SeverityFail,
			"replica %s has max_connections %d below its primary %s's %d; PostgreSQL requires a hot standby's max_connections ≥ the primary's: set it to ≥ %d",
			r.Name, r.maxConn, p.Name, p.maxConn, p.maxConn)
	}
	an.r.Failover = append(an.r.Failover, fb)
}

// poolingTerms says how a pooled budget counts: through the poolers, each
// service's server connections min(its clients, poolers × max_pool_size).
func poolingTerms(poolers, pairCap int) string {
	if pairCap == 0 {
		return fmt.Sprintf("through %d Managed Connection Pooling poolers (max_pool_size unset: each service's server connections are its clients)", poolers)
	}
	return fmt.Sprintf("through %d Managed Connection Pooling poolers (each service min(its clients, %d poolers × max_pool_size = %d))", poolers, poolers, pairCap)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
