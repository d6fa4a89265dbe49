package capacity

import "strings"

// This file is the contract between the model and its consumers (policy
// pack, offline plan, probe). Fields may be added; do not rename or remove.

// Severity of a finding.
type Severity string

const (
	// SeverityOK: the check passes.
	SeverityOK Severity = "ok"
	// SeverityWarn: a risk or a judgement call; does not block a deploy.
	SeverityWarn Severity = "warn"
	// SeverityFail: the stack cannot carry its load; blocks a deploy.
	SeverityFail Severity = "fail"
)

// Check names. They match the policy names of the policy pack that reports
// them, so a finding and a violation can be correlated.
const (
	// CheckConnectionBudget: Σ max instances × (pool + overflow) + slack
	// against (max_connections − reserved) × utilization, per database.
	CheckConnectionBudget = "connection-budget"
	// CheckReplicaParity: a promoted replica carries its primary's demand.
	CheckReplicaParity = "replica-capacity-parity"
	// CheckColdStartSuccess: the simulated cold-start storm meets the targets.
	CheckColdStartSuccess = "cold-start-success"
	// CheckTimeoutBudget: the worst-case connect path fits the app's connect
	// timeout and the startup probe window.
	CheckTimeoutBudget = "timeout-budget"
	// CheckEgressHeadroom: the region's egress carries the cold start
	// without connector scale-out on the critical path.
	CheckEgressHeadroom = "egress-headroom"
	// CheckDirectEgressIPs: a Direct VPC egress subnet has enough IPs.
	CheckDirectEgressIPs = "direct-egress-ip-capacity"
	// CheckAdminAPIQuota: a cold start's Admin API connect calls fit the quota.
	CheckAdminAPIQuota = "admin-api-connect-quota"
	// CheckBuiltinConnCap: the built-in Cloud SQL connection's 100 per instance.
	CheckBuiltinConnCap = "builtin-connection-cap"
	// CheckMultiRegion: production is redundant across regions.
	CheckMultiRegion = "multi-region-redundancy"
	// CheckTopologyConsistent: the inputs are valid and link up.
	CheckTopologyConsistent = "topology"
)

// Finding is one verdict with the numbers behind it.
type Finding struct {
	// Check is one of the Check* names.
	Check string
	// Subject is what the finding is about: a database instance, a region,
	// or a workload (service) name.
	Subject  string
	Severity Severity // warn or fail (OK verdicts are not listed)
	// Scenario is the ID of the scenario the finding was judged in
	// (ScenarioColdStart, "rollout/<group>", …); empty for static checks
	// (topology, built-in cap, multi-region) that hold in every scenario.
	Scenario string
	// Message says what is wrong and what to change, with numbers, e.g.
	// "raise max_connections to ≥ 412 or lower netra-backend maxInstances to ≤ 14".
	Message string
	// Remedies are the changes Message proposes, machine-readable (what
	// `headroom suggest` turns into candidate edits); empty when the
	// message proposes none a stack file can express.
	Remedies []Remedy
}

// Report is every analysis of one topology.
type Report struct {
	Budgets    []ConnectionBudget // one per database instance
	Failover   []FailoverBudget   // one per replica
	Egress     []EgressHeadroom   // one per connector or Direct VPC egress
	DirectIPs  []DirectIPCapacity // one per Direct VPC egress subnet
	Timeouts   []TimeoutBudget    // one per workload
	AdminAPI   []AdminAPIBurst    // one per region
	Simulation SimResult          // the cold-start storm with default options
	// Findings lists every non-OK verdict, sorted by check then subject.
	Findings []Finding
	// Scenarios lists every scenario judged, in a fixed order (cold-start,
	// rollouts, failovers, restarts, overshoot), each with its verdict per
	// check. Budgets … Simulation above are the cold-start scenario's.
	Scenarios []ScenarioResult
}

// ScenarioResult is one scenario's verdicts and the numbers behind them.
type ScenarioResult struct {
	ID   string       // e.g. "cold-start", "rollout/netra-backend"
	Kind ScenarioKind // cold-start, rollout, failover, restart, overshoot
	// Description says in one line what happens in the scenario.
	Description string
	// Advisory scenarios (overshoot) never fail the stack: their findings
	// are warnings.
	Advisory bool
	// Severity is the worst of Checks.
	Severity Severity
	// Checks is the verdict of every check evaluated in the scenario, in
	// ScenarioChecks order.
	Checks []CheckVerdict
	// Per-check detail, as in Report.
	Budgets    []ConnectionBudget
	Egress     []EgressHeadroom
	DirectIPs  []DirectIPCapacity
	Timeouts   []TimeoutBudget // one per workload that starts or reconnects
	AdminAPI   []AdminAPIBurst
	Simulation SimResult
}

// CheckVerdict is one check's verdict in one scenario.
type CheckVerdict struct {
	Check    string
	Severity Severity
}

// Verdict returns the severity of check in the scenario (SeverityOK when
// it was not evaluated there).
func (s ScenarioResult) Verdict(check string) Severity {
	for _, c := range s.Checks {
		if c.Check == check {
			return c.Severity
		}
	}
	return SeverityOK
}

// ConnectionBudget is the demand on one database instance.
type ConnectionBudget struct {
	Database string // Cloud SQL instance name
	Region   string // its region
	// MaxConnections in force (explicit flag or the tier default).
	MaxConnections int
	// MaxConnectionsExplicit is false when the tier default applies.
	MaxConnectionsExplicit bool
	Reserved               int // superuser + Cloud SQL connections (assumption)
	AdminSlack             int // kept for migrations and operators
	// Consumers is what the non-Cloud-Run consumers (jobs, psql, BI tools)
	// routed to this instance in the scenario hold; counted in every scenario.
	Consumers int
	// Usable = MaxConnections − Reserved.
	Usable int
	// Allowed = floor(Usable × utilization target).
	Allowed int
	// Demand = Σ instances × connections per instance of the workloads that
	// target it in the scenario, plus Consumers, plus AdminSlack.
	Demand      int
	Utilization float64 // Demand / Usable
	// Contributors lists each workload's share of Demand.
	Contributors []BudgetContributor
	Severity     Severity // fail when Demand > Allowed
	// RequiredMaxConnections is the smallest max_connections that fits
	// Demand at the utilization target (Reserved + ⌈Demand ÷ target⌉).
	RequiredMaxConnections int
	// MaxInstancesRemedies says, per workload group, the largest per-region
	// maxInstances that fits when only that group changes (set when the
	// budget fails).
	MaxInstancesRemedies []InstanceRemedy
	// Managed Connection Pooling (Poolers is 0 when the instance is not
	// pooled): Demand then counts each service's server connections through
	// the poolers, min(its clients, PoolCap); PoolCap is poolers ×
	// max_pool_size (0 when unset: no relief). Clients is every service's
	// client connections, judged against ClientCapacity = poolers ×
	// max_client_connections (0 when unset: not judged).
	Poolers        int `json:",omitempty"`
	PoolCap        int `json:",omitempty"`
	Clients        int `json:",omitempty"`
	ClientCapacity int `json:",omitempty"`
}

// InstanceRemedy is one way to fit a connection budget by lowering one
// workload group's maxInstances (per region) while the rest stays.
type InstanceRemedy struct {
	Group   string // workload group (Workload.Group)
	Regions int    // regions the group is deployed to on this database
	// MaxInstances is the largest per-region value that fits; Feasible is
	// false when even 0 instances would not fit (the others alone overflow).
	MaxInstances int
	Feasible     bool
}

// BudgetContributor is one workload's share of a database's demand.
type BudgetContributor struct {
	Workload string // Cloud Run service name
	Region   string // its region
	// Group is the workload's logical group (Workload.Group or its name).
	Group        string
	MaxInstances int // max instances (100 when unset)
	// Instances holding connections in the scenario: MaxInstances, or more
	// when an old revision lingers (rollout) or Cloud Run overshoots.
	Instances   int
	PerInstance int // processes × Σ (pool + overflow)
	// Connections is Instances × PerInstance, or on a pooled instance the
	// server connections they hold through the poolers (≤ that).
	Connections int
}

// Clients is the client connections the contributor's instances hold.
func (c BudgetContributor) Clients() int { return c.Instances * c.PerInstance }

// Name is the contributor as reports print it: the service name, with the
// region added only when the name does not already end in it (Headroom's
// services are named "<workload>-<region>").
func (c BudgetContributor) Name() string {
	if c.Region == "" || strings.HasSuffix(c.Workload, c.Region) {
		return c.Workload
	}
	return c.Workload + " (" + c.Region + ")"
}

// FailoverBudget asks whether a replica, once promoted, can carry what its
// primary carries.
type FailoverBudget struct {
	Primary        string   // primary instance name
	Replica        string   // replica instance name
	PrimaryDemand  int      // what the promoted replica must carry (primary demand + its own)
	ReplicaAllowed int      // the replica's Allowed
	Severity       Severity // fail when the replica cannot carry it or is smaller
}

// EgressHeadroom is one region's egress demand against its capacity.
type EgressHeadroom struct {
	Region string     // GCP region
	Kind   EgressKind // connector or direct
	Name   string     // connector or subnet name
	// DemandMbps at full scale (Σ maxInstances × egress per instance).
	DemandMbps float64
	// ColdStartMbps is the demand when every workload is at min instances
	// and then all start at once (what the connector sees at t=0).
	ColdStartMbps float64
	// CapacityMinMbps is the capacity at the connector's minimum size;
	// CapacityMaxMbps at its maximum. For Direct VPC egress both are the
	// per-instance figure times instances (no shared bottleneck).
	CapacityMinMbps float64
	CapacityMaxMbps float64
	// ScaleOutsNeeded is how many connector instances must be added to
	// carry full-scale demand; ScaleOutOnCriticalPath is true when that
	// happens while instances are starting.
	ScaleOutsNeeded        int
	ScaleOutOnCriticalPath bool
	Severity               Severity // fail when scale-out ≥ 10 s sits on the critical path or max size is short
	// MachineType, MinInstances and MaxInstances are the connector's
	// effective sizing (defaults applied).
	MachineType  string
	MinInstances int
	MaxInstances int
	// ScaleOutSeconds is the delay the scale-out puts on the critical path:
	// min(ScaleOutsNeeded, max − min) × ConnectorScaleOutSeconds.
	ScaleOutSeconds float64
	// Saturated is true when ColdStartMbps exceeds CapacityMaxMbps.
	Saturated bool
}

// DirectIPCapacity is a Direct VPC egress subnet's IP budget.
type DirectIPCapacity struct {
	Region       string // GCP region
	Subnet       string // subnet CIDR
	PrefixLength int    // e.g. 26 for a /26
	UsableIPs    int    // size − 4 reserved (inference)
	// NeededIPs = 2 × Σ maxInstances on the subnet + one 16-address block.
	NeededIPs int
	Severity  Severity // fail when short of IPs or smaller than /26
}

// TimeoutBudget is one workload's worst-case connect path.
type TimeoutBudget struct {
	Workload string // Cloud Run service name
	Region   string // its region
	// Components of the worst case, in seconds.
	EgressDelaySeconds float64 // connector scale-out or Direct VPC egress start
	QueueSeconds       float64 // waiting for a free slot / accept capacity
	HandshakeSeconds   float64 // one uncontended connection
	WorstCaseSeconds   float64 // egress + queue + handshake
	// ConnectTimeoutSeconds is the app's timeout; ProbeWindowSeconds is
	// initialDelay + period × failureThreshold of the startup probe.
	ConnectTimeoutSeconds float64
	ProbeWindowSeconds    float64
	Severity              Severity // fail when the worst case exceeds the budget
	// BudgetSeconds = min(connect timeout, probe window): the time an
	// instance really has.
	BudgetSeconds float64
	// SlotsExhausted is true when the cold start's startup connections on
	// the target database exceed its usable slots (queueing is unbounded);
	// EgressSaturated when the connector cannot carry the cold start even
	// at its maximum size.
	SlotsExhausted  bool
	EgressSaturated bool
	// Cause names the dominant component(s) of the worst case.
	Cause string
}

// AdminAPIBurst is the Cloud SQL Admin API connect-call burst of a full
// cold start in one region, against the per-minute quota.
type AdminAPIBurst struct {
	Region      string   // GCP region
	Calls       int      // 2 × instances using the built-in connection or a connector
	QuotaPerMin int      // 1,000 (docs/gcp-limits.md#admin-api-quota)
	Severity    Severity // fail above the quota, warn above 80 %
	Applicable  bool     // false when no workload uses MethodConnector/MethodBuiltin
}

// SimOptions tunes one simulation run. Zero values take defaults.
type SimOptions struct {
	// TimeStepSeconds is the resolution of Series.
	TimeStepSeconds float64
	// HorizonSeconds bounds simulated time.
	HorizonSeconds float64
}

// SimResult is the outcome of a cold-start storm simulation.
type SimResult struct {
	Instances int // instances started by the storm
	Attempts  int // connection attempts, retries included
	// SuccessRate is the share of instances whose startup connections were
	// all established within their connect timeout and probe window.
	SuccessRate float64
	// Time to ready of successful instances, seconds from storm start.
	TimeToReadyP50Seconds float64
	TimeToReadyP95Seconds float64
	TimeToReadyP99Seconds float64
	// Connection establishment latency of successful attempts.
	ConnectP50Seconds float64
	ConnectP95Seconds float64
	ConnectP99Seconds float64
	PeakSlotsUsed     int // most slots in use at once, all databases
	// PerDatabase and PerWorkload break the result down.
	PerWorkload []WorkloadSim
	PerDatabase []DatabaseSim
	PerRegion   []RegionSim // one per connector
	// Failures attributes every failed instance to one cause.
	Failures FailureCauses
	// Refused counts attempts refused because every usable slot was taken
	// ("sorry, too many clients already").
	Refused int
	// Skipped says why the storm was not simulated (empty when it was).
	Skipped string
	// Seed and HorizonSeconds are the values the run used.
	Seed           int64
	HorizonSeconds float64
	// Series is the number of ready instances over time.
	Series []SeriesPoint
}

// FailureCauses counts failed instances by what they were waiting for
// when their connect budget ran out.
type FailureCauses struct {
	// EgressWait: still queued behind the connector (scale-out).
	EgressWait int
	// SlotExhaustion: at least one startup connection was refused because
	// the database had no usable slot left.
	SlotExhaustion int
	// AcceptQueue: never refused, but the database's accept rate did not
	// get to all its connections in time.
	AcceptQueue int
	// AdminQuota: waiting for Cloud SQL Admin API connect quota.
	AdminQuota int
	// BuiltinCap: more startup connections than the built-in Cloud SQL
	// connection allows per instance.
	BuiltinCap int
	// NoDatabase: the workload targets a database the topology lacks.
	NoDatabase int
	// Horizon: unresolved when the simulation horizon ended.
	Horizon int
}

// DatabaseSim is one database's share of a simulation.
type DatabaseSim struct {
	Database  string // Cloud SQL instance name
	Usable    int    // max_connections − reserved
	PeakSlots int    // most slots in use at once
	Attempts  int    // attempts it served, retries included
	Refused   int    // attempts refused for lack of a slot
}

// RegionSim is one region's connector behaviour in a simulation.
type RegionSim struct {
	Region string // GCP region
	Egress string // connector name
	// ConnectorInstancesStart and ConnectorInstancesEnd are the
	// connector's size before and after the storm (it never scales in).
	ConnectorInstancesStart int
	ConnectorInstancesEnd   int
	ScaleOuts               int // instances added during the storm
	// MaxEgressWaitSeconds is the longest any instance waited for the
	// connector to carry it.
	MaxEgressWaitSeconds float64
	// DelayedInstances waited for connector capacity at all.
	DelayedInstances int
}

// WorkloadSim is one workload's share of a simulation.
type WorkloadSim struct {
	Workload    string  // Cloud Run service name
	Region      string  // its region
	Instances   int     // instances started
	Ready       int     // instances ready in time
	SuccessRate float64 // Ready ÷ Instances
	// Failed instances and the p95 time to ready of the ready ones.
	Failed                int
	TimeToReadyP95Seconds float64
}

// SeriesPoint is one sample of the ready-instances curve.
type SeriesPoint struct {
	Seconds float64 // time since the storm began
	Ready   int     // instances ready so far
	Failed  int     // instances failed so far
	// SlotsInUse on all databases at this time.
	SlotsInUse int
}

// Severity is the stack's verdict: the worst severity over every finding,
// i.e. over every scenario judged and the static checks.
func (r Report) Severity() Severity {
	sev := SeverityOK
	for _, f := range r.Findings {
		sev = worst(sev, f.Severity)
	}
	return sev
}
