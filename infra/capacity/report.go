package capacity

// This file is the contract between the model and its consumers (policy
// pack, offline plan, probe). Fields may be added; do not rename or remove.

// Severity of a finding.
type Severity string

const (
	SeverityOK   Severity = "ok"
	SeverityWarn Severity = "warn"
	SeverityFail Severity = "fail"
)

// Check names. They match the policy names of the policy pack that reports
// them, so a finding and a violation can be correlated.
const (
	CheckConnectionBudget   = "connection-budget"
	CheckReplicaParity      = "replica-capacity-parity"
	CheckColdStartSuccess   = "cold-start-success"
	CheckTimeoutBudget      = "timeout-budget"
	CheckEgressHeadroom     = "egress-headroom"
	CheckDirectEgressIPs    = "direct-egress-ip-capacity"
	CheckAdminAPIQuota      = "admin-api-connect-quota"
	CheckBuiltinConnCap     = "builtin-connection-cap"
	CheckMultiRegion        = "multi-region-redundancy"
	CheckTopologyConsistent = "topology"
)

// Finding is one verdict with the numbers behind it.
type Finding struct {
	// Check is one of the Check* names.
	Check string
	// Subject is what the finding is about: a database instance, a region,
	// or a workload (service) name.
	Subject  string
	Severity Severity
	// Message says what is wrong and what to change, with numbers, e.g.
	// "raise max_connections to ≥ 412 or lower netra-backend maxInstances to ≤ 14".
	Message string
}

// Report is every analysis of one topology.
type Report struct {
	Budgets    []ConnectionBudget
	Failover   []FailoverBudget
	Egress     []EgressHeadroom
	DirectIPs  []DirectIPCapacity
	Timeouts   []TimeoutBudget
	AdminAPI   []AdminAPIBurst
	Simulation SimResult
	// Findings lists every non-OK verdict, sorted by check then subject.
	Findings []Finding
}

// ConnectionBudget is the demand on one database instance.
type ConnectionBudget struct {
	Database string
	Region   string
	// MaxConnections in force (explicit flag or the tier default).
	MaxConnections int
	// MaxConnectionsExplicit is false when the tier default applies.
	MaxConnectionsExplicit bool
	Reserved               int
	AdminSlack             int
	// Usable = MaxConnections − Reserved.
	Usable int
	// Allowed = floor(Usable × utilization target).
	Allowed int
	// Demand = Σ maxInstances × (pool + overflow) of the workloads that
	// target it, plus AdminSlack.
	Demand      int
	Utilization float64 // Demand / Usable
	// Contributors lists each workload's share of Demand.
	Contributors []BudgetContributor
	Severity     Severity
}

// BudgetContributor is one workload's share of a database's demand.
type BudgetContributor struct {
	Workload     string
	Region       string
	MaxInstances int
	PerInstance  int // pool + overflow
	Connections  int // MaxInstances × PerInstance
}

// FailoverBudget asks whether a replica, once promoted, can carry what its
// primary carries.
type FailoverBudget struct {
	Primary        string
	Replica        string
	PrimaryDemand  int
	ReplicaAllowed int
	Severity       Severity
}

// EgressHeadroom is one region's egress demand against its capacity.
type EgressHeadroom struct {
	Region string
	Kind   EgressKind
	Name   string
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
	Severity               Severity
}

// DirectIPCapacity is a Direct VPC egress subnet's IP budget.
type DirectIPCapacity struct {
	Region       string
	Subnet       string
	PrefixLength int
	UsableIPs    int
	// NeededIPs = 2 × Σ maxInstances on the subnet + one 16-address block.
	NeededIPs int
	Severity  Severity
}

// TimeoutBudget is one workload's worst-case connect path.
type TimeoutBudget struct {
	Workload string
	Region   string
	// Components of the worst case, in seconds.
	EgressDelaySeconds float64 // connector scale-out or Direct VPC egress start
	QueueSeconds       float64 // waiting for a free slot / accept capacity
	HandshakeSeconds   float64
	WorstCaseSeconds   float64
	// ConnectTimeoutSeconds is the app's timeout; ProbeWindowSeconds is
	// initialDelay + period × failureThreshold of the startup probe.
	ConnectTimeoutSeconds float64
	ProbeWindowSeconds    float64
	Severity              Severity
}

// AdminAPIBurst is the Cloud SQL Admin API connect-call burst of a full
// cold start in one region, against the per-minute quota.
type AdminAPIBurst struct {
	Region      string
	Calls       int
	QuotaPerMin int
	Severity    Severity
	Applicable  bool // false when no workload uses MethodConnector/MethodBuiltin
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
	Instances int
	Attempts  int
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
	PeakSlotsUsed     int
	// PerDatabase and PerWorkload break the result down.
	PerWorkload []WorkloadSim
	// Series is the number of ready instances over time.
	Series []SeriesPoint
}

// WorkloadSim is one workload's share of a simulation.
type WorkloadSim struct {
	Workload    string
	Region      string
	Instances   int
	Ready       int
	SuccessRate float64
}

// SeriesPoint is one sample of the ready-instances curve.
type SeriesPoint struct {
	Seconds float64
	Ready   int
	Failed  int
	// SlotsInUse on all databases at this time.
	SlotsInUse int
}
