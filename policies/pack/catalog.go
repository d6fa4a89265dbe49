// Package pack is Headroom's policy pack as a library: the policy catalog,
// the policy-pack config, the conversion of a resource graph
// ([]policyx.AnalyzerResource) into a capacity.Topology, and the policies
// themselves as policyx policies.
//
// Evaluate is the one evaluation path: the served pack (policies/main.go),
// the offline plan (cmd/headroom) and the tests all reach their verdicts
// through the same policyx policies built by Policies.
//
// The pack judges resources only. It never reads Headroom's stack config, so
// any stack made of the same resource types (hand-written, imported) is
// judged the same way.
package pack

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// Name and Version identify the pack to the Pulumi engine.
const (
	Name    = "headroom"
	Version = "0.1.0"
)

// Enforcement levels as they appear in the policy-pack config and in
// Violation.Level.
const (
	LevelAdvisory  = "advisory"
	LevelMandatory = "mandatory"
	LevelDisabled  = "disabled"
)

// Policy names. They are stable: users key their policy-pack config and
// exceptions on them. The stack policies that mirror a capacity check use the
// capacity.Check* name so findings and violations correlate.
const (
	PolicyCapacityModel     = "capacity-model"
	PolicyConnectionBudget  = capacity.CheckConnectionBudget
	PolicyReplicaParity     = capacity.CheckReplicaParity
	PolicyColdStartSuccess  = capacity.CheckColdStartSuccess
	PolicyTimeoutBudget     = capacity.CheckTimeoutBudget
	PolicyEgressHeadroom    = capacity.CheckEgressHeadroom
	PolicyDirectEgressIPs   = capacity.CheckDirectEgressIPs
	PolicyAdminAPIQuota     = capacity.CheckAdminAPIQuota
	PolicyBuiltinConnCap    = capacity.CheckBuiltinConnCap
	PolicyMultiRegion       = capacity.CheckMultiRegion
	PolicyCIDROverlap       = "cidr-overlap"
	PolicyConnectorBounds   = "connector-bounds"
	PolicySQLPrivateIPOnly  = "sql-private-ip-only"
	PolicySQLSSLRequired    = "sql-ssl-required"
	PolicySQLBackupsPITR    = "sql-backups-pitr"
	PolicySQLDeletionProt   = "sql-deletion-protection"
	PolicySQLMaxConnections = "sql-max-connections-explicit"
	PolicySQLTierEdition    = "sql-tier-edition"
	PolicySQLMaintenance    = "sql-maintenance-window"
	PolicySQLCISLogging     = "sql-cis-logging-flags"
	PolicyRunMaxInstances   = "cloudrun-max-instances-explicit"
	PolicyRunProbeWindow    = "cloudrun-startup-probe-window"
	PolicyRunPoolContract   = "cloudrun-db-pool-contract"
)

// Kind says whether a policy judges one resource or the whole stack.
type Kind string

const (
	KindResource Kind = "resource"
	KindStack    Kind = "stack"
)

// PolicyInfo describes one policy for the engine, the README and reports.
type PolicyInfo struct {
	Name        string
	Kind        Kind
	Description string
	// Level is the default enforcement level ("mandatory" or "advisory").
	Level string
	// StagingAdvisory is true when the policy's violations are downgraded to
	// advisory outside production (environment strictness).
	StagingAdvisory bool
	// Types lists the resource types a resource policy judges.
	Types []string
	// ConfigKeys lists the policy-pack config keys that tune the policy
	// (keys of the capacity-model policy's config object).
	ConfigKeys []string
}

// Resource type tokens the pack reads (pulumi-gcp v7).
const (
	TypeSQLInstance   = contract.TypeSQLInstance
	TypeConnector     = contract.TypeConnector
	TypeSubnetwork    = contract.TypeSubnetwork
	TypeGlobalAddress = contract.TypeGlobalAddress
	TypeRunService    = contract.TypeRunService
)

var modelKeys = []string{"environment", "targets.*", "assumptions.*"}

var catalog = []PolicyInfo{
	{
		Name: PolicyCapacityModel, Kind: KindStack, Level: LevelMandatory,
		Description: "The resource graph can be turned into a capacity topology: every Cloud Run service " +
			"resolves to one Cloud SQL instance and one egress path. Carries the pack's shared settings " +
			"(environment, targets, assumptions); values unknown until apply are reported here as advisory.",
		ConfigKeys: modelKeys,
	},
	{
		Name: PolicyConnectionBudget, Kind: KindStack, Level: LevelMandatory,
		Description: "In every scenario (cold start, rollouts with the old revision's pools still open, " +
			"failover, restarts), the connections held on a Cloud SQL instance (instances × processes × pools, " +
			"non-Cloud-Run consumers, admin slack) fit in (max_connections − reserved) × the utilization target.",
		ConfigKeys: []string{"targets.connectionUtilization", "assumptions.reservedConnections", "assumptions.adminSlackConnections"},
	},
	{
		Name: PolicyReplicaParity, Kind: KindStack, Level: LevelMandatory,
		Description: "A promoted cross-region replica can carry its primary's connection demand " +
			"(PostgreSQL requires a hot standby's max_connections ≥ its primary's).",
		ConfigKeys: []string{"targets.connectionUtilization", "assumptions.reservedConnections"},
	},
	{
		Name: PolicyColdStartSuccess, Kind: KindStack, Level: LevelMandatory,
		Description: "Each scenario's simulated storm (a cold start from 0 to maxInstances, a rollout, a " +
			"reconnect after failover or restart) reaches the startup success target (> target) and the connect " +
			"p99 target (< target); mandatory where a monotone rule also fails in that scenario, advisory elsewhere.",
		ConfigKeys: []string{"targets.startupSuccessRate", "targets.connectP99Seconds", "assumptions.*"},
	},
	{
		Name: PolicyTimeoutBudget, Kind: KindStack, Level: LevelMandatory,
		Description: "The worst-case connect path (egress scale-out or Direct VPC egress start + slot queueing " +
			"+ handshake) fits in each service's DB connect timeout and startup probe window.",
		ConfigKeys: []string{"assumptions.connectorScaleOutSeconds", "assumptions.directEgressStartupSeconds",
			"assumptions.acceptRatePerSecond", "assumptions.handshakeSeconds"},
	},
	{
		Name: PolicyEgressHeadroom, Kind: KindStack, Level: LevelMandatory,
		Description: "Each region's VPC egress (connector throughput at its minimum and maximum size) carries " +
			"the services' cold-start and full-scale egress, without a connector scale-out on the startup path.",
		ConfigKeys: []string{"assumptions.connectorScaleOutSeconds"},
	},
	{
		Name: PolicyDirectEgressIPs, Kind: KindStack, Level: LevelMandatory,
		Description: fmt.Sprintf("A Direct VPC egress subnet has ≥ %d × Σ maxInstances usable IPs plus a %d-address block, "+
			"and is at least a /%d.", capacity.DirectEgressIPsPerInstance, capacity.DirectEgressIPBlock, capacity.DirectEgressMaxPrefixLength),
	},
	{
		Name: PolicyAdminAPIQuota, Kind: KindStack, Level: LevelMandatory,
		Description: fmt.Sprintf("The Cloud SQL Admin API connect calls of a full cold start in one region stay under the "+
			"%d/min quota per service account and region (built-in connection or connectors only).", capacity.AdminAPIConnectQuotaPerMinute),
	},
	{
		Name: PolicyBuiltinConnCap, Kind: KindStack, Level: LevelMandatory,
		Description: fmt.Sprintf("Services using Cloud Run's built-in Cloud SQL connection open ≤ %d connections per instance.",
			capacity.BuiltinConnectionsPerInstance),
	},
	{
		Name: PolicyMultiRegion, Kind: KindStack, Level: LevelMandatory,
		Description: "Production: HA (REGIONAL) primary, ≥ 1 cross-region replica, and egress and workloads in " +
			"≥ 2 regions.",
		ConfigKeys: []string{"environment"},
	},
	{
		Name: PolicyCIDROverlap, Kind: KindStack, Level: LevelMandatory,
		Description: "Subnet, connector and private-services-access ranges of one VPC network do not overlap.",
	},
	{
		Name: PolicyConnectorBounds, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeConnector},
		Description: fmt.Sprintf("A Serverless VPC Access connector has a known machine type, %d ≤ minInstances < "+
			"maxInstances ≤ %d (maxInstances set explicitly), and a /%d range or a subnet.",
			capacity.ConnectorMinInstancesFloor, capacity.ConnectorMaxInstancesCeiling, capacity.ConnectorPrefixLength),
	},
	{
		Name: PolicySQLPrivateIPOnly, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeSQLInstance},
		Description: "A Cloud SQL instance has no public IPv4 address, a private network, and no 0.0.0.0/0 " +
			"authorized network.",
	},
	{
		Name: PolicySQLSSLRequired, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeSQLInstance},
		Description: "A Cloud SQL instance accepts only encrypted connections (sslMode ENCRYPTED_ONLY or " +
			"TRUSTED_CLIENT_CERTIFICATE_REQUIRED).",
	},
	{
		Name: PolicySQLBackupsPITR, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeSQLInstance},
		Description: fmt.Sprintf("A Cloud SQL primary has automated backups, point-in-time recovery, %d–%d days of transaction "+
			"logs (%d on Enterprise Plus) and %d–%d retained backups.", capacity.LogRetentionDaysMin, capacity.LogRetentionDaysMax,
			capacity.LogRetentionDaysMaxPlus, capacity.RetainedBackupsDefault, capacity.RetainedBackupsMax),
	},
	{
		Name: PolicySQLDeletionProt, Kind: KindResource, Level: LevelMandatory, StagingAdvisory: true,
		Types: []string{TypeSQLInstance},
		Description: "A Cloud SQL instance has both deletion protections: deletionProtection (Pulumi) and " +
			"settings.deletionProtectionEnabled (API). Advisory outside production.",
		ConfigKeys: []string{"environment"},
	},
	{
		Name: PolicySQLMaxConnections, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeSQLInstance},
		Description: fmt.Sprintf("A Cloud SQL instance sets max_connections explicitly, from %d to %d; above our inferred "+
			"ceiling for its tier's memory is advice.", capacity.MaxConnectionsFlagMin, capacity.MaxConnectionsFlagMax),
	},
	{
		Name: PolicySQLTierEdition, Kind: KindResource, Level: LevelMandatory, StagingAdvisory: false,
		Types: []string{TypeSQLInstance},
		Description: "A Cloud SQL instance's tier is valid for its edition; in production it has a dedicated " +
			"core (shared-core instances are outside the SLA).",
		ConfigKeys: []string{"environment"},
	},
	{
		Name: PolicySQLMaintenance, Kind: KindResource, Level: LevelAdvisory, Types: []string{TypeSQLInstance},
		Description: fmt.Sprintf("A Cloud SQL primary has a maintenance window (day %d–%d, hour 0–%d UTC).",
			capacity.MaintenanceDayMin, capacity.MaintenanceDayMax, capacity.MaintenanceHourMax),
	},
	{
		Name: PolicySQLCISLogging, Kind: KindResource, Level: LevelAdvisory, Types: []string{TypeSQLInstance},
		Description: "A Cloud SQL instance sets the CIS PostgreSQL logging flags, each as its Checkov check wants it (" +
			cisRequirements() + ").",
	},
	{
		Name: PolicyRunMaxInstances, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeRunService},
		Description: fmt.Sprintf("A Cloud Run service sets template.scaling.maxInstanceCount (the default of %d breaks "+
			"every connection budget).", capacity.CloudRunDefaultMaxInstances),
	},
	{
		Name: PolicyRunProbeWindow, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeRunService},
		Description: fmt.Sprintf("A Cloud Run service with a database has a startup probe within Cloud Run's limits "+
			"(timeout ≤ period; window initialDelay + period × failureThreshold ≤ %d s) whose window is ≥ its DB connect timeout.",
			capacity.StartupProbeMaxWindowSeconds),
	},
	{
		Name: PolicyRunPoolContract, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeRunService},
		Description: "A Cloud Run service with a database declares the pool contract: DB_POOL_SIZE ≥ 1, " +
			"DB_MAX_OVERFLOW ≥ 0, DB_STARTUP_CONNECTIONS ≤ pool + overflow as integers, " +
			"DB_CONNECT_TIMEOUT_SECONDS as a decimal number of seconds > 0, and DB_HOST or DB_INSTANCE; " +
			"optional DB_PROCESSES (integer ≥ 1) and DB_EXTRA_POOLS (JSON array of pools) must be valid.",
	},
}

// Catalog returns every policy of the pack, stack policies first, in a stable
// order.
func Catalog() []PolicyInfo {
	out := make([]PolicyInfo, len(catalog))
	copy(out, catalog)
	return out
}

// Lookup returns the catalog entry of a policy.
func Lookup(name string) (PolicyInfo, bool) {
	for _, p := range catalog {
		if p.Name == name {
			return p, true
		}
	}
	return PolicyInfo{}, false
}

// levelToPolicyx converts a config level to the SDK's enum.
func levelToPolicyx(level string) policyx.EnforcementLevel {
	switch level {
	case LevelMandatory:
		return policyx.EnforcementLevelMandatory
	case LevelDisabled:
		return policyx.EnforcementLevelDisabled
	default:
		return policyx.EnforcementLevelAdvisory
	}
}

// levelFromPolicyx converts the SDK's enum to a config level. Remediate has
// no meaning for a validation pack and is treated as advisory.
func levelFromPolicyx(l policyx.EnforcementLevel) string {
	switch l {
	case policyx.EnforcementLevelMandatory:
		return LevelMandatory
	case policyx.EnforcementLevelDisabled:
		return LevelDisabled
	default:
		return LevelAdvisory
	}
}

// checkPolicy maps a capacity finding's check to the policy that reports it.
func checkPolicy(check string) string {
	if check == capacity.CheckTopologyConsistent {
		return PolicyCapacityModel
	}
	if _, ok := Lookup(check); ok {
		return check
	}
	return PolicyCapacityModel
}

// cisRequirements renders the CIS flag set for the policy's description.
func cisRequirements() string {
	var parts []string
	for _, f := range contract.CISFlags() {
		parts = append(parts, f.Requirement()+" ("+f.CheckovID+")")
	}
	return strings.Join(parts, "; ")
}
