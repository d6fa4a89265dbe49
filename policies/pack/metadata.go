package pack

import (
	"fmt"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// Policy metadata for readers of a violation: how severe it is, what to do
// about it, and where it is explained. The pinned SDK's policyx structs
// (v3.274.1) carry only a name, description, enforcement level and config
// schema; the Analyzer protocol's PolicyInfo carries severity, remediation
// steps and a URL, so the pack's own Analyzer server (policies/analyzer)
// sends them to the engine from here, and `headroom plan --format sarif`
// uses the same values for its rules.

// Severities, as the Analyzer protocol names them (lower case).
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// HelpBaseURL is where every policy's help anchor lives: a heading
// "### `<policy>`" in docs/policies.md, which GitHub slugs to #<policy>.
const HelpBaseURL = "https://github.com/headroom-dev/headroom/blob/main/docs/policies.md"

// Metadata is what a policy tells a reader beyond its description.
type Metadata struct {
	// Severity is low, medium, high or critical: the harm when the
	// violation ships, independent of the enforcement level.
	Severity string
	// Remediation is the steps to fix a violation, in stack-file terms.
	Remediation string
	// HelpURL is the policy's section of docs/policies.md.
	HelpURL string
	// Tags group policies (capacity, security, reliability, config).
	Tags []string
}

// Metadata returns the policy's metadata; a policy without an entry gets
// medium severity and its help anchor (a test requires every policy of the
// catalog to have an entry).
func (p PolicyInfo) Metadata() Metadata {
	m, ok := metadata[p.Name]
	if !ok {
		m = Metadata{Severity: SeverityMedium}
	}
	m.HelpURL = HelpBaseURL + "#" + p.Name
	return m
}

// HasMetadata reports whether the policy has its own metadata entry.
func HasMetadata(name string) bool {
	_, ok := metadata[name]
	return ok
}

var metadata = map[string]Metadata{
	PolicyCapacityModel: {Severity: SeverityHigh, Tags: []string{"capacity"},
		Remediation: "Make every Cloud Run service resolve to one Cloud SQL instance (DB_INSTANCE or DB_HOST) and one " +
			"egress path (a connector or Direct VPC egress in its region); values reported as unknown are judged at apply."},
	PolicyConnectionBudget: {Severity: SeverityCritical, Tags: []string{"capacity"},
		Remediation: "Raise headroom:database.maxConnections (within the tier's ceiling, or move to a larger tier), " +
			"or lower workloads[].maxInstances or db.poolSize/maxOverflow until demand fits the allowed connections; " +
			"`headroom plan` prints the numbers."},
	PolicyReplicaParity: {Severity: SeverityHigh, Tags: []string{"capacity", "reliability"},
		Remediation: "Give each replica (headroom:database.replicas[].maxConnections, and its tier) at least its " +
			"primary's max_connections and room for the primary's demand."},
	PolicyColdStartSuccess: {Severity: SeverityCritical, Tags: []string{"capacity"},
		Remediation: "Fix the causes the message names: connection slots (maxConnections, pool sizes, " +
			"startupConnections), egress scale-out (connector machineType/minInstances or Direct VPC egress), " +
			"or minInstances; re-run `headroom plan` until the simulated success and connect p99 meet the targets."},
	PolicyTimeoutBudget: {Severity: SeverityCritical, Tags: []string{"capacity"},
		Remediation: "Shorten the connect path (pre-sized connector, Direct VPC egress, fewer startup connections) " +
			"or raise workloads[].db.connectTimeoutSeconds and the startup probe window to cover it."},
	PolicyEgressHeadroom: {Severity: SeverityCritical, Tags: []string{"capacity"},
		Remediation: "Size the region's connector for the cold start at its minimum (machineType e2-standard-4, " +
			"minInstances) or switch the region to egress: direct; lower egressMbpsPerInstance only if measured."},
	PolicyDirectEgressIPs: {Severity: SeverityHigh, Tags: []string{"capacity"},
		Remediation: "Widen network.regions.<region>.direct.subnet (at least /26, ≥ 2 IPs per instance plus a block of 16)."},
	PolicyAdminAPIQuota: {Severity: SeverityHigh, Tags: []string{"capacity"},
		Remediation: "Lower the region's instances × connections opened through the Cloud SQL connectors, connect " +
			"by private IP (DB_HOST) instead, or raise the Admin API quota with Google."},
	PolicyBuiltinConnCap: {Severity: SeverityHigh, Tags: []string{"capacity"},
		Remediation: "Keep poolSize + maxOverflow ≤ 100 per instance on the built-in Cloud SQL connection, or connect by private IP."},
	PolicyMultiRegion: {Severity: SeverityHigh, Tags: []string{"reliability"},
		Remediation: "In production set headroom:database.availability: REGIONAL, add a replica in another region, " +
			"and run egress and workloads in at least two regions."},
	PolicyCIDROverlap: {Severity: SeverityHigh, Tags: []string{"config"},
		Remediation: "Pick non-overlapping ranges for network.regions.<region>.subnet, connector.ipCidrRange, " +
			"direct.subnet and network.privateServiceAccessRange."},
	PolicyConnectorBounds: {Severity: SeverityMedium, Tags: []string{"config"},
		Remediation: "Use machineType f1-micro, e2-micro or e2-standard-4, 2 ≤ minInstances < maxInstances ≤ 10, " +
			"and a /28 ipCidrRange."},
	PolicySQLPrivateIPOnly: {Severity: SeverityCritical, Tags: []string{"security"},
		Remediation: "Disable the public IPv4 address (ipv4Enabled false), attach the private network and remove " +
			"0.0.0.0/0 from the authorized networks; Headroom's database component does this."},
	PolicySQLSSLRequired: {Severity: SeverityHigh, Tags: []string{"security"},
		Remediation: "Set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY (or TRUSTED_CLIENT_CERTIFICATE_REQUIRED)."},
	PolicySQLBackupsPITR: {Severity: SeverityHigh, Tags: []string{"reliability"},
		Remediation: "Set headroom:database.backups: enabled true, pointInTimeRecovery true, retainedBackups ≥ 7, " +
			"logRetentionDays ≥ 1."},
	PolicySQLDeletionProt: {Severity: SeverityMedium, Tags: []string{"reliability"},
		Remediation: "Keep headroom:database.deletionProtection true (both the Pulumi and the API protection are set from it)."},
	PolicySQLMaxConnections: {Severity: SeverityHigh, Tags: []string{"capacity", "config"},
		Remediation: "Set headroom:database.maxConnections (and each replica's) explicitly, from 14 to 262143; above " +
			"the tier's inferred ceiling (4× its default) check memory under load or move to a larger tier."},
	PolicySQLTierEdition: {Severity: SeverityMedium, Tags: []string{"config", "reliability"},
		Remediation: "Choose a headroom:database.tier of the edition (db-custom-* and db-custom-N4-* for ENTERPRISE, " +
			"db-perf-optimized-N-* and db-c4a-highmem-* for ENTERPRISE_PLUS, the default from POSTGRES_16); no shared-core tier in production."},
	PolicySQLMaintenance: {Severity: SeverityLow, Tags: []string{"reliability"},
		Remediation: "Set headroom:database.maintenanceWindow: day 1–7, hour 0–23 (UTC), at the quietest hour."},
	PolicySQLCISLogging: {Severity: SeverityLow, Tags: []string{"security"},
		Remediation: "Set the CIS logging flags on the instance; Headroom's database component sets them all."},
	PolicyRunMaxInstances: {Severity: SeverityHigh, Tags: []string{"capacity", "config"},
		Remediation: "Set headroom:workloads[].maxInstances explicitly, sized so the connection budget holds."},
	PolicyRunProbeWindow: {Severity: SeverityHigh, Tags: []string{"capacity", "config"},
		Remediation: fmt.Sprintf("Make headroom:workloads[].startupProbe's window (initialDelaySeconds + periodSeconds × "+
			"failureThreshold) ≥ db.connectTimeoutSeconds and ≤ %d s, with timeoutSeconds ≤ periodSeconds.", capacity.StartupProbeMaxWindowSeconds)},
	PolicyRunPoolContract: {Severity: SeverityMedium, Tags: []string{"config"},
		Remediation: "Declare the pool contract env (DB_POOL_SIZE, DB_MAX_OVERFLOW, DB_STARTUP_CONNECTIONS, " +
			"DB_CONNECT_TIMEOUT_SECONDS, DB_HOST or DB_INSTANCE); Headroom's workloads component sets them from headroom:workloads[].db."},
}
