package capacity

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
)

// model is a Topology resolved against the catalog: effective
// max_connections, defaults applied, workloads linked to their database and
// egress. The analyses and the simulator share it so they agree.
type model struct {
	topo      Topology
	assume    Assumptions
	targets   Targets
	dbs       []dbInfo
	egress    []egInfo
	workloads []wlInfo
	// dbIndex maps a database name to its index in dbs.
	dbIndex map[string]int
	// users[e] lists the workloads that use egress e.
	users [][]int
	// byName lists workload indices sorted by name then region (report order).
	byName []int
	// groupNames are the workload groups, sorted; groupOf[i] is workload
	// i's index in it.
	groupNames []string
	groupOf    []int
}

type dbInfo struct {
	Database
	tier     Tier
	tierErr  error
	maxConn  int  // in force: explicit flag or default
	explicit bool // MaxConnections was set
	usable   int  // maxConn − reserved, ≥ 0
	allowed  int  // floor(usable × utilization)
	primary  int  // index of the primary for a replica, −1 otherwise
	// consumers is Σ connections of the non-Cloud-Run consumers.
	consumers int
	// acceptRate is new connections per second the instance completes.
	acceptRate float64
	// pool is its Managed Connection Pooling (zero: not pooled).
	pool poolInfo
}

type egInfo struct {
	Egress
	machine   ConnectorMachine
	machineOK bool
	minI      int // effective connector min instances
	maxI      int // effective connector max instances
}

// capacityMbps is the connector's throughput at n instances (per-instance
// figure is an inference, docs/gcp-limits.md#vpc-connector).
func (e *egInfo) capacityMbps(n int) float64 { return float64(n) * e.machine.PerInstanceMbps }

type wlInfo struct {
	Workload
	group   string
	maxInst int // MaxInstances, or Cloud Run's default 100 when unset
	perInst int // connections one instance may hold: processes × Σ(pool + overflow)
	startup int // connections one instance opens before it is ready
	db      int // index into dbs; −1 none (Database == ""); −2 unknown name
	egress  int // index into eg; −1 none / not found
	window  float64
	// budget is the time an instance has to establish its startup
	// connections: min(connect timeout, probe window).
	budget float64
}

const (
	noDatabase      = -1
	unknownDatabase = -2
)

// eps absorbs float error in floor(x × 0.8)-style arithmetic.
const eps = 1e-9

func floorEps(x float64) int { return int(math.Floor(x + eps)) }

func newModel(t Topology) *model {
	m := &model{topo: t, assume: t.Assumptions.WithDefaults(), targets: t.Targets.WithDefaults(), dbIndex: map[string]int{}}
	for _, d := range t.Databases {
		info := dbInfo{Database: d, primary: -1}
		info.tier, info.tierErr = ParseTier(d.Tier)
		if _, dup := m.dbIndex[d.Name]; !dup {
			m.dbIndex[d.Name] = len(m.dbs)
		}
		m.dbs = append(m.dbs, info)
	}
	for i := range m.dbs {
		if p, ok := m.dbIndex[m.dbs[i].ReplicaOf]; ok && m.dbs[i].ReplicaOf != "" && p != i {
			m.dbs[i].primary = p
		}
	}
	for i := range m.dbs {
		d := &m.dbs[i]
		d.maxConn, d.explicit = d.MaxConnections, d.MaxConnections > 0
		if !d.explicit {
			d.maxConn = DefaultMaxConnectionsForMemory(m.chainMemoryGB(i))
		}
		d.usable = max(d.maxConn-m.assume.ReservedConnections, 0)
		d.allowed = floorEps(float64(d.usable) * m.targets.ConnectionUtilization)
		d.consumers = d.ConsumerConnections()
		if d.tierErr == nil {
			d.pool = resolvePooling(d.Pooling, d.tier, d.Edition)
		}
		d.acceptRate = m.assume.AcceptRatePerSecond
		if d.acceptRate <= 0 {
			d.acceptRate = m.assume.AcceptRatePerVCPU * float64(max(d.tier.VCPUs, 1))
		}
	}
	for _, e := range t.Egress {
		info := egInfo{Egress: e, minI: e.MinInstances, maxI: e.MaxInstances}
		if e.Kind == EgressConnector {
			mt := e.MachineType
			if mt == "" {
				mt = ConnectorDefaultMachineType
			}
			info.machine, info.machineOK = LookupConnectorMachine(mt)
			if info.minI == 0 {
				info.minI = ConnectorDefaultMinInstances
			}
			if info.maxI == 0 {
				info.maxI = ConnectorDefaultMaxInstances
			}
			info.maxI = max(info.maxI, info.minI)
		}
		m.egress = append(m.egress, info)
	}
	for _, w := range t.Workloads {
		info := wlInfo{Workload: w, group: w.Group, maxInst: w.MaxInstances, db: noDatabase}
		if info.group == "" {
			info.group = w.Name
		}
		if info.maxInst <= 0 {
			info.maxInst = CloudRunDefaultMaxInstances
		}
		info.perInst = w.ConnectionsPerInstance()
		info.startup = w.StartupConnectionsPerInstance()
		if w.Database != "" {
			info.db = unknownDatabase
			if i, ok := m.dbIndex[w.Database]; ok {
				info.db = i
			}
		}
		info.egress = m.findEgress(w)
		info.window = ProbeWindowSeconds(w.StartupProbe)
		info.budget = info.window
		if w.ConnectTimeoutSeconds > 0 && w.ConnectTimeoutSeconds < info.budget {
			info.budget = w.ConnectTimeoutSeconds
		}
		m.workloads = append(m.workloads, info)
	}
	m.index()
	return m
}

// chainMemoryGB is the largest memory in the primary chain of database i:
// Cloud SQL derives a replica's default max_connections from it
// (docs/gcp-limits.md#cloud-sql-max-connections). Cycles are cut.
func (m *model) chainMemoryGB(i int) float64 {
	best := 0.0
	seen := map[int]bool{}
	for i >= 0 && !seen[i] {
		seen[i] = true
		if m.dbs[i].tierErr == nil && m.dbs[i].tier.MemoryGB > best {
			best = m.dbs[i].tier.MemoryGB
		}
		i = m.dbs[i].primary
	}
	return best
}

// findEgress links a workload to the egress of its region and kind,
// preferring the one it names; −1 when there is none.
func (m *model) findEgress(w Workload) int {
	if w.Egress == EgressNone || w.Egress == "" {
		return -1
	}
	fallback := -1
	for i, e := range m.egress {
		if e.Region != w.Region || e.Kind != w.Egress {
			continue
		}
		if w.EgressName == "" || e.Name == w.EgressName {
			return i
		}
		if fallback < 0 {
			fallback = i
		}
	}
	return fallback
}

// egressUsers lists the workloads that use egress e.
func (m *model) egressUsers(e int) []int { return m.users[e] }

// index precomputes what every scenario reads: egress users, the report
// order of workloads, and the workload groups.
func (m *model) index() {
	m.users = make([][]int, len(m.egress))
	for i, w := range m.workloads {
		if w.egress >= 0 {
			m.users[w.egress] = append(m.users[w.egress], i)
		}
	}
	m.byName = make([]int, len(m.workloads))
	for i := range m.byName {
		m.byName[i] = i
	}
	slices.SortStableFunc(m.byName, func(a, b int) int {
		x, y := &m.workloads[a], &m.workloads[b]
		return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(x.Region, y.Region))
	})
	idx := map[string]int{}
	for _, w := range m.workloads {
		if _, ok := idx[w.group]; !ok {
			idx[w.group] = 0
			m.groupNames = append(m.groupNames, w.group)
		}
	}
	sort.Strings(m.groupNames)
	for i, g := range m.groupNames {
		idx[g] = i
	}
	m.groupOf = make([]int, len(m.workloads))
	for i, w := range m.workloads {
		m.groupOf[i] = idx[w.group]
	}
}

// sortedKeys returns a map's keys in order (deterministic output).
func sortedKeys[V any](mp map[string]V) []string {
	out := make([]string, 0, len(mp))
	for k := range mp {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
