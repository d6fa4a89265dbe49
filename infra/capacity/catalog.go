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
	SharedCore bool    // db-f1-micro, db-g1-small: no SLA (gcp-capacity.md §1.2)
	// Edition the tier belongs to: "ENTERPRISE" or "ENTERPRISE_PLUS".
	Edition string
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
// constant cites the section of /work/shared/facts/gcp-capacity.md it comes
// from; constants that are our own inference say so.

// Cloud SQL editions (gcp-capacity.md §1.2).
const (
	// EditionEnterprise is Cloud SQL Enterprise edition (shared-core and
	// db-custom tiers). An empty edition means Enterprise.
	EditionEnterprise = "ENTERPRISE"
	// EditionEnterprisePlus is Cloud SQL Enterprise Plus edition
	// (db-perf-optimized-N-* tiers).
	EditionEnterprisePlus = "ENTERPRISE_PLUS"
)

// Cloud SQL availability types (gcp-capacity.md §2.1).
const (
	// AvailabilityZonal is a single-zone instance (the API default).
	AvailabilityZonal = "ZONAL"
	// AvailabilityRegional is a high-availability instance (primary and
	// standby in two zones).
	AvailabilityRegional = "REGIONAL"
)

// Cloud SQL connection limits.
const (
	// MaxConnectionsFlagMin is the smallest value Cloud SQL accepts for the
	// max_connections flag (gcp-capacity.md §1.1, "max_connections integer 14 …").
	MaxConnectionsFlagMin = 14
	// MaxConnectionsCeilingMultiple bounds an explicit max_connections at
	// this multiple of the tier's memory-derived default. INFERENCE (ours):
	// Google documents no fixed maximum — it "varies" with the backend
	// connections already in use (gcp-capacity.md §1.1) — and every
	// PostgreSQL backend costs memory the default table already budgets
	// for, so going far beyond the default trades connection slots for
	// out-of-memory risk. 4× keeps db-custom-1-3840 (default 100) at ≤ 400.
	MaxConnectionsCeilingMultiple = 4
	// SuperuserReservedConnections is PostgreSQL's
	// superuser_reserved_connections as measured on Cloud SQL
	// (gcp-capacity.md §1.1, [secondary, measured]; Google's default is NOT FOUND).
	SuperuserReservedConnections = 3
	// CloudSQLInternalConnections are the sessions cloudsqladmin holds
	// (gcp-capacity.md §1.1, [secondary, measured] "2 held by cloudsqladmin").
	CloudSQLInternalConnections = 2
	// DefaultReservedConnections = 3 + 2: what applications cannot use
	// (gcp-capacity.md §1.1 and §8 budget rule; unverified, overridable).
	DefaultReservedConnections = SuperuserReservedConnections + CloudSQLInternalConnections
)

// Cloud SQL custom-tier rules (gcp-capacity.md §1.2).
const (
	// CustomMaxVCPUs: "must be either 1 or an even number between 2 and 96".
	CustomMaxVCPUs = 96
	// CustomMemoryStepMB: memory "must be a multiple of 256 MB".
	CustomMemoryStepMB = 256
	// CustomMinMemoryMB: memory "at least 3.75 GB" (3.75 × 1024 = 3840 MB,
	// the db-custom-1-3840 tier).
	CustomMinMemoryMB = 3840
	// CustomMinMBPerVCPU / CustomMaxMBPerVCPU: "0.9 to 6.5 GB per vCPU"
	// in MB (GB = 1024 MB, as in db-custom-2-13312 = 2 × 6.5 × 1024).
	CustomMinMBPerVCPU = 0.9 * 1024
	CustomMaxMBPerVCPU = 6.5 * 1024 // see CustomMinMBPerVCPU
	// PerfOptimizedGBPerVCPU: Enterprise Plus N2 is "1 vCPU : 8 GB"
	// (gcp-capacity.md §1.2), up to N-80; larger sizes come from perfOptimizedMemoryGB.
	PerfOptimizedGBPerVCPU = 8
)

// perfOptimizedMemoryGB lists the db-perf-optimized-N-<vCPU> sizes
// (gcp-capacity.md §1.2 [official] up to N-80; N-96 and N-128 [secondary]).
var perfOptimizedMemoryGB = map[int]float64{
	2: 16, 4: 32, 8: 64, 16: 128, 32: 256, 48: 384, 64: 512, 80: 640,
	96: 768, 128: 864,
}

// Shared-core tiers (gcp-capacity.md §1.1 and §1.2). Memory as the
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

// maxConnTable is gcp-capacity.md §1.1 [official]: default max_connections
// by the memory of the largest instance in the primary chain, ascending.
// The rows below 3.75 GB are the shared-core tiers (tiny → 25, small → 50);
// assigning any other memory below 3.75 GB to them is an INFERENCE (no
// dedicated-core tier is that small, §1.2).
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

// Serverless VPC Access connector limits (gcp-capacity.md §3).
const (
	// ConnectorMinInstancesFloor: "Minimum at least 2" (docs; API min_instances 2–9).
	ConnectorMinInstancesFloor = 2
	// ConnectorMaxInstancesCeiling: "maximum at most 10" (docs; API max_instances 3–10).
	ConnectorMaxInstancesCeiling = 10
	// ConnectorDefaultMinInstances / ConnectorDefaultMaxInstances: "Defaults: min 2, max 10".
	ConnectorDefaultMinInstances = 2
	ConnectorDefaultMaxInstances = 10 // see ConnectorDefaultMinInstances
	// ConnectorPrefixLength: the connector needs "an existing /28 subnet …
	// or an unused /28 CIDR range".
	ConnectorPrefixLength = 28
	// ConnectorDefaultMachineType is the API default machine type.
	ConnectorDefaultMachineType = "e2-micro"
)

// connectorMachines is gcp-capacity.md §3 "Throughput per connector"
// [official]; PerInstanceMbps is the INFERENCE range ÷ (2…10 instances).
var connectorMachines = []ConnectorMachine{
	{Name: "f1-micro", MinMbps: 100, MaxMbps: 500, PerInstanceMbps: 50},
	{Name: "e2-micro", MinMbps: 200, MaxMbps: 1000, PerInstanceMbps: 100},
	{Name: "e2-standard-4", MinMbps: 3200, MaxMbps: 16000, PerInstanceMbps: 1600},
}

// Cloud Run limits (gcp-capacity.md §5 unless noted).
const (
	// CloudRunDefaultMaxInstances: max_instance_count "When unspecified …
	// the server default value of 100".
	CloudRunDefaultMaxInstances = 100
	// ConcurrencyMin / ConcurrencyMax / ConcurrencyDefault: "Default 80; max 1,000".
	ConcurrencyMin     = 1
	ConcurrencyMax     = 1000 // see ConcurrencyMin
	ConcurrencyDefault = 80   // see ConcurrencyMin
	// StartupProbeMaxWindowSeconds: failureThreshold × periodSeconds
	// "cannot exceed 240 seconds".
	StartupProbeMaxWindowSeconds = 240
	// StartupProbeMaxInitialDelaySeconds: initial_delay_seconds max 240 (startup).
	StartupProbeMaxInitialDelaySeconds = 240
	// StartupProbeMaxPeriodSeconds: period_seconds max 240 (startup).
	StartupProbeMaxPeriodSeconds = 240
	// DefaultProbeWindowSeconds is the window of the TCP startup probe Cloud
	// Run configures when none is given: period 240 × failureThreshold 1
	// ([secondary] Datadog sample, gcp-capacity.md §5).
	DefaultProbeWindowSeconds = 240
	// BuiltinConnectionsPerInstance: the built-in Cloud SQL connection
	// limits each container instance to "100 connections per Cloud SQL
	// database" (gcp-capacity.md §2.6).
	BuiltinConnectionsPerInstance = 100
)

// Cloud SQL Admin API (gcp-capacity.md §2.7).
const (
	// AdminAPIConnectQuotaPerMinute: Connect category, 1,000 per minute per
	// user per region, refilled over 60-second intervals.
	AdminAPIConnectQuotaPerMinute = 1000
	// AdminAPIQuotaIntervalSeconds: quotas are "enforced and refilled over
	// 60-second intervals".
	AdminAPIQuotaIntervalSeconds = 60
	// AdminAPICallsPerInstancePerDatabase: "approximately two times the
	// number of Cloud SQL instances configured by the number of Cloud Run
	// instances".
	AdminAPICallsPerInstancePerDatabase = 2
)

// Direct VPC egress (gcp-capacity.md §4).
const (
	// DirectEgressIPsPerInstance: IPs in use ≈ instance_count × 2
	// (networking best practices, newer version).
	DirectEgressIPsPerInstance = 2
	// DirectEgressIPBlock: "reserves IP addresses in blocks of 16".
	DirectEgressIPBlock = 16
	// DirectEgressMaxPrefixLength: "/26 subnet minimum" ([secondary] quote).
	DirectEgressMaxPrefixLength = 26
	// DirectEgressPerInstanceMbps: "~1 Gbps per instance" ([secondary] quote).
	DirectEgressPerInstanceMbps = 1000
	// SubnetReservedAddresses: a VPC subnet reserves 4 addresses (network,
	// gateway, second-to-last, broadcast). NOT in gcp-capacity.md: general
	// VPC knowledge, marked as INFERENCE for the IP budget.
	SubnetReservedAddresses = 4
)

// ParseTier parses and validates a tier name (db-f1-micro, db-g1-small,
// db-custom-<vCPU>-<MB>, db-perf-optimized-N-<vCPU>); the error says what
// rule the name breaks.
func ParseTier(name string) (Tier, error) {
	switch name {
	case TierF1Micro:
		// gcp-capacity.md §1.1: "tiny (~0.5)"; the table row is what matters.
		return Tier{Name: name, MemoryGB: 0.6, SharedCore: true, Edition: EditionEnterprise}, nil
	case TierG1Small:
		return Tier{Name: name, MemoryGB: 1.7, SharedCore: true, Edition: EditionEnterprise}, nil
	}
	if rest, ok := strings.CutPrefix(name, "db-custom-"); ok {
		return parseCustomTier(name, rest)
	}
	if rest, ok := strings.CutPrefix(name, "db-perf-optimized-N-"); ok {
		v, err := strconv.Atoi(rest)
		if err != nil || v <= 0 || strconv.Itoa(v) != rest {
			return Tier{}, fmt.Errorf("tier %q: want db-perf-optimized-N-<vCPU> with a positive integer vCPU count", name)
		}
		mem, ok := perfOptimizedMemoryGB[v]
		if !ok {
			return Tier{}, fmt.Errorf("tier %q: Enterprise Plus N2 sizes are 2, 4, 8, 16, 32, 48, 64, 80, 96, 128 vCPUs, not %d", name, v)
		}
		return Tier{Name: name, VCPUs: v, MemoryGB: mem, Edition: EditionEnterprisePlus}, nil
	}
	return Tier{}, fmt.Errorf("tier %q: want db-f1-micro, db-g1-small, db-custom-<vCPU>-<MB> or db-perf-optimized-N-<vCPU>", name)
}

func parseCustomTier(name, rest string) (Tier, error) {
	cpuS, memS, ok := strings.Cut(rest, "-")
	cpu, err1 := strconv.Atoi(cpuS)
	mem, err2 := strconv.Atoi(memS)
	if !ok || err1 != nil || err2 != nil || strconv.Itoa(cpu) != cpuS || strconv.Itoa(mem) != memS {
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
	return Tier{Name: name, VCPUs: cpu, MemoryGB: float64(mem) / 1024, Edition: EditionEnterprise}, nil
}

// NormalizeEdition maps "" to ENTERPRISE and upper-cases the rest.
func NormalizeEdition(edition string) string {
	if edition == "" {
		return EditionEnterprise
	}
	return strings.ToUpper(edition)
}

// CheckTierEdition reports whether tier may be used with edition ("" means
// ENTERPRISE); the error says why not. Enterprise runs shared-core and
// db-custom tiers, Enterprise Plus runs db-perf-optimized-N tiers
// (gcp-capacity.md §1.2 "Machine series by edition").
func CheckTierEdition(tier, edition string) error {
	ed := NormalizeEdition(edition)
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
// max_connections for the tier (gcp-capacity.md §1.1). For a read replica
// Cloud SQL reads the largest memory of the primary chain; use
// DefaultMaxConnectionsForMemory with that figure.
func DefaultMaxConnections(t Tier) int {
	switch t.Name {
	case TierF1Micro:
		return 25
	case TierG1Small:
		return 50
	}
	return DefaultMaxConnectionsForMemory(t.MemoryGB)
}

// DefaultMaxConnectionsForMemory looks memory (GB) up in the
// gcp-capacity.md §1.1 table; 0 for non-positive memory.
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

// MaxConnectionsCeiling is our sane maximum for an explicit max_connections
// on tier t: MaxConnectionsCeilingMultiple × the tier default (an
// INFERENCE, see the constant).
func MaxConnectionsCeiling(t Tier) int {
	return MaxConnectionsCeilingMultiple * DefaultMaxConnections(t)
}

// ValidateMaxConnections checks an explicit max_connections flag for tier
// t: 0 (unset) is fine; otherwise it must be ≥ 14 (gcp-capacity.md §1.1) and
// ≤ MaxConnectionsCeiling(t) (our inference).
func ValidateMaxConnections(t Tier, n int) error {
	if n == 0 {
		return nil
	}
	if n < MaxConnectionsFlagMin {
		return fmt.Errorf("max_connections %d: Cloud SQL's minimum is %d", n, MaxConnectionsFlagMin)
	}
	if c := MaxConnectionsCeiling(t); n > c {
		return fmt.Errorf("max_connections %d on %s: above %d (%d× the tier default %d); pick a tier with more memory",
			n, t.Name, c, MaxConnectionsCeilingMultiple, DefaultMaxConnections(t))
	}
	return nil
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

// ValidateConnectorSizing checks a connector's machine type and instance
// bounds: a known machine type (empty = e2-micro), 2 ≤ min < max ≤ 10
// (gcp-capacity.md §3).
func ValidateConnectorSizing(machineType string, minInstances, maxInstances int) error {
	if machineType != "" {
		if _, ok := LookupConnectorMachine(machineType); !ok {
			return fmt.Errorf("connector machineType %q: want f1-micro, e2-micro or e2-standard-4", machineType)
		}
	}
	if minInstances < ConnectorMinInstancesFloor {
		return fmt.Errorf("connector minInstances %d: must be at least %d", minInstances, ConnectorMinInstancesFloor)
	}
	if maxInstances > ConnectorMaxInstancesCeiling {
		return fmt.Errorf("connector maxInstances %d: must be at most %d", maxInstances, ConnectorMaxInstancesCeiling)
	}
	if maxInstances <= minInstances {
		return fmt.Errorf("connector maxInstances %d: must be greater than minInstances %d", maxInstances, minInstances)
	}
	return nil
}

// ValidateConnectorCIDR checks that cidr is a /28 IPv4 range
// (gcp-capacity.md §3).
func ValidateConnectorCIDR(cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return fmt.Errorf("connector ipCidrRange %q: want an IPv4 CIDR like 10.8.0.0/28", cidr)
	}
	if p.Bits() != ConnectorPrefixLength {
		return fmt.Errorf("connector ipCidrRange %q: must be a /%d, got /%d", cidr, ConnectorPrefixLength, p.Bits())
	}
	if p.Masked() != p {
		return fmt.Errorf("connector ipCidrRange %q: not aligned, did you mean %s?", cidr, p.Masked())
	}
	return nil
}

// SubnetUsableIPs returns the prefix length and the usable addresses of an
// IPv4 subnet (size − 4 reserved addresses, an inference, see
// SubnetReservedAddresses).
func SubnetUsableIPs(cidr string) (prefix, usable int, err error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return 0, 0, fmt.Errorf("subnet %q: want an IPv4 CIDR like 10.10.0.0/20", cidr)
	}
	size := 1 << (32 - p.Bits())
	usable = size - SubnetReservedAddresses
	if usable < 0 {
		usable = 0
	}
	return p.Bits(), usable, nil
}

// DirectEgressIPsNeeded is the Direct VPC egress IP budget for a subnet
// whose services may run maxInstances instances in total: 2 × instances +
// one 16-address block (gcp-capacity.md §4 and §8).
func DirectEgressIPsNeeded(maxInstances int) int {
	return DirectEgressIPsPerInstance*maxInstances + DirectEgressIPBlock
}

// ValidateConcurrency checks Cloud Run's max concurrent requests per
// instance: 0 (unset → 80) or 1–1,000 (gcp-capacity.md §5).
func ValidateConcurrency(n int) error {
	if n == 0 || (n >= ConcurrencyMin && n <= ConcurrencyMax) {
		return nil
	}
	return fmt.Errorf("concurrency %d: must be between %d and %d", n, ConcurrencyMin, ConcurrencyMax)
}

// ProbeWindowSeconds is how long Cloud Run waits for a startup probe to
// succeed: initialDelay + period × failureThreshold, or the default TCP
// probe's 240 s when the probe is unset (gcp-capacity.md §5).
func ProbeWindowSeconds(p Probe) float64 {
	if p == (Probe{}) {
		return DefaultProbeWindowSeconds
	}
	period, thr := p.PeriodSeconds, p.FailureThreshold
	if period == 0 {
		period = 10 // API default period_seconds (gcp-capacity.md §5)
	}
	if thr == 0 {
		thr = 3 // API default failure_threshold (gcp-capacity.md §5)
	}
	return float64(p.InitialDelaySeconds + period*thr)
}

// ValidateStartupProbe checks Cloud Run's startup probe limits
// (gcp-capacity.md §5): initialDelay ≤ 240, 1 ≤ period ≤ 240,
// timeout < period, failureThreshold ≥ 1, period × failureThreshold ≤ 240.
// The zero probe (Cloud Run's default TCP probe) is valid.
func ValidateStartupProbe(p Probe) error {
	if p == (Probe{}) {
		return nil
	}
	switch {
	case p.InitialDelaySeconds < 0 || p.InitialDelaySeconds > StartupProbeMaxInitialDelaySeconds:
		return fmt.Errorf("startupProbe initialDelaySeconds %d: must be 0–%d", p.InitialDelaySeconds, StartupProbeMaxInitialDelaySeconds)
	case p.PeriodSeconds < 1 || p.PeriodSeconds > StartupProbeMaxPeriodSeconds:
		return fmt.Errorf("startupProbe periodSeconds %d: must be 1–%d", p.PeriodSeconds, StartupProbeMaxPeriodSeconds)
	case p.TimeoutSeconds < 0 || (p.TimeoutSeconds > 0 && p.TimeoutSeconds >= p.PeriodSeconds):
		return fmt.Errorf("startupProbe timeoutSeconds %d: must be less than periodSeconds %d", p.TimeoutSeconds, p.PeriodSeconds)
	case p.FailureThreshold < 1:
		return fmt.Errorf("startupProbe failureThreshold %d: must be at least 1", p.FailureThreshold)
	case p.PeriodSeconds*p.FailureThreshold > StartupProbeMaxWindowSeconds:
		return fmt.Errorf("startupProbe periodSeconds × failureThreshold = %d × %d = %d s: must not exceed %d s",
			p.PeriodSeconds, p.FailureThreshold, p.PeriodSeconds*p.FailureThreshold, StartupProbeMaxWindowSeconds)
	}
	return nil
}
