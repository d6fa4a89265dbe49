package capacity

import (
	"fmt"
	"math"
	"sort"
)

// Scenario identifiers (docs/capacity-model.md "Scenarios"). A stack is
// judged in every scenario that applies to it; its verdict is the worst
// over them.
const (
	// ScenarioColdStart: every instance of every service starts from zero
	// at once.
	ScenarioColdStart = "cold-start"
	// ScenarioRolloutPrefix + group: one workload group's new revision
	// starts while its old revision lingers with its pools open.
	ScenarioRolloutPrefix = "rollout/"
	// ScenarioRolloutAll: one `pulumi up` rolls every service at once.
	ScenarioRolloutAll = "rollout/all"
	// ScenarioFailoverPrefix + replica: regional failover onto a promoted
	// replica; everything routed to the primary reconnects to it.
	ScenarioFailoverPrefix = "failover/"
	// ScenarioRestartPrefix + database: the reconnect storm after an HA
	// failover or a maintenance restart of that instance.
	ScenarioRestartPrefix = "restart/"
	// ScenarioOvershoot: Cloud Run briefly exceeds max instances (Google:
	// typically under 2×). Advisory only.
	ScenarioOvershoot = "overshoot"
)

// ScenarioKind groups scenario IDs.
type ScenarioKind string

// Scenario kinds.
const (
	KindColdStart ScenarioKind = "cold-start"
	KindRollout   ScenarioKind = "rollout"
	KindFailover  ScenarioKind = "failover"
	KindRestart   ScenarioKind = "restart"
	KindOvershoot ScenarioKind = "overshoot"
)

// ScenarioChecks are the checks evaluated in every scenario, in report
// order. The static checks (topology, built-in cap, multi-region) do not
// depend on the moment and are reported once, with no scenario.
var ScenarioChecks = []string{
	CheckConnectionBudget, CheckReplicaParity, CheckEgressHeadroom, CheckDirectEgressIPs,
	CheckTimeoutBudget, CheckAdminAPIQuota, CheckColdStartSuccess,
}

// scenario is one moment the stack is judged at, as per-workload instance
// counts. Every check reads demand from it, so a check written once is
// evaluated in every scenario.
type scenario struct {
	id       string
	kind     ScenarioKind
	desc     string
	advisory bool
	// held[i]: instances of workload i that hold their pools throughout
	// (an old revision lingering, services the scenario does not touch).
	held []int
	// storm[i]: instances of workload i that open their startup
	// connections during the scenario (new instances, or reconnecting ones).
	storm []int
	// traffic[i]: instances carrying VPC egress traffic (Mbps demand);
	// lingering old instances carry none.
	traffic []int
	// target[i]: database index workload i connects to in the scenario
	// (failover routes the primary's load to the promoted replica).
	target []int
	// dbRoute[d]: where database d's consumers go; −1 when d is down.
	dbRoute []int
	// fresh: storm instances are new, so they wait for VPC egress
	// (connector scale-out from connStart, Direct VPC egress warm-up).
	// Reconnecting instances (failover, restart) already have egress.
	fresh bool
	// connStart[e]: connector e's instances when the scenario begins:
	// its minimum at a cold start, the size that carries full-scale traffic
	// otherwise (connectors never scale in).
	connStart []int
	// promoted is the replica a failover promotes (−1 otherwise).
	promoted int
	// heldOn[d] and attemptsOn[d] cache heldConnections and stormAttempts
	// per database (computed once per scenario); serverOn[d] is the server
	// connections the storm adds (attemptsOn[d] unless pooled) and
	// clientsOn[d] the client connections once the storm has connected.
	heldOn, attemptsOn, serverOn, clientsOn []int
}

// scenarios builds every scenario that applies to the model, in report
// order: cold-start, rollout per group (sorted), rollout/all when there is
// more than one group, failover per replica, restart per database,
// overshoot.
func (m *model) scenarios() []*scenario {
	out := []*scenario{m.coldStart()}
	groups := m.groups()
	for _, g := range groups {
		out = append(out, m.rollout(ScenarioRolloutPrefix+g, map[string]bool{g: true}))
	}
	if len(groups) > 1 {
		all := map[string]bool{}
		for _, g := range groups {
			all[g] = true
		}
		out = append(out, m.rollout(ScenarioRolloutAll, all))
	}
	for ri, r := range m.dbs {
		if r.primary >= 0 {
			out = append(out, m.failover(ri))
		}
	}
	for di := range m.dbs {
		if !m.dbDuplicate(di) {
			out = append(out, m.restart(di))
		}
	}
	if len(m.workloads) > 0 {
		out = append(out, m.overshoot())
	}
	return out
}

// groups lists the workload groups, sorted.
func (m *model) groups() []string { return m.groupNames }

// dbDuplicate is true for the second and later databases of one name.
func (m *model) dbDuplicate(di int) bool { return m.dbIndex[m.dbs[di].Name] != di }

func (m *model) newScenario(id string, kind ScenarioKind) *scenario {
	n := len(m.workloads)
	sc := &scenario{id: id, kind: kind, held: make([]int, n), storm: make([]int, n), traffic: make([]int, n),
		target: make([]int, n), dbRoute: make([]int, len(m.dbs)), connStart: make([]int, len(m.egress)), promoted: -1}
	for i, w := range m.workloads {
		sc.target[i] = w.db
		sc.traffic[i] = w.maxInst
	}
	for d := range m.dbs {
		sc.dbRoute[d] = d
	}
	for e := range m.egress {
		sc.connStart[e] = m.warmConnector(e)
	}
	return sc
}

// coldStart starts every instance from zero; connectors are at their
// minimum.
func (m *model) coldStart() *scenario {
	sc := m.newScenario(ScenarioColdStart, KindColdStart)
	sc.desc = "every instance of every service starts from zero at once"
	sc.fresh = true
	for i, w := range m.workloads {
		sc.storm[i] = w.maxInst
	}
	for e := range m.egress {
		sc.connStart[e] = m.egress[e].minI
	}
	return sc
}

// rollout deploys a new revision of the workloads in groups while their
// old revision lingers with its pools open (max instances is per revision
// in pulumi-gcp v7.38.0, docs/gcp-limits.md#cloud-run-rollout). With
// DeployLatest every new instance starts at once; with DeployCandidate the
// new revision's floor (minInstances) is already up, connected and
// holding its pools, before the flip, and the rest starts at the flip. In
// both styles the old revision keeps its instances for the linger window
// after the flip, so the peak demand is old + new at max instances.
// Untouched workloads hold their pools at full scale.
func (m *model) rollout(id string, groups map[string]bool) *scenario {
	sc := m.newScenario(id, KindRollout)
	sc.fresh = true
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	if id == ScenarioRolloutAll {
		sc.desc = fmt.Sprintf("one deploy rolls every service; old revisions keep their pools open for %g s", m.assume.RevisionLingerSeconds)
	} else {
		sc.desc = fmt.Sprintf("a new revision of %s starts while the old one keeps its pools open for %g s", names[0], m.assume.RevisionLingerSeconds)
	}
	for i, w := range m.workloads {
		sc.held[i] = w.maxInst
		if !groups[w.group] {
			continue
		}
		floor := 0
		if w.Deploy == DeployCandidate {
			floor = min(max(w.MinInstances, 0), w.maxInst)
		}
		// The old revision lingers and the new one fills its own pools.
		sc.held[i] = w.maxInst + floor
		sc.storm[i] = w.maxInst - floor
	}
	return sc
}

// failover promotes replica ri: the workloads and consumers of its primary
// (and its own) reconnect to it at once; their instances are up, so their
// egress is warm.
func (m *model) failover(ri int) *scenario {
	r := m.dbs[ri]
	sc := m.newScenario(ScenarioFailoverPrefix+r.Name, KindFailover)
	sc.desc = fmt.Sprintf("regional failover: replica %s is promoted and every client of %s reconnects to it", r.Name, m.dbs[r.primary].Name)
	sc.promoted = ri
	sc.dbRoute[r.primary] = ri
	for i, w := range m.workloads {
		if w.db == r.primary || w.db == ri {
			sc.target[i] = ri
			sc.storm[i] = w.maxInst
		} else {
			sc.held[i] = w.maxInst
		}
	}
	return sc
}

// restart is the reconnect storm after an HA failover or a maintenance
// restart of database di: every instance connected to it reconnects its
// pool at once; the others keep theirs.
func (m *model) restart(di int) *scenario {
	sc := m.newScenario(ScenarioRestartPrefix+m.dbs[di].Name, KindRestart)
	sc.desc = fmt.Sprintf("%s restarts (HA failover or maintenance); every instance connected to it reconnects at once", m.dbs[di].Name)
	for i, w := range m.workloads {
		if w.db == di {
			sc.storm[i] = w.maxInst
		} else {
			sc.held[i] = w.maxInst
		}
	}
	return sc
}

// overshoot runs every service at MaxInstanceOvershoot × max instances:
// max instances already up, the excess starting fresh. Advisory: Google
// documents the overshoot as brief and typically under 2×.
func (m *model) overshoot() *scenario {
	sc := m.newScenario(ScenarioOvershoot, KindOvershoot)
	sc.desc = fmt.Sprintf("Cloud Run briefly runs %g× max instances (advisory)", m.assume.MaxInstanceOvershoot)
	sc.advisory, sc.fresh = true, true
	for i, w := range m.workloads {
		n := overshootInstances(w.maxInst, m.assume.MaxInstanceOvershoot)
		sc.held[i] = w.maxInst
		sc.storm[i] = n - w.maxInst
		sc.traffic[i] = n
	}
	return sc
}

// overshootInstances is ⌈max × factor⌉ (at least max).
func overshootInstances(maxInst int, factor float64) int {
	return max(maxInst, int(math.Ceil(float64(maxInst)*factor-eps)))
}

// warmConnector is connector e's size once it has carried full-scale
// traffic: connectors never scale in (docs/gcp-limits.md#vpc-connector).
func (m *model) warmConnector(e int) int {
	eg := &m.egress[e]
	if eg.Kind != EgressConnector || !eg.machineOK || eg.machine.PerInstanceMbps <= 0 {
		return eg.minI
	}
	full := 0.0
	for _, i := range m.egressUsers(e) {
		full += float64(m.workloads[i].maxInst) * math.Max(m.workloads[i].EgressMbpsPerInstance, 0)
	}
	want := int(math.Ceil(full/eg.machine.PerInstanceMbps - eps))
	return min(max(want, eg.minI), eg.maxI)
}

// instances is what workload i runs in the scenario (held + storm).
func (sc *scenario) instances(i int) int { return sc.held[i] + sc.storm[i] }

// heldConnections is the server connections database d carries before
// the storm: held instances' pools (through the poolers when pooled) and
// the consumers routed to it.
func (m *model) heldConnections(sc *scenario, d int) int {
	m.loads(sc)
	return sc.heldOn[d]
}

// loads fills the scenario's per-database held connections, storm
// attempts, server connections the storm adds and clients once.
// Consumers count as direct server connections on a pooled instance too
// (the most they can hold).
func (m *model) loads(sc *scenario) {
	if sc.heldOn != nil {
		return
	}
	n := len(m.dbs)
	sc.heldOn, sc.attemptsOn, sc.serverOn, sc.clientsOn = make([]int, n), make([]int, n), make([]int, n), make([]int, n)
	for d := range m.dbs {
		sc.heldOn[d] = m.consumersOn(sc, d)
	}
	for i, w := range m.workloads {
		d := sc.target[i]
		if d < 0 {
			continue
		}
		pool := m.dbs[d].pool
		held, attempts := sc.held[i]*w.perInst, sc.storm[i]*w.startup
		sc.heldOn[d] += pool.server(held)
		sc.attemptsOn[d] += attempts
		sc.serverOn[d] += pool.server(held+attempts) - pool.server(held)
		sc.clientsOn[d] += held + attempts
	}
}

// stormServer is the server connections the storm adds on database d:
// its startup connections, or on a pooled instance what they add to each
// service's server connections through the poolers.
func (m *model) stormServer(sc *scenario, d int) int {
	m.loads(sc)
	return sc.serverOn[d]
}

// stormClients is the client connections of the services on database d
// once the storm has connected (held pools + startup connections).
func (m *model) stormClients(sc *scenario, d int) int {
	m.loads(sc)
	return sc.clientsOn[d]
}

// consumersOn is the connections of the non-Cloud-Run consumers that the
// scenario routes to database d.
func (m *model) consumersOn(sc *scenario, d int) int {
	n := 0
	for s := range m.dbs {
		if sc.dbRoute[s] == d {
			n += m.dbs[s].consumers
		}
	}
	return n
}

// consumerList lists the consumers the scenario routes to database d.
func (m *model) consumerList(sc *scenario, d int) []Consumer {
	var out []Consumer
	for s := range m.dbs {
		if sc.dbRoute[s] == d {
			out = append(out, m.dbs[s].Consumers...)
		}
	}
	return out
}

// stormAttempts is Σ storm instances × startup connections on database d.
func (m *model) stormAttempts(sc *scenario, d int) int {
	m.loads(sc)
	return sc.attemptsOn[d]
}

// egressDemandMbps is Σ traffic instances × egress per instance of
// egress e's users.
func (m *model) egressDemandMbps(sc *scenario, e int) float64 {
	total := 0.0
	for _, i := range m.egressUsers(e) {
		total += float64(sc.traffic[i]) * math.Max(m.workloads[i].EgressMbpsPerInstance, 0)
	}
	return total
}

// egressInstances is Σ instances holding egress (Direct VPC egress IPs)
// of egress e's users: old and new revisions each hold their IPs.
func (m *model) egressInstances(sc *scenario, e int) int {
	n := 0
	for _, i := range m.egressUsers(e) {
		n += sc.instances(i)
	}
	return n
}

// connectorScaleOut returns, for connector egress e in the scenario, how
// many instances must be added beyond its starting size, how many can be
// (bounded by max), and whether the demand exceeds the connector's maximum.
func (m *model) connectorScaleOut(sc *scenario, e int) (needed, possible int, saturated bool) {
	eg := &m.egress[e]
	if eg.Kind != EgressConnector || !eg.machineOK || eg.machine.PerInstanceMbps <= 0 {
		return 0, 0, false
	}
	demand := m.egressDemandMbps(sc, e)
	want := int(math.Ceil(demand/eg.machine.PerInstanceMbps - eps))
	start := sc.connStart[e]
	needed = max(want-start, 0)
	possible = min(needed, eg.maxI-start)
	return needed, max(possible, 0), want > eg.maxI
}

// scenarioByID builds the scenario with the given ID.
func (m *model) scenarioByID(id string) (*scenario, bool) {
	for _, sc := range m.scenarios() {
		if sc.id == id {
			return sc, true
		}
	}
	return nil, false
}
