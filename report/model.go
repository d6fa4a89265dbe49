// Package report is the model of what `headroom plan`, `headroom up` and
// `headroom drift` tell their reader, and its three renderings: a terminal
// view, a Markdown PR comment and a JSON document whose contract is the JSON
// Schema embedded in this package (plan.schema.json).
//
// The model is built from plain inputs (resource counts, the capacity
// topology and report, policy violations, engine steps) so it depends on
// neither the Pulumi program nor the policy pack: the offline plan and the
// Automation API paths render through the same code.
package report

import (
	"math"
	"sort"
	"time"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// SchemaVersion is the value of the JSON "schemaVersion" field. Bump the
// major number on any incompatible change to the JSON contract.
const SchemaVersion = "1.0"

// Kinds of report.
const (
	KindPlan  = "plan"
	KindUp    = "up"
	KindDrift = "drift"
	// KindReconcile is one run of `headroom reconcile`.
	KindReconcile = "reconcile"
)

// Results of a reconcile run.
const (
	ResultInSync     = "in-sync"
	ResultReconciled = "reconciled"
	ResultRefused    = "refused"
	ResultDrift      = "drift"
	ResultFailed     = "failed"
)

// Verdicts.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
)

// LevelMandatory is the enforcement level that fails the gate. Other levels
// (advisory, remediate, disabled) are reported but never fail it.
const LevelMandatory = "mandatory"

// Report is everything one command tells its reader about one stack.
type Report struct {
	SchemaVersion string `json:"schemaVersion"`
	Kind          string `json:"kind"`
	Stack         string `json:"stack"`
	Environment   string `json:"environment"`
	// Verdict is "fail" when at least one violation is mandatory.
	Verdict string `json:"verdict"`
	// Mandatory and Advisory count violations by level (advisory counts
	// every non-mandatory level).
	Mandatory int `json:"mandatory"`
	Advisory  int `json:"advisory"`

	Targets    *Targets    `json:"targets,omitempty"`
	Resources  *Resources  `json:"resources,omitempty"`
	Capacity   *Capacity   `json:"capacity,omitempty"`
	Simulation *Simulation `json:"simulation,omitempty"`
	// Scenarios are the moments the stack was judged at (cold-start,
	// rollout/<group>, rollout/all, failover/<replica>, restart/<database>,
	// overshoot), each with its verdict per check and its findings; the
	// capacity and simulation sections above are the cold start's.
	Scenarios []Scenario `json:"scenarios,omitempty"`
	// Cost is the monthly cost estimate (plan only).
	Cost *Cost `json:"cost,omitempty"`
	// Violations are sorted by level (mandatory first), policy, resource.
	Violations []Violation `json:"violations"`
	// Preview is what `headroom up` previewed through the Pulumi engine.
	Preview *Changes `json:"preview,omitempty"`
	// Drift is what `headroom drift` found.
	Drift *Drift `json:"drift,omitempty"`
	// Diff is the change from a base plan (`headroom plan --base`).
	Diff *Diff `json:"diff,omitempty"`
	// Reconcile is the outcome of a `headroom reconcile` run.
	Reconcile *Reconcile `json:"reconcile,omitempty"`
}

// Reconcile is one run of `headroom reconcile`. The report's Drift is what
// the run found, Preview what the re-apply did.
type Reconcile struct {
	// Result is in-sync, reconciled, refused, drift or failed.
	Result   string `json:"result"`
	ExitCode int    `json:"exitCode"`
	// Reason explains the result in one line.
	Reason     string    `json:"reason"`
	DryRun     bool      `json:"dryRun"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// Refresh is the refresh that recorded the cloud's state before the
	// re-apply; Verify the drift check after it.
	Refresh *Changes `json:"refresh,omitempty"`
	Verify  *Drift   `json:"verify,omitempty"`
}

// Targets are the success criteria the stack is judged against.
type Targets struct {
	StartupSuccessRate    float64 `json:"startupSuccessRate"`
	ConnectP99Seconds     float64 `json:"connectP99Seconds"`
	ConnectionUtilization float64 `json:"connectionUtilization"`
}

// Violation is one policy result.
type Violation struct {
	Policy  string `json:"policy"`
	Level   string `json:"level"`
	Message string `json:"message"`
	// Resource is the URN or name of the resource the violation is about;
	// empty for stack-level policies.
	Resource string `json:"resource"`
}

// Resources is what the stack declares.
type Resources struct {
	Total     int              `json:"total"`
	ByType    []TypeCount      `json:"byType"`
	Databases []DatabaseSizing `json:"databases"`
	Egress    []EgressSizing   `json:"egress"`
	Services  []ServiceSizing  `json:"services"`
}

// TypeCount is how many resources of one Pulumi type token are declared.
type TypeCount struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
}

// DatabaseSizing is the sizing of one Cloud SQL instance.
type DatabaseSizing struct {
	Name           string `json:"name"`
	Region         string `json:"region"`
	Tier           string `json:"tier"`
	Edition        string `json:"edition"`
	Availability   string `json:"availability"`
	MaxConnections int    `json:"maxConnections"`
	ReplicaOf      string `json:"replicaOf,omitempty"`
}

// EgressSizing is the VPC egress of one region.
type EgressSizing struct {
	Region       string `json:"region"`
	Kind         string `json:"kind"`
	Name         string `json:"name"`
	MachineType  string `json:"machineType,omitempty"`
	MinInstances int    `json:"minInstances,omitempty"`
	MaxInstances int    `json:"maxInstances,omitempty"`
	IPCIDRRange  string `json:"ipCidrRange,omitempty"`
	SubnetCIDR   string `json:"subnetCidr,omitempty"`
}

// ServiceSizing is one Cloud Run service's scaling and pool contract.
type ServiceSizing struct {
	Name                  string  `json:"name"`
	Region                string  `json:"region"`
	Egress                string  `json:"egress"`
	Method                string  `json:"method"`
	Database              string  `json:"database"`
	MinInstances          int     `json:"minInstances"`
	MaxInstances          int     `json:"maxInstances"`
	Concurrency           int     `json:"concurrency"`
	PoolSize              int     `json:"poolSize"`
	MaxOverflow           int     `json:"maxOverflow"`
	StartupConnections    int     `json:"startupConnections"`
	ConnectTimeoutSeconds float64 `json:"connectTimeoutSeconds"`
}

// Capacity is the capacity analyses.
type Capacity struct {
	Databases []DatabaseBudget `json:"databases"`
	Failover  []Failover       `json:"failover"`
	Regions   []RegionEgress   `json:"regions"`
	Timeouts  []Timeout        `json:"timeouts"`
}

// DatabaseBudget is the connection budget of one database instance.
type DatabaseBudget struct {
	Database               string        `json:"database"`
	Region                 string        `json:"region"`
	MaxConnections         int           `json:"maxConnections"`
	MaxConnectionsExplicit bool          `json:"maxConnectionsExplicit"`
	Reserved               int           `json:"reserved"`
	AdminSlack             int           `json:"adminSlack"`
	Usable                 int           `json:"usable"`
	Allowed                int           `json:"allowed"`
	Demand                 int           `json:"demand"`
	Utilization            float64       `json:"utilization"`
	Severity               string        `json:"severity"`
	Contributors           []Contributor `json:"contributors"`
}

// Contributor is one workload's share of a database's demand.
type Contributor struct {
	Workload     string `json:"workload"`
	Region       string `json:"region"`
	MaxInstances int    `json:"maxInstances"`
	PerInstance  int    `json:"perInstance"`
	Connections  int    `json:"connections"`
}

// Name is how reports print the contributor (capacity.BudgetContributor.Name).
func (k Contributor) Name() string {
	return capacity.BudgetContributor{Workload: k.Workload, Region: k.Region}.Name()
}

// Failover asks whether a promoted replica carries its primary's demand.
type Failover struct {
	Primary        string `json:"primary"`
	Replica        string `json:"replica"`
	PrimaryDemand  int    `json:"primaryDemand"`
	ReplicaAllowed int    `json:"replicaAllowed"`
	Severity       string `json:"severity"`
}

// RegionEgress is one region's egress demand against its capacity, plus the
// region-scoped budgets (Direct VPC egress IPs, Admin API connect quota).
type RegionEgress struct {
	Region                 string    `json:"region"`
	Kind                   string    `json:"kind"`
	Name                   string    `json:"name"`
	DemandMbps             float64   `json:"demandMbps"`
	ColdStartMbps          float64   `json:"coldStartMbps"`
	CapacityMinMbps        float64   `json:"capacityMinMbps"`
	CapacityMaxMbps        float64   `json:"capacityMaxMbps"`
	ScaleOutsNeeded        int       `json:"scaleOutsNeeded"`
	ScaleOutOnCriticalPath bool      `json:"scaleOutOnCriticalPath"`
	Severity               string    `json:"severity"`
	DirectIPs              *IPBudget `json:"directIps,omitempty"`
	AdminAPI               *AdminAPI `json:"adminApi,omitempty"`
}

// IPBudget is a Direct VPC egress subnet's IP budget.
type IPBudget struct {
	Subnet       string `json:"subnet"`
	PrefixLength int    `json:"prefixLength"`
	UsableIPs    int    `json:"usableIps"`
	NeededIPs    int    `json:"neededIps"`
	Severity     string `json:"severity"`
}

// AdminAPI is the Cloud SQL Admin API connect burst of a full cold start.
type AdminAPI struct {
	Calls       int    `json:"calls"`
	QuotaPerMin int    `json:"quotaPerMin"`
	Severity    string `json:"severity"`
}

// Timeout is one workload's worst-case connect path against its timeouts.
type Timeout struct {
	Workload              string  `json:"workload"`
	Region                string  `json:"region"`
	EgressDelaySeconds    float64 `json:"egressDelaySeconds"`
	QueueSeconds          float64 `json:"queueSeconds"`
	HandshakeSeconds      float64 `json:"handshakeSeconds"`
	WorstCaseSeconds      float64 `json:"worstCaseSeconds"`
	ConnectTimeoutSeconds float64 `json:"connectTimeoutSeconds"`
	ProbeWindowSeconds    float64 `json:"probeWindowSeconds"`
	Severity              string  `json:"severity"`
}

// Simulation is the cold-start storm simulation.
type Simulation struct {
	Instances             int           `json:"instances"`
	Attempts              int           `json:"attempts"`
	SuccessRate           float64       `json:"successRate"`
	TimeToReadyP50Seconds float64       `json:"timeToReadyP50Seconds"`
	TimeToReadyP95Seconds float64       `json:"timeToReadyP95Seconds"`
	TimeToReadyP99Seconds float64       `json:"timeToReadyP99Seconds"`
	ConnectP50Seconds     float64       `json:"connectP50Seconds"`
	ConnectP95Seconds     float64       `json:"connectP95Seconds"`
	ConnectP99Seconds     float64       `json:"connectP99Seconds"`
	PeakSlotsUsed         int           `json:"peakSlotsUsed"`
	Workloads             []WorkloadSim `json:"workloads"`
	Series                []Point       `json:"series"`
}

// WorkloadSim is one workload's share of the simulation.
type WorkloadSim struct {
	Workload    string  `json:"workload"`
	Region      string  `json:"region"`
	Instances   int     `json:"instances"`
	Ready       int     `json:"ready"`
	SuccessRate float64 `json:"successRate"`
}

// Point is one sample of the ready-instances curve.
type Point struct {
	Seconds    float64 `json:"seconds"`
	Ready      int     `json:"ready"`
	Failed     int     `json:"failed"`
	SlotsInUse int     `json:"slotsInUse"`
}

// Scenario is one scenario's verdicts.
type Scenario struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Description string `json:"description"`
	// Advisory scenarios never fail the gate (overshoot).
	Advisory bool `json:"advisory"`
	// Severity is the worst of Checks.
	Severity string `json:"severity"`
	// Checks is the verdict of every check evaluated in the scenario.
	Checks []ScenarioCheck `json:"checks"`
	// Findings are the scenario's non-OK verdicts; each message names the
	// scenario and the remedy says which scenario it fixes.
	Findings []Finding `json:"findings"`
}

// ScenarioCheck is one check's verdict in one scenario.
type ScenarioCheck struct {
	Check    string `json:"check"`
	Severity string `json:"severity"`
}

// Finding is one capacity-model verdict (the policy pack reports the same
// ones as violations of the policy named like the check).
type Finding struct {
	Check    string `json:"check"`
	Subject  string `json:"subject"`
	Severity string `json:"severity"`
	Scenario string `json:"scenario"`
	Message  string `json:"message"`
}

// Changes is what a Pulumi engine operation did or would do.
type Changes struct {
	// Operation is "preview", "update" or "refresh".
	Operation string `json:"operation"`
	// Summary counts steps by operation (create, update, same, …).
	Summary map[string]int `json:"summary"`
	// Steps lists every step that is not "same", sorted by URN.
	Steps []Step `json:"steps"`
	// PolicyPacks maps the policy packs that ran to their versions.
	PolicyPacks map[string]string `json:"policyPacks"`
	// Errors are engine diagnostics of severity error.
	Errors []string `json:"errors,omitempty"`
	// Stateful lists the steps that would replace or delete a stateful
	// resource (Cloud SQL instance or database, VPC connector, network,
	// Direct VPC egress subnet); renderers show them first.
	Stateful []StatefulChange `json:"stateful,omitempty"`
}

// StatefulChange is a replacement or deletion of a stateful resource.
type StatefulChange struct {
	// Op is "replace" (any part of a replacement) or "delete".
	Op   string `json:"op"`
	Type string `json:"type"`
	Name string `json:"name"`
	URN  string `json:"urn"`
	// Reason says what the operation loses.
	Reason string `json:"reason"`
	// Properties are the properties that force the replacement, when the
	// provider named them.
	Properties []string `json:"properties,omitempty"`
	// Allowed is true when the operator named the resource in
	// --allow-replace; otherwise the operation was refused.
	Allowed bool `json:"allowed"`
	// Protected is true when the engine itself refused the operation:
	// the resource carries Pulumi's protect option.
	Protected bool `json:"protected,omitempty"`
}

// Step is one resource operation.
type Step struct {
	Op    string   `json:"op"`
	Type  string   `json:"type"`
	Name  string   `json:"name"`
	URN   string   `json:"urn"`
	Diffs []string `json:"diffs,omitempty"`
}

// Drift is what `headroom drift` found.
type Drift struct {
	Detected bool `json:"detected"`
	// Refresh is the cloud's state against the recorded state
	// (`refresh --preview-only`); Preview is the program against the
	// refreshed state (`preview --refresh --expect-no-changes`).
	Refresh Changes `json:"refresh"`
	Preview Changes `json:"preview"`
}

// Finalize sorts violations, counts them by level and sets the verdict.
// Every builder calls it; call it again after changing Violations.
func (r *Report) Finalize() {
	r.SchemaVersion = SchemaVersion
	if r.Violations == nil {
		r.Violations = []Violation{}
	}
	sort.SliceStable(r.Violations, func(i, j int) bool {
		a, b := r.Violations[i], r.Violations[j]
		if ra, rb := levelRank(a.Level), levelRank(b.Level); ra != rb {
			return ra < rb
		}
		if a.Policy != b.Policy {
			return a.Policy < b.Policy
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.Message < b.Message
	})
	r.Mandatory, r.Advisory = 0, 0
	for _, v := range r.Violations {
		if v.Level == LevelMandatory {
			r.Mandatory++
		} else {
			r.Advisory++
		}
	}
	r.Verdict = VerdictPass
	if r.Mandatory > 0 {
		r.Verdict = VerdictFail
	}
}

// Failed reports whether the gate fails (a mandatory violation).
func (r *Report) Failed() bool { return r.Verdict == VerdictFail }

// levelRank orders enforcement levels: the ones that block first.
func levelRank(level string) int {
	switch level {
	case LevelMandatory:
		return 0
	case "remediate":
		return 1
	case "advisory":
		return 2
	default:
		return 3
	}
}

// round keeps JSON and goldens readable; the model's precision beyond four
// decimals carries no information a reader acts on.
func round(v float64, places int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// sevString renders a capacity severity; an empty one is "ok".
func sevString(s capacity.Severity) string {
	if s == "" {
		return string(capacity.SeverityOK)
	}
	return string(s)
}
