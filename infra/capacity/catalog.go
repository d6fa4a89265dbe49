package capacity

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Tier is a parsed Cloud SQL machine tier.
type Tier struct {
	Name       string  // the tier as given
	VCPUs      int     // 0 for shared-core tiers
	MemoryGB   float64 // as the max_connections table reads it
	SharedCore bool    // db-f1-micro, db-g1-small: no SLA (docs/gcp-limits.md#cloud-sql-tiers)
	// Edition the tier belongs to: "ENTERPRISE" or "ENTERPRISE_PLUS".
	Edition string
	// Series is the machine series: "shared-core", "custom", "N2", "C4A" or "N4".
	Series string
}

// ConnectorMachine is a Serverless VPC Access connector machine type.
type ConnectorMachine struct {
	Name string // e.g. "e2-micro"
	// Throughput range of a whole connector (docs), and the derived
	// per-instance figure (inference: range ÷ 2…10 instances).
	MinMbps, MaxMbps float64
	PerInstanceMbps  float64 // see above
}

// This file is the catalog of Google Cloud limits the model relies on. Every
// constant cites the section of docs/gcp-limits.md that states it in our
// words with Google's URL; constants that are our own inference say so.

// Cloud SQL editions (docs/gcp-limits.md#cloud-sql-tiers).
const (
	// EditionEnterprise is Cloud SQL Enterprise edition (shared-core,
	// db-custom and N4 tiers).
	EditionEnterprise = "ENTERPRISE"
	// EditionEnterprisePlus is Cloud SQL Enterprise Plus edition (N2
	// db-perf-optimized-N-* and C4A db-c4a-highmem-* tiers).
	EditionEnterprisePlus = "ENTERPRISE_PLUS"
	// EditionDeveloper is the API's DEVELOPER edition value. Google
	// documents no tiers or limits Headroom could judge it by, so
	// CheckTierEdition refuses it (a policy choice, said in the message).
	EditionDeveloper = "DEVELOPER"
	// EditionPlusDefaultFromMajor is the first PostgreSQL major version for
	// which an instance created without an edition gets Enterprise Plus
	// (Cloud SQL release note of 2024-10-23); older versions get Enterprise.
	EditionPlusDefaultFromMajor = 16
)

// Cloud SQL availability types (docs/gcp-limits.md#cloud-sql-ha).
const (
	// AvailabilityZonal is a single-zone instance (the API default).
	AvailabilityZonal = "ZONAL"
	// AvailabilityRegional is a high-availability instance (primary and
	// standby in two zones).
	AvailabilityRegional = "REGIONAL"
)

// Cloud SQL connection limits (docs/gcp-limits.md#cloud-sql-max-connections).
const (
	// MaxConnectionsFlagMin is the smallest value Cloud SQL accepts for the
	// max_connections flag.
	MaxConnectionsFlagMin = 14
	// MaxConnectionsFlagMax is PostgreSQL's own upper bound of
	// max_connections (the GUC's maximum, pg_settings.max_val, 2^18 − 1);
	// Cloud SQL documents no fixed maximum of its own, so no value above
	// this can be accepted.
	MaxConnectionsFlagMax = 262143
	// MaxConnectionsCeilingMultiple bounds an explicit max_connections at
	// this multiple of the tier's memory-derived default. INFERENCE (ours):
	// Google documents no fixed maximum (it varies with the backend
	// connections already in use) and every PostgreSQL backend costs memory
	// the default table already budgets for, so going far beyond the
	// default trades connection slots for out-of-memory risk. 4× keeps
	// db-custom-1-3840 (default 100) at ≤ 400. Advice only
	// (MaxConnectionsAdvice): Cloud SQL accepts values above it.
	MaxConnectionsCeilingMultiple = 4
	// SuperuserReservedConnections is PostgreSQL's
	// superuser_reserved_connections as measured on Cloud SQL (field
	// report; Google publishes no default).
	SuperuserReservedConnections = 3
	// CloudSQLInternalConnections are the sessions cloudsqladmin holds
	// (field report, measured on db-f1-micro).
	CloudSQLInternalConnections = 2
	// DefaultReservedConnections = 3 + 2: what applications cannot use
	// (docs/gcp-limits.md#derived-rules; unverified, overridable).
	DefaultReservedConnections = SuperuserReservedConnections + CloudSQLInternalConnections
)

// Cloud SQL tier rules (docs/gcp-limits.md#cloud-sql-tiers).
const (
	// CustomMaxVCPUs: custom tiers have "1 or an even number between 2 and 96" vCPUs.
	CustomMaxVCPUs = 96
	// CustomMemoryStepMB: custom-tier memory is a multiple of 256 MB.
	CustomMemoryStepMB = 256
	// CustomMinMemoryMB: custom-tier memory is at least 3.75 GB (3840 MB,
	// the db-custom-1-3840 tier).
	CustomMinMemoryMB = 3840
	// CustomMinMBPerVCPU / CustomMaxMBPerVCPU: 0.9 to 6.5 GB per vCPU, in
	// MB (GB = 1024 MB, as in db-custom-2-13312 = 2 × 6.5 × 1024).
	CustomMinMBPerVCPU = 0.9 * 1024
	CustomMaxMBPerVCPU = 6.5 * 1024 // see CustomMinMBPerVCPU
	// PerfOptimizedGBPerVCPU: Enterprise Plus N2 is 1 vCPU : 8 GB up to
	// N-80; larger sizes come from perfOptimizedMemoryGB.
	PerfOptimizedGBPerVCPU = 8
	// C4AGBPerVCPU: Enterprise Plus C4A (Axion) is 8 GB per vCPU.
	C4AGBPerVCPU = 8
	// N4MaxVCPUs: Enterprise N4 custom tiers go up to 80 vCPUs.
	N4MaxVCPUs = 80
	// N4MinMBPerVCPU / N4MaxMBPerVCPU: 2 to 8 GB per vCPU for N4 custom
	// tiers. INFERENCE from the Compute Engine N4 custom shapes (Cloud SQL
	// publishes the tier name, not the ratio); memory steps of 256 MB.
	N4MinMBPerVCPU = 2 * 1024
	N4MaxMBPerVCPU = 8 * 1024 // see N4MinMBPerVCPU
)

// Tier name prefixes (docs/gcp-limits.md#cloud-sql-tiers).
const (
	TierPrefixCustom        = "db-custom-"
	TierPrefixN4            = "db-custom-N4-"
	TierPrefixPerfOptimized = "db-perf-optimized-N-"
	TierPrefixC4A           = "db-c4a-highmem-"
)

// perfOptimizedMemoryGB lists the db-perf-optimized-N-<vCPU> sizes
// (official up to N-80; N-96 and N-128 from a field copy of the same page).
var perfOptimizedMemoryGB = map[int]float64{
	2: 16, 4: 32, 8: 64, 16: 128, 32: 256, 48: 384, 64: 512, 80: 640,
	96: 768, 128: 864,
}

// c4aVCPUs lists the db-c4a-highmem-<vCPU> sizes: the C4A highmem shapes
// from 1 to 72 vCPUs, each with C4AGBPerVCPU GB.
var c4aVCPUs = []int{1, 2, 4, 8, 16, 32, 48, 64, 72}

// Shared-core tiers (docs/gcp-limits.md#cloud-sql-tiers). Memory as the
// max_connections table reads it: "tiny (~0.5)" and "small (~1.7)"; the
// old FAQ gives db-f1-micro 0.6 GB.
const (
	TierF1Micro = "db-f1-micro" // shared core, default max_connections 25
	TierG1Small = "db-g1-small" // shared core, default max_connections 50
)

// maxConnBracket is one row of the memory → default max_connections table.
type maxConnBracket struct {
	MinGB   float64
	Default int
}

// maxConnTable is Google's default max_connections by the memory of the
// largest instance in the primary chain, ascending
// (docs/gcp-limits.md#cloud-sql-max-connections). The rows below 3.75 GB
// are the shared-core tiers (tiny → 25, small → 50); assigning any other
// memory below 3.75 GB to them is an INFERENCE (no dedicated-core tier is
// that small).
var maxConnTable = []maxConnBracket{
	{0, 25},
	{1.0, 50}, // inference: boundary between "tiny (~0.5)" and "small (~1.7)"
	{3.75, 100},
	{6, 200},
	{7.5, 400},
	{15, 500},
	{30, 600},
	{60, 800},
	{120, 1000},
}

// Serverless VPC Access connector limits (docs/gcp-limits.md#vpc-connector).
const (
	// ConnectorMinInstancesFloor: the minimum is at least 2 (API
	// min_instances 2–9).
	ConnectorMinInstancesFloor = 2
	// ConnectorMaxInstancesCeiling: the maximum is at most 10 (API
	// max_instances 3–10).
	ConnectorMaxInstancesCeiling = 10
	// ConnectorDefaultMinInstances / ConnectorDefaultMaxInstances are
	// gcloud's defaults (min 2, max 10) and Headroom's config defaults; the
	// program always sets both explicitly.
	ConnectorDefaultMinInstances = 2
	ConnectorDefaultMaxInstances = 10 // see ConnectorDefaultMinInstances
	// ConnectorThroughputMbpsPerInstance converts the deprecated throughput
	// fields to instances: 200 Mbps ≙ 2 instances, 1,000 ≙ 10 (INFERENCE
	// from the field documentation's ranges).
	ConnectorThroughputMbpsPerInstance = 100
	// ConnectorAPIDefaultMinThroughputMbps / ConnectorAPIDefaultMaxThroughputMbps:
	// a connector created through the API without instances or throughput
	// gets min 200 and max 300 Mbps, i.e. 2 to 3 instances, not gcloud's 10.
	ConnectorAPIDefaultMinThroughputMbps = 200
	ConnectorAPIDefaultMaxThroughputMbps = 300 // see ConnectorAPIDefaultMinThroughputMbps
	// ConnectorPrefixLength: the connector needs an unused /28 range or a
	// dedicated /28 subnet.
	ConnectorPrefixLength = 28
	// ConnectorNameMaxLength: connector names are at most 25 characters
	// (provider validation).
	ConnectorNameMaxLength = 25
	// ConnectorDefaultMachineType is the API default machine type.
	ConnectorDefaultMachineType = "e2-micro"
)

// connectorMachines is each machine type's documented throughput range per
// connector; PerInstanceMbps is the INFERENCE range ÷ (2…10 instances)
// (docs/gcp-limits.md#vpc-connector).
var connectorMachines = []ConnectorMachine{
	{Name: "f1-micro", MinMbps: 100, MaxMbps: 500, PerInstanceMbps: 50},
	{Name: "e2-micro", MinMbps: 200, MaxMbps: 1000, PerInstanceMbps: 100},
	{Name: "e2-standard-4", MinMbps: 3200, MaxMbps: 16000, PerInstanceMbps: 1600},
}

// Cloud Run limits (docs/gcp-limits.md#cloud-run).
const (
	// CloudRunDefaultMaxInstances: the API documents a server default of
	// 100 for an unset max_instance_count (the limits page says the regional
	// quota applies instead; either way it is not a value to rely on).
	CloudRunDefaultMaxInstances = 100
	// ConcurrencyMin / ConcurrencyMax / ConcurrencyDefault: default 80, max 1,000.
	ConcurrencyMin     = 1
	ConcurrencyMax     = 1000 // see ConcurrencyMin
	ConcurrencyDefault = 80   // see ConcurrencyMin
	// CloudRunMaxCPU: at most 8 vCPUs per instance.
	CloudRunMaxCPU = 8
	// StartupProbeMaxWindowSeconds: the startup window initialDelaySeconds
	// + periodSeconds × failureThreshold cannot exceed 600 s (non-GPU).
	StartupProbeMaxWindowSeconds = 600
	// StartupProbeMaxInitialDelaySeconds: initialDelaySeconds 0–600.
	StartupProbeMaxInitialDelaySeconds = 600
	// StartupProbeMinPeriodSeconds / StartupProbeMaxPeriodSeconds: periodSeconds 1–600.
	StartupProbeMinPeriodSeconds = 1
	StartupProbeMaxPeriodSeconds = 600 // see StartupProbeMinPeriodSeconds
	// StartupProbeMinTimeoutSeconds / StartupProbeMaxTimeoutSeconds:
	// timeoutSeconds 1–600, and at most periodSeconds (equal is allowed).
	StartupProbeMinTimeoutSeconds = 1
	StartupProbeMaxTimeoutSeconds = 600 // see StartupProbeMinTimeoutSeconds
	// StartupProbeMinFailureThreshold: failureThreshold ≥ 1.
	StartupProbeMinFailureThreshold = 1
	// API defaults of a startup probe's fields when the probe is given but
	// a field is not: initial delay 0, period 10, timeout 1, threshold 3.
	StartupProbeDefaultInitialDelaySeconds = 0
	StartupProbeDefaultPeriodSeconds       = 10
	StartupProbeDefaultTimeoutSeconds      = 1
	StartupProbeDefaultFailureThreshold    = 3
	// DefaultProbeWindowSeconds is the window of the TCP startup probe Cloud
	// Run configures when none is given: period 240, timeout 240, threshold 1.
	DefaultProbeWindowSeconds = 240
	// BuiltinConnectionsPerInstance: the built-in Cloud SQL connection
	// limits each container instance to 100 connections per Cloud SQL
	// database (docs/gcp-limits.md#builtin-connection-cap).
	BuiltinConnectionsPerInstance = 100
)

// Cloud SQL Admin API and IAM login quotas (docs/gcp-limits.md#admin-api-quota).
const (
	// AdminAPIConnectQuotaPerMinute: Connect category, 1,000 per minute per
	// user (that is, per service account) per region. The model pools every
	// workload of a region against one quota, which is conservative when
	// services run under different service accounts.
	AdminAPIConnectQuotaPerMinute = 1000
	// AdminAPIQuotaIntervalSeconds: quotas are enforced and refilled over
	// 60-second intervals.
	AdminAPIQuotaIntervalSeconds = 60
	// AdminAPICallsPerInstancePerDatabase: about two Connect calls per
	// Cloud SQL instance per Cloud Run instance.
	AdminAPICallsPerInstancePerDatabase = 2
	// IAMLoginQuotaPerMinutePerInstance: IAM database authentication allows
	// 12,000 logins per minute per Cloud SQL instance.
	IAMLoginQuotaPerMinutePerInstance = 12000
)

// Direct VPC egress (docs/gcp-limits.md#direct-vpc-egress).
const (
	// DirectEgressIPsPerInstance: an instance holds 2 IPs, for its lifetime
	// plus up to DirectEgressIPHoldSeconds.
	DirectEgressIPsPerInstance = 2
	// DirectEgressIPHoldSeconds: IPs stay reserved up to 20 minutes after
	// an instance ends.
	DirectEgressIPHoldSeconds = 20 * 60
	// DirectEgressIPBlock: IPs are reserved in blocks of 16.
	DirectEgressIPBlock = 16
	// DirectEgressMaxPrefixLength: the subnet must be /26 or larger.
	DirectEgressMaxPrefixLength = 26
	// DirectEgressPerInstanceMbps: about 1 Gbps per instance.
	DirectEgressPerInstanceMbps = 1000
	// DirectEgressInstanceQuotaMin / DirectEgressInstanceQuotaMax: the
	// default quota of instances using Direct VPC egress is 100 to 200 per
	// revision and region depending on the region (raisable). Above the
	// lower figure a stack depends on its region's quota.
	DirectEgressInstanceQuotaMin = 100
	DirectEgressInstanceQuotaMax = 200 // see DirectEgressInstanceQuotaMin
	// SubnetReservedAddresses: a VPC subnet reserves 4 addresses (network,
	// gateway, second-to-last, broadcast): official,
	// https://cloud.google.com/vpc/docs/subnets#unusable-ip-addresses-in-every-subnet.
	SubnetReservedAddresses = 4
)

// Production redundancy (Headroom's rule, not a Google limit: one region's
// outage must leave a region that can serve; docs/policies.md#multi-region-redundancy).
const (
	// MultiRegionMinRegions: production runs VPC egress and workloads in at
	// least this many regions.
	MultiRegionMinRegions = 2
)

// Private services access (docs/gcp-limits.md#private-ip).
const (
	// PSAMaxPrefixLength: the allocated range is a /24 at the smallest.
	PSAMaxPrefixLength = 24
)

// Backups, PITR and maintenance (docs/gcp-limits.md#cloud-sql-backups).
const (
	RetainedBackupsMin            = 1   // retained automated backups: 1–365
	RetainedBackupsMax            = 365 // see RetainedBackupsMin
	RetainedBackupsDefault        = 7   // Enterprise default (Enterprise Plus: 15)
	LogRetentionDaysMin           = 1   // PITR log retention: 1–7 days
	LogRetentionDaysMax           = 7   // see LogRetentionDaysMin
	LogRetentionDaysMaxPlus       = 35  // Enterprise Plus: 1–35 days
	LogRetentionDaysDefault       = 7   // see LogRetentionDaysMin
	MaintenanceDayMin             = 1   // maintenance window day: 1 (Monday)–7 (Sunday)
	MaintenanceDayMax             = 7   // see MaintenanceDayMin
	MaintenanceHourMin            = 0   // maintenance window hour: 0–23 UTC
	MaintenanceHourMax            = 23  // see MaintenanceHourMin
	DiskSizeMinGB                 = 10  // provider: settings.disk_size at least 10 GB
	InstanceQualifiedNameMaxChars = 98  // "project-ID:instance-ID" at most 98 characters
)

// ParseTier parses and validates a tier name (db-f1-micro, db-g1-small,
// db-custom-<vCPU>-<MB>, db-custom-N4-<vCPU>-<MB>, db-perf-optimized-N-<vCPU>,
// db-c4a-highmem-<vCPU>); the error says what rule the name breaks
// (docs/gcp-limits.md#cloud-sql-tiers).
func ParseTier(name string) (Tier, error) {
	switch name {
	case TierF1Micro:
		// "tiny (~0.5)" in the max_connections table; the row is what matters.
		return Tier{Name: name, MemoryGB: 0.6, SharedCore: true, Edition: EditionEnterprise, Series: "shared-core"}, nil
	case TierG1Small:
		return Tier{Name: name, MemoryGB: 1.7, SharedCore: true, Edition: EditionEnterprise, Series: "shared-core"}, nil
	}
	if rest, ok := strings.CutPrefix(name, TierPrefixN4); ok {
		return parseN4Tier(name, rest)
	}
	if rest, ok := strings.CutPrefix(name, TierPrefixCustom); ok {
		return parseCustomTier(name, rest)
	}
	if rest, ok := strings.CutPrefix(name, TierPrefixPerfOptimized); ok {
		v, ok := positiveInt(rest)
		if !ok {
			return Tier{}, fmt.Errorf("tier %q: want %s<vCPU> with a positive integer vCPU count", name, TierPrefixPerfOptimized)
		}
		mem, ok := perfOptimizedMemoryGB[v]
		if !ok {
			return Tier{}, fmt.Errorf("tier %q: Enterprise Plus N2 sizes are 2, 4, 8, 16, 32, 48, 64, 80, 96, 128 vCPUs, not %d", name, v)
		}
		return Tier{Name: name, VCPUs: v, MemoryGB: mem, Edition: EditionEnterprisePlus, Series: "N2"}, nil
	}
	if rest, ok := strings.CutPrefix(name, TierPrefixC4A); ok {
		v, ok := positiveInt(rest)
		if !ok {
			return Tier{}, fmt.Errorf("tier %q: want %s<vCPU> with a positive integer vCPU count", name, TierPrefixC4A)
		}
		if !containsInt(c4aVCPUs, v) {
			return Tier{}, fmt.Errorf("tier %q: Enterprise Plus C4A sizes are %s vCPUs, not %d", name, joinInts(c4aVCPUs), v)
		}
		return Tier{Name: name, VCPUs: v, MemoryGB: float64(v * C4AGBPerVCPU), Edition: EditionEnterprisePlus, Series: "C4A"}, nil
	}
	return Tier{}, fmt.Errorf("tier %q: want db-f1-micro, db-g1-small, db-custom-<vCPU>-<MB>, db-custom-N4-<vCPU>-<MB>, db-perf-optimized-N-<vCPU> or db-c4a-highmem-<vCPU>", name)
}

// positiveInt parses a canonical positive decimal integer.
func positiveInt(s string) (int, bool) {
	v, err := strconv.Atoi(s)
	return v, err == nil && v > 0 && strconv.Itoa(v) == s
}

func containsInt(xs []int, v int) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ", ")
}

// cpuMem splits "<vCPU>-<MB>" into two canonical integers.
func cpuMem(rest string) (cpu, mem int, ok bool) {
	cpuS, memS, found := strings.Cut(rest, "-")
	cpu, err1 := strconv.Atoi(cpuS)
	mem, err2 := strconv.Atoi(memS)
	return cpu, mem, found && err1 == nil && err2 == nil && strconv.Itoa(cpu) == cpuS && strconv.Itoa(mem) == memS
}

func parseCustomTier(name, rest string) (Tier, error) {
	cpu, mem, ok := cpuMem(rest)
	if !ok {
		return Tier{}, fmt.Errorf("tier %q: want db-custom-<vCPU>-<memoryMB> with integer vCPU and memory", name)
	}
	if cpu != 1 && (cpu < 2 || cpu > CustomMaxVCPUs || cpu%2 != 0) {
		return Tier{}, fmt.Errorf("tier %q: vCPUs must be 1 or an even number between 2 and %d, got %d", name, CustomMaxVCPUs, cpu)
	}
	if mem%CustomMemoryStepMB != 0 {
		return Tier{}, fmt.Errorf("tier %q: memory must be a multiple of %d MB, got %d", name, CustomMemoryStepMB, mem)
	}
	if mem < CustomMinMemoryMB {
		return Tier{}, fmt.Errorf("tier %q: memory must be at least %d MB (3.75 GB), got %d", name, CustomMinMemoryMB, mem)
	}
	lo, hi := CustomMinMBPerVCPU*float64(cpu), CustomMaxMBPerVCPU*float64(cpu)
	if float64(mem) < lo || float64(mem) > hi {
		return Tier{}, fmt.Errorf("tier %q: memory must be 0.9–6.5 GB per vCPU (%d–%d MB for %d vCPU), got %d MB",
			name, int(math.Ceil(lo)), int(math.Floor(hi)), cpu, mem)
	}
	return Tier{Name: name, VCPUs: cpu, MemoryGB: float64(mem) / 1024, Edition: EditionEnterprise, Series: "custom"}, nil
}

// parseN4Tier reads db-custom-N4-<vCPU>-<MB>. Cloud SQL publishes the name
// form, not the shapes, so only the form is an error; a shape outside the
// ones we infer from Compute Engine's N4 custom machine types is advice
// (TierAdvice).
func parseN4Tier(name, rest string) (Tier, error) {
	cpu, mem, ok := cpuMem(rest)
	if !ok || cpu < 1 || mem < 1 {
		return Tier{}, fmt.Errorf("tier %q: want %s<vCPU>-<memoryMB> with positive integer vCPU and memory", name, TierPrefixN4)
	}
	return Tier{Name: name, VCPUs: cpu, MemoryGB: float64(mem) / 1024, Edition: EditionEnterprise, Series: "N4"}, nil
}

// TierAdvice is the advisory finding for a tier whose shape rests on our
// own inference rather than Google's documentation: an N4 tier with a vCPU
// count other than 1 or an even number up to N4MaxVCPUs, memory not in
// 256 MB steps, or outside 2–8 GB per vCPU (Compute Engine's N4 custom
// shapes; Cloud SQL does not publish them). nil for every other tier. The
// returned *RuleError has Inferred set: report it as advice, never as an
// error (docs/gcp-limits.md#cloud-sql-tiers).
func TierAdvice(t Tier) *RuleError {
	if t.Series != "N4" {
		return nil
	}
	cpu, mem := t.VCPUs, int(math.Round(t.MemoryGB*1024))
	const why = "; this is our inference from Compute Engine's N4 custom shapes (Cloud SQL does not publish the N4 shapes), so Cloud SQL may still accept it, or refuse it at deploy"
	var e *RuleError
	switch lo, hi := N4MinMBPerVCPU*cpu, N4MaxMBPerVCPU*cpu; {
	case cpu != 1 && (cpu < 2 || cpu > N4MaxVCPUs || cpu%2 != 0):
		e = ruleErr("database", "tier", t.Name, AnchorTiers, "has %d vCPUs where N4 shapes have 1 or an even number from 2 to %d%s", cpu, N4MaxVCPUs, why)
	case mem%CustomMemoryStepMB != 0:
		e = ruleErr("database", "tier", t.Name, AnchorTiers, "has %d MB memory where N4 shapes step by %d MB%s", mem, CustomMemoryStepMB, why)
	case mem < lo || mem > hi:
		e = ruleErr("database", "tier", t.Name, AnchorTiers, "has %d MB memory where N4 shapes have 2–8 GB per vCPU (%d–%d MB for %d vCPU)%s", mem, lo, hi, cpu, why)
	default:
		return nil
	}
	e.Inferred = true
	return e
}

// NormalizeEdition maps "" to ENTERPRISE and upper-cases the rest. Use
// DefaultEdition when the database version is known: an instance created
// without an edition gets Enterprise Plus from PostgreSQL 16 on.
func NormalizeEdition(edition string) string {
	if edition == "" {
		return EditionEnterprise
	}
	return strings.ToUpper(edition)
}

// DefaultEdition is the edition Cloud SQL gives an instance of version
// (e.g. "POSTGRES_16") created without one: Enterprise Plus from
// PostgreSQL 16, Enterprise before (docs/gcp-limits.md#cloud-sql-tiers).
// An unreadable version yields Enterprise.
func DefaultEdition(version string) string {
	major, ok := PostgresMajor(version)
	if ok && major >= EditionPlusDefaultFromMajor {
		return EditionEnterprisePlus
	}
	return EditionEnterprise
}

// PostgresMajor reads the major version of "POSTGRES_<major>[_<minor>]".
func PostgresMajor(version string) (int, bool) {
	rest, ok := strings.CutPrefix(strings.ToUpper(version), "POSTGRES_")
	if !ok {
		return 0, false
	}
	head, _, _ := strings.Cut(rest, "_")
	return positiveInt(head)
}

// EffectiveEdition is edition when set, else DefaultEdition(version).
func EffectiveEdition(edition, version string) string {
	if edition == "" {
		return DefaultEdition(version)
	}
	return strings.ToUpper(edition)
}

// CheckTierEdition reports whether tier may be used with edition ("" means
// ENTERPRISE); the error says why not. Enterprise runs shared-core, db-custom
// and N4 tiers; Enterprise Plus runs N2 (db-perf-optimized-N) and C4A
// (db-c4a-highmem) tiers (docs/gcp-limits.md#cloud-sql-tiers).
func CheckTierEdition(tier, edition string) error {
	ed := NormalizeEdition(edition)
	if ed == EditionDeveloper {
		return fmt.Errorf("edition %s: Headroom judges %s and %s only (Google publishes no tiers or limits for %s)",
			ed, EditionEnterprise, EditionEnterprisePlus, EditionDeveloper)
	}
	if ed != EditionEnterprise && ed != EditionEnterprisePlus {
		return fmt.Errorf("edition %q: want %s or %s", edition, EditionEnterprise, EditionEnterprisePlus)
	}
	t, err := ParseTier(tier)
	if err != nil {
		return err
	}
	if t.Edition != ed {
		return fmt.Errorf("tier %q belongs to edition %s, not %s", tier, t.Edition, ed)
	}
	return nil
}

// DefaultMaxConnections is Cloud SQL's memory-derived default
// max_connections for the tier (docs/gcp-limits.md#cloud-sql-max-connections).
// For a read replica Cloud SQL reads the largest memory of the primary
// chain; use DefaultMaxConnectionsForMemory with that figure.
func DefaultMaxConnections(t Tier) int {
	switch t.Name {
	case TierF1Micro:
		return 25
	case TierG1Small:
		return 50
	}
	return DefaultMaxConnectionsForMemory(t.MemoryGB)
}

// DefaultMaxConnectionsForMemory looks memory (GB) up in the default
// max_connections table; 0 for non-positive memory.
func DefaultMaxConnectionsForMemory(gb float64) int {
	if gb <= 0 {
		return 0
	}
	d := 0
	for _, b := range maxConnTable {
		if gb >= b.MinGB {
			d = b.Default
		}
	}
	return d
}

// MemoryForDefaultMaxConnections returns the smallest memory (GB) whose
// default max_connections is ≥ n, and that default; ok is false above the
// table's largest row (1,000).
func MemoryForDefaultMaxConnections(n int) (gb float64, def int, ok bool) {
	for _, b := range maxConnTable[2:] { // dedicated-core rows only
		if b.Default >= n {
			return b.MinGB, b.Default, true
		}
	}
	return 0, 0, false
}

// MaxConnectionsCeiling is our inferred ceiling for an explicit
// max_connections on tier t: MaxConnectionsCeilingMultiple × the tier
// default (an INFERENCE, see the constant). Above it is advice
// (MaxConnectionsAdvice), not an error; suggest prefers values within it.
func MaxConnectionsCeiling(t Tier) int {
	return MaxConnectionsCeilingMultiple * DefaultMaxConnections(t)
}

// LookupConnectorMachine returns the machine type's figures, false if unknown.
func LookupConnectorMachine(name string) (ConnectorMachine, bool) {
	for _, m := range connectorMachines {
		if m.Name == name {
			return m, true
		}
	}
	return ConnectorMachine{}, false
}

// ConnectorMachines lists every connector machine type, smallest first.
func ConnectorMachines() []ConnectorMachine {
	return append([]ConnectorMachine(nil), connectorMachines...)
}

// ConnectorMachineNames lists the machine type names, smallest first.
func ConnectorMachineNames() []string {
	names := make([]string, len(connectorMachines))
	for i, m := range connectorMachines {
		names[i] = m.Name
	}
	return names
}

// ConnectorInstancesForThroughput converts a deprecated throughput field
// (Mbps) to connector instances (see ConnectorThroughputMbpsPerInstance).
func ConnectorInstancesForThroughput(mbps int) int {
	return mbps / ConnectorThroughputMbpsPerInstance
}

// SubnetUsableIPs returns the prefix length and the usable addresses of an
// IPv4 subnet (size − 4 reserved addresses, see SubnetReservedAddresses).
func SubnetUsableIPs(cidr string) (prefix, usable int, err error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return 0, 0, fmt.Errorf("subnet %q: want an IPv4 CIDR like 10.10.0.0/20", cidr)
	}
	size := 1 << (32 - p.Bits())
	return p.Bits(), max(size-SubnetReservedAddresses, 0), nil
}

// DirectEgressIPsNeeded is the Direct VPC egress IP budget for a subnet
// whose services may run maxInstances instances in total: 2 × instances +
// one 16-address block (docs/gcp-limits.md#direct-vpc-egress).
func DirectEgressIPsNeeded(maxInstances int) int {
	return DirectEgressIPsPerInstance*maxInstances + DirectEgressIPBlock
}

// ProbeWindowSeconds is how long Cloud Run waits for a startup probe to
// succeed: initialDelay + period × failureThreshold, or the default TCP
// probe's 240 s when the probe is unset (docs/gcp-limits.md#cloud-run).
func ProbeWindowSeconds(p Probe) float64 {
	if p == (Probe{}) {
		return DefaultProbeWindowSeconds
	}
	period, thr := p.PeriodSeconds, p.FailureThreshold
	if period == 0 {
		period = StartupProbeDefaultPeriodSeconds
	}
	if thr == 0 {
		thr = StartupProbeDefaultFailureThreshold
	}
	return float64(p.InitialDelaySeconds + period*thr)
}
