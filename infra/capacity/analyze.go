package capacity

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// ConnectorScalingCriterionSeconds is the post-mortem's success criterion
// "VPC connector scaling latency <10s" (incident-1278-summary.md): a
// scale-out on the startup critical path that takes longer fails.
const ConnectorScalingCriterionSeconds = 10

// AdminAPIWarnShare warns when a cold start uses more than this share of
// the Admin API connect quota (policy choice: same 80 % as connections).
const AdminAPIWarnShare = 0.80

// analysis accumulates a Report.
type analysis struct {
	m *model
	r Report
}

func (an *analysis) find(check, subject string, sev Severity, format string, args ...any) {
	if sev == SeverityOK {
		return
	}
	an.r.Findings = append(an.r.Findings, Finding{Check: check, Subject: subject, Severity: sev, Message: fmt.Sprintf(format, args...)})
}

func analyze(t Topology) Report {
	an := &analysis{m: newModel(t)}
	an.topology()
	an.budgets()
	an.failover()
	an.builtinCap()
	an.egress()
	an.directIPs()
	an.timeouts()
	an.adminAPI()
	an.multiRegion()
	an.r.Simulation = simulateModel(an.m, SimOptions{})
	an.simulation()
	sortFindings(an.r.Findings)
	return an.r
}

// sortFindings orders findings by check, subject, severity (fail first)
// and message, so reports and goldens are deterministic.
func sortFindings(fs []Finding) {
	rank := map[Severity]int{SeverityFail: 0, SeverityWarn: 1, SeverityOK: 2}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		if rank[a.Severity] != rank[b.Severity] {
			return rank[a.Severity] < rank[b.Severity]
		}
		return a.Message < b.Message
	})
}

// topology reports inputs the catalog rejects or that do not link up.
func (an *analysis) topology() {
	m := an.m
	if len(m.dbs) == 0 && len(m.wl) == 0 {
		an.find(CheckTopologyConsistent, m.t.Stack, SeverityFail, "topology has no databases and no workloads: nothing to analyze")
	}
	seen := map[string]bool{}
	for _, d := range m.dbs {
		if seen[d.Name] {
			an.find(CheckTopologyConsistent, d.Name, SeverityFail, "database %q is declared twice", d.Name)
		}
		seen[d.Name] = true
		if d.tierErr != nil {
			an.find(CheckTopologyConsistent, d.Name, SeverityFail, "database %q: %v", d.Name, d.tierErr)
		} else {
			if err := CheckTierEdition(d.Tier, d.Edition); err != nil {
				an.find(CheckTopologyConsistent, d.Name, SeverityFail, "database %q: %v", d.Name, err)
			}
			if err := ValidateMaxConnections(d.tier, d.MaxConnections); err != nil {
				sev := SeverityWarn // above our inferred ceiling: a judgement, not a GCP limit
				if d.MaxConnections < MaxConnectionsFlagMin {
					sev = SeverityFail
				}
				an.find(CheckTopologyConsistent, d.Name, sev, "database %q: %v", d.Name, err)
			}
		}
		if d.ReplicaOf != "" && d.primary < 0 {
			an.find(CheckTopologyConsistent, d.Name, SeverityFail, "database %q is a replica of %q, which the topology does not contain", d.Name, d.ReplicaOf)
		}
		if a := d.Availability; a != "" && a != AvailabilityZonal && a != AvailabilityRegional {
			an.find(CheckTopologyConsistent, d.Name, SeverityFail, "database %q: availability %q, want ZONAL or REGIONAL", d.Name, a)
		}
	}
	for _, e := range m.eg {
		subject := e.Name
		if subject == "" {
			subject = e.Region
		}
		switch e.Kind {
		case EgressConnector:
			if err := ValidateConnectorSizing(e.MachineType, e.minI, e.maxI); err != nil || e.MaxInstances > 0 && e.MaxInstances <= e.MinInstances {
				if err == nil {
					err = fmt.Errorf("connector maxInstances %d: must be greater than minInstances %d", e.MaxInstances, e.MinInstances)
				}
				an.find(CheckTopologyConsistent, subject, SeverityFail, "egress %s (%s): %v", subject, e.Region, err)
			}
			if e.IPCIDRRange != "" {
				if err := ValidateConnectorCIDR(e.IPCIDRRange); err != nil {
					an.find(CheckTopologyConsistent, subject, SeverityFail, "egress %s (%s): %v", subject, e.Region, err)
				}
			} else if e.SubnetCIDR == "" {
				an.find(CheckTopologyConsistent, subject, SeverityWarn, "egress %s (%s): connector has neither ipCidrRange nor subnet; it needs an unused /28 (gcp-capacity.md §3)", subject, e.Region)
			}
		case EgressDirect:
			if e.SubnetCIDR == "" {
				an.find(CheckTopologyConsistent, subject, SeverityFail, "egress %s (%s): Direct VPC egress needs a subnet range", subject, e.Region)
			}
		case EgressNone:
		default:
			an.find(CheckTopologyConsistent, subject, SeverityFail, "egress %s (%s): kind %q, want connector, direct or none", subject, e.Region, e.Kind)
		}
	}
	for _, w := range m.wl {
		subject := w.Name
		if w.db == unknownDatabase {
			an.find(CheckTopologyConsistent, subject, SeverityFail, "workload %s (%s) targets database %q, which the topology does not contain", w.Name, w.Region, w.Database)
		}
		if (w.Egress == EgressConnector || w.Egress == EgressDirect) && w.egress < 0 {
			an.find(CheckTopologyConsistent, subject, SeverityFail, "workload %s (%s) uses %s egress %q, but region %s has none", w.Name, w.Region, w.Egress, w.EgressName, w.Region)
		} else if w.egress >= 0 && w.EgressName != "" && m.eg[w.egress].Name != w.EgressName {
			an.find(CheckTopologyConsistent, subject, SeverityFail, "workload %s (%s) names egress %q; region %s has %q", w.Name, w.Region, w.EgressName, w.Region, m.eg[w.egress].Name)
		}
		if w.Method == MethodPrivateIP && w.db >= 0 && (w.Egress == EgressNone || w.Egress == "") {
			an.find(CheckTopologyConsistent, subject, SeverityFail, "workload %s (%s) connects to %s by private IP but has no VPC egress", w.Name, w.Region, w.Database)
		}
		if err := ValidateConcurrency(w.Concurrency); err != nil {
			an.find(CheckTopologyConsistent, subject, SeverityFail, "workload %s (%s): %v", w.Name, w.Region, err)
		}
		if w.MaxInstances <= 0 {
			an.find(CheckTopologyConsistent, subject, SeverityWarn, "workload %s (%s): maxInstances unset, Cloud Run's default of %d applies (gcp-capacity.md §5); set it explicitly (§8)", w.Name, w.Region, CloudRunDefaultMaxInstances)
		} else if w.MinInstances > w.MaxInstances {
			an.find(CheckTopologyConsistent, subject, SeverityFail, "workload %s (%s): minInstances %d exceeds maxInstances %d", w.Name, w.Region, w.MinInstances, w.MaxInstances)
		}
		if mainPool := max(w.PoolSize, 0) + max(w.MaxOverflow, 0); w.db >= 0 && w.StartupConnections > mainPool && mainPool > 0 {
			an.find(CheckTopologyConsistent, subject, SeverityWarn, "workload %s (%s): startupConnections %d exceeds pool %d + overflow %d", w.Name, w.Region, w.StartupConnections, w.PoolSize, w.MaxOverflow)
		}
		if err := ValidateStartupProbe(w.StartupProbe); err != nil {
			an.find(CheckTimeoutBudget, subject, SeverityFail, "workload %s (%s): %v (gcp-capacity.md §5)", w.Name, w.Region, err)
		}
	}
}

// requiredMaxConnections is the smallest N with floor((N − reserved) × u) ≥ demand.
func requiredMaxConnections(demand, reserved int, u float64) int {
	n := reserved + int(math.Ceil(float64(demand)/u-eps))
	for n > reserved && floorEps(float64(n-1-reserved)*u) >= demand {
		n--
	}
	for floorEps(float64(n-reserved)*u) < demand {
		n++
	}
	return n
}

// budgets is the connection budget per database instance
// (gcp-capacity.md §8 "Connection budget").
func (an *analysis) budgets() {
	m := an.m
	for di, d := range m.dbs {
		b := ConnectionBudget{
			Database: d.Name, Region: d.Region, MaxConnections: d.maxConn, MaxConnectionsExplicit: d.explicit,
			Reserved: m.a.ReservedConnections, AdminSlack: m.a.AdminSlackConnections,
			Usable: d.usable, Allowed: d.allowed,
		}
		b.Consumers = d.ConsumerConnections()
		b.Demand = b.AdminSlack + b.Consumers
		type grp struct {
			conns, regions, per int
		}
		groups := map[string]*grp{}
		for _, w := range m.wl {
			if w.db != di {
				continue
			}
			c := BudgetContributor{Workload: w.Name, Region: w.Region, Group: w.group, MaxInstances: w.maxInst, PerInstance: w.perInst, Connections: w.maxInst * w.perInst}
			b.Contributors = append(b.Contributors, c)
			b.Demand += c.Connections
			g := groups[w.group]
			if g == nil {
				g = &grp{}
				groups[w.group] = g
			}
			g.conns += c.Connections
			g.regions++
			g.per = max(g.per, w.perInst)
		}
		sort.Slice(b.Contributors, func(i, j int) bool {
			if b.Contributors[i].Workload != b.Contributors[j].Workload {
				return b.Contributors[i].Workload < b.Contributors[j].Workload
			}
			return b.Contributors[i].Region < b.Contributors[j].Region
		})
		if b.Usable > 0 {
			b.Utilization = float64(b.Demand) / float64(b.Usable)
		}
		b.RequiredMaxConnections = requiredMaxConnections(b.Demand, b.Reserved, m.tg.ConnectionUtilization)
		b.Severity = SeverityOK
		if b.Demand > b.Allowed {
			b.Severity = SeverityFail
		}
		for _, name := range sortedKeys(groups) {
			g := groups[name]
			rest := b.Demand - g.conns
			r := InstanceRemedy{Group: name, Regions: g.regions}
			if g.per > 0 && rest <= b.Allowed {
				r.MaxInstances = (b.Allowed - rest) / (g.per * g.regions)
				r.Feasible = r.MaxInstances >= 1
			}
			b.MaxInstancesRemedies = append(b.MaxInstancesRemedies, r)
		}
		an.r.Budgets = append(an.r.Budgets, b)
		if b.Severity == SeverityFail {
			an.find(CheckConnectionBudget, d.Name, SeverityFail, "%s", budgetMessage(b, d, m.tg.ConnectionUtilization))
		}
	}
}

// budgetMessage explains an over-budget database with both remedies:
// the max_connections that fits, and the maxInstances of one workload
// group that fits (the largest contributor first).
func budgetMessage(b ConnectionBudget, d dbInfo, util float64) string {
	var parts []string
	for _, c := range b.Contributors {
		parts = append(parts, fmt.Sprintf("%s %d×%d=%d", c.Name(), c.MaxInstances, c.PerInstance, c.Connections))
	}
	for _, c := range d.Consumers {
		if c.Connections > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Connections))
		}
	}
	parts = append(parts, fmt.Sprintf("admin slack %d", b.AdminSlack))
	source := "explicit"
	if !b.MaxConnectionsExplicit {
		source = "tier default"
	}
	msg := fmt.Sprintf("connection demand %d (%s) exceeds allowed %d = floor((max_connections %d [%s] − %d reserved) × %.2f); raise max_connections to ≥ %d",
		b.Demand, strings.Join(parts, " + "), b.Allowed, b.MaxConnections, source, b.Reserved, util, b.RequiredMaxConnections)
	if d.tierErr == nil {
		if c := MaxConnectionsCeiling(d.tier); b.RequiredMaxConnections > c {
			if gb, def, ok := MemoryForDefaultMaxConnections(b.RequiredMaxConnections); ok {
				msg += fmt.Sprintf(" (above %d, our ceiling for %s: move to a tier with ≥ %g GB memory, default max_connections %d)", c, d.Tier, gb, def)
			} else {
				msg += fmt.Sprintf(" (above %d, our ceiling for %s: split the load across instances)", c, d.Tier)
			}
		}
	}
	rem := append([]InstanceRemedy(nil), b.MaxInstancesRemedies...)
	share := map[string]int{}
	for _, c := range b.Contributors {
		share[c.Group] += c.Connections
	}
	sort.SliceStable(rem, func(i, j int) bool { return share[rem[i].Group] > share[rem[j].Group] })
	for _, r := range rem {
		if r.Feasible {
			per := ""
			if r.Regions > 1 {
				per = " per region"
			}
			return msg + fmt.Sprintf(" or lower %s maxInstances to ≤ %d%s", r.Group, r.MaxInstances, per)
		}
	}
	if len(rem) > 0 {
		msg += fmt.Sprintf("; lowering one workload's maxInstances alone cannot fit it (the others exceed %d without %s)", b.Allowed, rem[0].Group)
	}
	return msg
}

// failover checks that a promoted replica can carry what its primary
// carries, and that its max_connections is not below the primary's
// (PostgreSQL refuses to run a hot standby with a smaller max_connections
// than its primary; stacks-spec "capacity parity").
func (an *analysis) failover() {
	m := an.m
	for ri, r := range m.dbs {
		if r.primary < 0 {
			continue
		}
		p := m.dbs[r.primary]
		pb, rb := an.r.Budgets[r.primary], an.r.Budgets[ri]
		// After promotion the replica keeps its own readers and takes the
		// primary's writers; admin slack is counted once.
		carried := pb.Demand + rb.Demand - rb.AdminSlack
		fb := FailoverBudget{Primary: p.Name, Replica: r.Name, PrimaryDemand: carried, ReplicaAllowed: r.allowed, Severity: SeverityOK}
		if carried > r.allowed {
			fb.Severity = SeverityFail
			an.find(CheckReplicaParity, r.Name, SeverityFail,
				"replica %s (%s) would carry %d connections after promotion (primary %s demand %d + its own %d) but allows %d = floor((%d − %d) × %.2f); raise its max_connections to ≥ %d",
				r.Name, r.Region, carried, p.Name, pb.Demand, rb.Demand-rb.AdminSlack, r.allowed, r.maxConn, m.a.ReservedConnections,
				m.tg.ConnectionUtilization, requiredMaxConnections(carried, m.a.ReservedConnections, m.tg.ConnectionUtilization))
		}
		if r.maxConn < p.maxConn {
			fb.Severity = SeverityFail
			an.find(CheckReplicaParity, r.Name, SeverityFail,
				"replica %s has max_connections %d below its primary %s's %d; PostgreSQL requires a hot standby's max_connections ≥ the primary's: set it to ≥ %d",
				r.Name, r.maxConn, p.Name, p.maxConn, p.maxConn)
		}
		an.r.Failover = append(an.r.Failover, fb)
	}
}

// builtinCap checks the 100-connections-per-instance cap of Cloud Run's
// built-in Cloud SQL connection (gcp-capacity.md §2.6).
func (an *analysis) builtinCap() {
	for _, w := range an.m.wl {
		if w.Method != MethodBuiltin || w.db == noDatabase {
			continue
		}
		if w.perInst > BuiltinConnectionsPerInstance || w.startup > BuiltinConnectionsPerInstance {
			an.find(CheckBuiltinConnCap, w.Name, SeverityFail,
				"workload %s (%s): %d connections per instance (startup %d) exceed the built-in Cloud SQL connection's %d connections per instance (gcp-capacity.md §2.6); lower processes × (pool + overflow) to ≤ %d or use the Auth Proxy/connector or private IP",
				w.Name, w.Region, w.perInst, w.startup, BuiltinConnectionsPerInstance, BuiltinConnectionsPerInstance)
		}
	}
}

// egress judges each region's egress against the cold start's demand
// (gcp-capacity.md §3, §4 and §8 "Connector sizing").
func (an *analysis) egress() {
	m := an.m
	for ei, e := range m.eg {
		if e.Kind != EgressConnector && e.Kind != EgressDirect {
			continue
		}
		h := EgressHeadroom{Region: e.Region, Kind: e.Kind, Name: e.Name, Severity: SeverityOK}
		h.DemandMbps = m.egressDemandMbps(ei)
		// The storm starts every instance at once, so the cold-start demand
		// is the full-scale demand arriving at t = 0.
		h.ColdStartMbps = h.DemandMbps
		subject := e.Name
		if subject == "" {
			subject = e.Region
		}
		if e.Kind == EgressDirect {
			n := 0
			for _, i := range m.egressUsers(ei) {
				n += m.stormInstances(i)
				if m.wl[i].EgressMbpsPerInstance > DirectEgressPerInstanceMbps {
					an.find(CheckEgressHeadroom, subject, SeverityWarn,
						"workload %s (%s) expects %g Mbps per instance; Direct VPC egress gives ≈%d Mbps per instance (gcp-capacity.md §4, secondary)",
						m.wl[i].Name, e.Region, m.wl[i].EgressMbpsPerInstance, DirectEgressPerInstanceMbps)
					h.Severity = SeverityWarn
				}
			}
			h.CapacityMinMbps = float64(n) * DirectEgressPerInstanceMbps
			h.CapacityMaxMbps = h.CapacityMinMbps
			an.r.Egress = append(an.r.Egress, h)
			continue
		}
		h.MachineType, h.MinInstances, h.MaxInstances = e.machine.Name, e.minI, e.maxI
		if !e.machineOK {
			an.r.Egress = append(an.r.Egress, h) // reported by the topology check
			continue
		}
		h.CapacityMinMbps = e.capacityMbps(e.minI)
		h.CapacityMaxMbps = e.capacityMbps(e.maxI)
		needed, possible, saturated := m.connectorScaleOut(ei)
		h.ScaleOutsNeeded, h.Saturated = needed, saturated
		h.ScaleOutOnCriticalPath = needed > 0
		h.ScaleOutSeconds = float64(possible) * m.a.ConnectorScaleOutSeconds
		if saturated {
			h.Severity = SeverityFail
		} else if h.ScaleOutOnCriticalPath {
			h.Severity = SeverityWarn
			if h.ScaleOutSeconds >= ConnectorScalingCriterionSeconds {
				h.Severity = SeverityFail
			}
		}
		an.r.Egress = append(an.r.Egress, h)
		if h.Severity == SeverityOK {
			continue
		}
		msg := fmt.Sprintf("connector %s (%s, %s ≈%g Mbps/instance, inferred): cold-start egress %g Mbps", e.Name, e.Region, e.machine.Name, e.machine.PerInstanceMbps, h.ColdStartMbps)
		if h.ScaleOutOnCriticalPath {
			msg += fmt.Sprintf(" exceeds %g Mbps at minInstances %d, so connector scale-out sits on the startup critical path (%d scale-outs × %g s = %g s, criterion < %d s)",
				h.CapacityMinMbps, e.minI, possible, m.a.ConnectorScaleOutSeconds, h.ScaleOutSeconds, ConnectorScalingCriterionSeconds)
		}
		if saturated {
			msg += fmt.Sprintf("; it also exceeds %g Mbps at maxInstances %d (connectors max out at %d instances)", h.CapacityMaxMbps, e.maxI, ConnectorMaxInstancesCeiling)
		}
		msg += "; " + connectorRemedy(h.ColdStartMbps, e)
		an.find(CheckEgressHeadroom, subject, h.Severity, "%s", msg)
	}
}

// connectorRemedy names the smallest change that takes scale-out off the
// critical path: a larger minInstances, else a larger machine type, else
// Direct VPC egress. min must stay < max ≤ 10, so min ≤ 9 (gcp-capacity.md §3).
func connectorRemedy(mbps float64, e egInfo) string {
	need := func(mc ConnectorMachine) int {
		return max(ConnectorMinInstancesFloor, int(math.Ceil(mbps/mc.PerInstanceMbps-eps)))
	}
	if n := need(e.machine); n < ConnectorMaxInstancesCeiling {
		return fmt.Sprintf("raise minInstances to ≥ %d (connectors never scale in, so size the floor for the cold start) or use Direct VPC egress", n)
	}
	for _, mc := range connectorMachines {
		if mc.PerInstanceMbps > e.machine.PerInstanceMbps {
			if n := need(mc); n < ConnectorMaxInstancesCeiling {
				return fmt.Sprintf("switch machineType to %s with minInstances ≥ %d (≈%g Mbps) or use Direct VPC egress", mc.Name, n, float64(n)*mc.PerInstanceMbps)
			}
		}
	}
	return "no connector size carries it: use Direct VPC egress"
}

// directIPs checks each Direct VPC egress subnet's IP budget
// (gcp-capacity.md §4 and §8 "Direct VPC subnet").
func (an *analysis) directIPs() {
	m := an.m
	for ei, e := range m.eg {
		if e.Kind != EgressDirect {
			continue
		}
		c := DirectIPCapacity{Region: e.Region, Subnet: e.SubnetCIDR, Severity: SeverityOK}
		n := 0
		for _, i := range m.egressUsers(ei) {
			n += m.stormInstances(i)
		}
		c.NeededIPs = DirectEgressIPsNeeded(n)
		prefix, usable, err := SubnetUsableIPs(e.SubnetCIDR)
		subject := e.Name
		if subject == "" {
			subject = e.Region
		}
		if err != nil {
			c.Severity = SeverityFail
			an.r.DirectIPs = append(an.r.DirectIPs, c)
			an.find(CheckDirectEgressIPs, subject, SeverityFail, "Direct VPC egress %s (%s): %v", subject, e.Region, err)
			continue
		}
		c.PrefixLength, c.UsableIPs = prefix, usable
		var why []string
		if prefix > DirectEgressMaxPrefixLength {
			why = append(why, fmt.Sprintf("/%d is smaller than the /%d minimum", prefix, DirectEgressMaxPrefixLength))
		}
		if usable < c.NeededIPs {
			why = append(why, fmt.Sprintf("%d usable IPs < %d needed (2 × %d instances + %d)", usable, c.NeededIPs, n, DirectEgressIPBlock))
		}
		if len(why) > 0 {
			c.Severity = SeverityFail
			want := DirectEgressMaxPrefixLength
			for want > 8 && (1<<(32-want))-SubnetReservedAddresses < c.NeededIPs {
				want--
			}
			an.find(CheckDirectEgressIPs, subject, SeverityFail, "Direct VPC egress subnet %s (%s, %s): %s (gcp-capacity.md §4); use a /%d or larger",
				subject, e.Region, e.SubnetCIDR, strings.Join(why, "; "), want)
		}
		an.r.DirectIPs = append(an.r.DirectIPs, c)
	}
}

// timeouts is the worst-case connect path per workload: egress delay +
// queueing for accept capacity + handshake, against the app's connect
// timeout and the startup probe window.
func (an *analysis) timeouts() {
	m := an.m
	for _, w := range m.wl {
		tb := TimeoutBudget{Workload: w.Name, Region: w.Region, HandshakeSeconds: m.a.HandshakeSeconds,
			ConnectTimeoutSeconds: w.ConnectTimeoutSeconds, ProbeWindowSeconds: w.window, BudgetSeconds: w.budget, Severity: SeverityOK}
		var causes []string
		if w.egress >= 0 {
			e := m.eg[w.egress]
			switch e.Kind {
			case EgressConnector:
				needed, possible, saturated := m.connectorScaleOut(w.egress)
				if needed > 0 {
					tb.EgressDelaySeconds = float64(possible) * m.a.ConnectorScaleOutSeconds
					causes = append(causes, fmt.Sprintf("connector %s scale-out %d × %g s = %g s", e.Name, possible, m.a.ConnectorScaleOutSeconds, tb.EgressDelaySeconds))
				}
				if saturated {
					tb.EgressSaturated = true
					causes = append(causes, fmt.Sprintf("connector %s cannot carry the cold start even at %d instances", e.Name, e.maxI))
				}
			case EgressDirect:
				tb.EgressDelaySeconds = m.a.DirectEgressStartupSeconds
				if tb.EgressDelaySeconds > 0 {
					causes = append(causes, fmt.Sprintf("Direct VPC egress start %g s", tb.EgressDelaySeconds))
				}
			}
		}
		if w.db >= 0 {
			d := m.dbs[w.db]
			attempts := m.startupAttempts(w.db)
			tb.QueueSeconds = float64(attempts) / m.a.AcceptRatePerSecond
			if tb.QueueSeconds >= 1 {
				causes = append(causes, fmt.Sprintf("accept queue %d connections ÷ %g/s = %.1f s on %s", attempts, m.a.AcceptRatePerSecond, tb.QueueSeconds, d.Name))
			}
			if attempts > d.usable {
				tb.SlotsExhausted = true
				causes = append(causes, fmt.Sprintf("slot exhaustion: %d startup connections > %d usable slots on %s", attempts, d.usable, d.Name))
			}
		} else {
			tb.HandshakeSeconds = 0
		}
		tb.WorstCaseSeconds = tb.EgressDelaySeconds + tb.QueueSeconds + tb.HandshakeSeconds
		tb.Cause = strings.Join(causes, "; ")
		subject := w.Name
		switch {
		case tb.SlotsExhausted || tb.EgressSaturated || tb.WorstCaseSeconds > tb.BudgetSeconds:
			tb.Severity = SeverityFail
			an.find(CheckTimeoutBudget, subject, SeverityFail,
				"workload %s (%s): worst-case connect %.1f s (egress %.1f s + queue %.1f s + handshake %.2f s) vs budget %.0f s = min(connect timeout %.0f s, probe window %.0f s); cause: %s",
				w.Name, w.Region, tb.WorstCaseSeconds, tb.EgressDelaySeconds, tb.QueueSeconds, tb.HandshakeSeconds, tb.BudgetSeconds,
				w.ConnectTimeoutSeconds, w.window, nonEmpty(tb.Cause, "connect path longer than the budget"))
		case w.db >= 0 && tb.WorstCaseSeconds > m.tg.ConnectP99Seconds:
			tb.Severity = SeverityWarn
			an.find(CheckTimeoutBudget, subject, SeverityWarn, "workload %s (%s): worst-case connect %.1f s exceeds the %g s connect target; cause: %s",
				w.Name, w.Region, tb.WorstCaseSeconds, m.tg.ConnectP99Seconds, nonEmpty(tb.Cause, "handshake"))
		}
		if w.ConnectTimeoutSeconds > w.window {
			tb.Severity = worst(tb.Severity, SeverityWarn)
			an.find(CheckTimeoutBudget, subject, SeverityWarn,
				"workload %s (%s): connect timeout %.0f s outlasts the startup probe window %.0f s, so Cloud Run kills the instance first; lower the timeout to ≤ %.0f s or lengthen the probe",
				w.Name, w.Region, w.ConnectTimeoutSeconds, w.window, w.window)
		}
		if w.egress >= 0 && m.eg[w.egress].Kind == EgressDirect && m.a.DirectEgressStartupSeconds == 0 &&
			w.window < DirectEgressWarnSeconds+tb.QueueSeconds+tb.HandshakeSeconds {
			tb.Severity = worst(tb.Severity, SeverityWarn)
			an.find(CheckTimeoutBudget, subject, SeverityWarn,
				"workload %s (%s): Direct VPC egress may delay connections \"a minute or more\" at startup (gcp-capacity.md §4); the probe window %.0f s leaves no room for %d s + the connect path",
				w.Name, w.Region, w.window, DirectEgressWarnSeconds)
		}
		an.r.Timeouts = append(an.r.Timeouts, tb)
	}
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func worst(a, b Severity) Severity {
	rank := map[Severity]int{SeverityOK: 0, SeverityWarn: 1, SeverityFail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// adminAPI is the Admin API connect burst of a full cold start per region
// (gcp-capacity.md §2.7 and §8).
func (an *analysis) adminAPI() {
	m := an.m
	calls := map[string]int{}
	applicable := map[string]bool{}
	for i, w := range m.wl {
		if _, ok := calls[w.Region]; !ok {
			calls[w.Region] = 0
		}
		if (w.Method == MethodBuiltin || w.Method == MethodConnector) && w.db != noDatabase {
			calls[w.Region] += AdminAPICallsPerInstancePerDatabase * m.stormInstances(i)
			applicable[w.Region] = true
		}
	}
	for _, region := range sortedKeys(calls) {
		b := AdminAPIBurst{Region: region, Calls: calls[region], QuotaPerMin: AdminAPIConnectQuotaPerMinute, Applicable: applicable[region], Severity: SeverityOK}
		if b.Applicable {
			switch {
			case b.Calls > b.QuotaPerMin:
				b.Severity = SeverityFail
			case float64(b.Calls) > AdminAPIWarnShare*float64(b.QuotaPerMin):
				b.Severity = SeverityWarn
			}
			an.find(CheckAdminAPIQuota, region, b.Severity,
				"region %s: a full cold start makes ≈%d Cloud SQL Admin API connect calls (2 per instance per database) against %d per minute (gcp-capacity.md §2.7); cap maxInstances so the region starts ≤ %d instances, or connect by private IP",
				region, b.Calls, b.QuotaPerMin, int(AdminAPIWarnShare*float64(b.QuotaPerMin))/AdminAPICallsPerInstancePerDatabase)
		}
		an.r.AdminAPI = append(an.r.AdminAPI, b)
	}
}

// multiRegion requires, in production, an HA primary, a cross-region
// replica, and egress and workloads in at least two regions (the
// post-mortem's multi-region criterion; gcp-capacity.md §2.1, §2.2).
func (an *analysis) multiRegion() {
	m := an.m
	if m.t.Environment != EnvProduction {
		return
	}
	var missing []string
	for _, d := range m.dbs {
		if d.primary >= 0 || d.ReplicaOf != "" {
			continue
		}
		if d.Availability != AvailabilityRegional {
			missing = append(missing, fmt.Sprintf("primary %s is %s, not REGIONAL (HA)", d.Name, nonEmpty(d.Availability, AvailabilityZonal)))
		}
		cross := false
		for _, r := range m.dbs {
			if r.primary >= 0 && m.dbs[r.primary].Name == d.Name && r.Region != d.Region {
				cross = true
			}
		}
		if !cross {
			missing = append(missing, fmt.Sprintf("primary %s has no cross-region replica", d.Name))
		}
	}
	egRegions, wlRegions := map[string]bool{}, map[string]bool{}
	for _, e := range m.eg {
		if e.Kind == EgressConnector || e.Kind == EgressDirect {
			egRegions[e.Region] = true
		}
	}
	for _, w := range m.wl {
		wlRegions[w.Region] = true
	}
	if len(egRegions) < 2 {
		missing = append(missing, fmt.Sprintf("VPC egress in %d region(s) %v, want ≥ 2", len(egRegions), sortedKeys(egRegions)))
	}
	if len(wlRegions) < 2 {
		missing = append(missing, fmt.Sprintf("workloads in %d region(s) %v, want ≥ 2", len(wlRegions), sortedKeys(wlRegions)))
	}
	if len(missing) > 0 {
		an.find(CheckMultiRegion, nonEmpty(m.t.Stack, "production"), SeverityFail, "production is not multi-region redundant: %s", strings.Join(missing, "; "))
	}
}

// simulation turns the cold-start storm's result into findings that name
// what the failed instances were waiting for.
func (an *analysis) simulation() {
	m, s := an.m, an.r.Simulation
	subject := nonEmpty(m.t.Stack, "stack")
	if s.Skipped != "" {
		an.find(CheckColdStartSuccess, subject, SeverityFail, "cold start not simulated: %s", s.Skipped)
		return
	}
	if s.Instances == 0 {
		return
	}
	if s.SuccessRate < m.tg.StartupSuccessRate {
		ready := 0
		for _, w := range s.PerWorkload {
			ready += w.Ready
		}
		var causes []string
		f := s.Failures
		if f.EgressWait > 0 {
			var rs []string
			for _, r := range s.PerRegion {
				if r.ScaleOuts > 0 || r.DelayedInstances > 0 {
					rs = append(rs, fmt.Sprintf("%s %s: %d → %d instances, %d scale-outs × %g s, waits up to %.0f s", r.Region, r.Egress,
						r.ConnectorInstancesStart, r.ConnectorInstancesEnd, r.ScaleOuts, m.a.ConnectorScaleOutSeconds, r.MaxEgressWaitSeconds))
				}
			}
			causes = append(causes, fmt.Sprintf("%d waited on connector scale-out on the critical path (%s)", f.EgressWait, strings.Join(rs, "; ")))
		}
		if f.SlotExhaustion > 0 {
			var ds []string
			for _, d := range s.PerDatabase {
				if d.Refused > 0 {
					ds = append(ds, fmt.Sprintf("%s: %d usable slots, peak %d, %d attempts refused", d.Database, d.Usable, d.PeakSlots, d.Refused))
				}
			}
			causes = append(causes, fmt.Sprintf("%d hit slot exhaustion (\"too many clients\"; %s)", f.SlotExhaustion, strings.Join(ds, "; ")))
		}
		if f.AcceptQueue > 0 {
			causes = append(causes, fmt.Sprintf("%d queued behind the database accept rate (%g/s)", f.AcceptQueue, m.a.AcceptRatePerSecond))
		}
		if f.AdminQuota > 0 {
			causes = append(causes, fmt.Sprintf("%d waited for Admin API connect quota", f.AdminQuota))
		}
		if f.BuiltinCap > 0 {
			causes = append(causes, fmt.Sprintf("%d need more than %d built-in connections", f.BuiltinCap, BuiltinConnectionsPerInstance))
		}
		if f.NoDatabase > 0 {
			causes = append(causes, fmt.Sprintf("%d target a missing database", f.NoDatabase))
		}
		if f.Horizon > 0 {
			causes = append(causes, fmt.Sprintf("%d unresolved at the %g s horizon", f.Horizon, s.HorizonSeconds))
		}
		an.find(CheckColdStartSuccess, subject, SeverityFail,
			"predicted cold-start success %.1f%% (%d of %d instances ready) is below the %.1f%% target; failed: %s",
			100*s.SuccessRate, ready, s.Instances, 100*m.tg.StartupSuccessRate, nonEmpty(strings.Join(causes, "; "), "unknown"))
	}
	if s.ConnectP99Seconds > m.tg.ConnectP99Seconds {
		an.find(CheckColdStartSuccess, subject, SeverityFail,
			"predicted connect p99 %.1f s exceeds the %g s target (p50 %.1f s, p95 %.1f s)", s.ConnectP99Seconds, m.tg.ConnectP99Seconds, s.ConnectP50Seconds, s.ConnectP95Seconds)
	}
}
