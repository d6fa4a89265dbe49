package capacity

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// This file holds every rule predicate the stack config, the policy pack and
// the analyses share. Each returns a *RuleError naming the field it is about,
// so each layer points at its own key (a stack config key, a resource
// property, an env var) while giving the same reason.

// LimitsDoc is the repository's reference of the Google Cloud limits.
const LimitsDoc = "docs/gcp-limits.md"

// RuleError is a broken rule of the catalog.
type RuleError struct {
	// Subject groups the field ("startupProbe", "connector", "db", ...).
	Subject string
	// Field is the input the rule is about, in the stack config's spelling
	// (e.g. "periodSeconds", "maxInstances", "connectTimeoutSeconds").
	Field string
	// Got is the offending value as shown to the user.
	Got string
	// Rule says what is expected ("must be an integer from 1 to 600").
	Rule string
	// Anchor is the docs/gcp-limits.md section the rule comes from.
	Anchor string
	// Inferred marks a rule that rests on our own inference (labelled so
	// in docs/gcp-limits.md), not on a bound Google documents: it is
	// reported as advice with its reasoning, never as bad input or a
	// mandatory verdict.
	Inferred bool
}

// Reason is the rule and the offending value: the part of the message every
// layer repeats word for word.
func (e *RuleError) Reason() string { return e.Rule + ", got " + e.Got }

// Source is the rule's citation, e.g. "docs/gcp-limits.md#cloud-run".
func (e *RuleError) Source() string { return LimitsDoc + "#" + e.Anchor }

func (e *RuleError) Error() string {
	return e.Subject + " " + e.Field + ": " + e.Reason() + " (" + e.Source() + ")"
}

func ruleErr(subject, field string, got any, anchor, format string, args ...any) *RuleError {
	g := fmt.Sprint(got)
	if s, ok := got.(string); ok {
		g = strconv.Quote(s)
	}
	return &RuleError{Subject: subject, Field: field, Got: g, Rule: fmt.Sprintf(format, args...), Anchor: anchor}
}

// Anchors of docs/gcp-limits.md the rules cite.
const (
	AnchorMaxConnections = "cloud-sql-max-connections"
	AnchorTiers          = "cloud-sql-tiers"
	AnchorHA             = "cloud-sql-ha"
	AnchorBackups        = "cloud-sql-backups"
	AnchorConnector      = "vpc-connector"
	AnchorDirectEgress   = "direct-vpc-egress"
	AnchorCloudRun       = "cloud-run"
	AnchorPrivateIP      = "private-ip"
	AnchorPooling        = "pooling"
	AnchorDerived        = "derived-rules"
)

// ValidateStartupProbe checks Cloud Run's startup probe limits
// (docs/gcp-limits.md#cloud-run): initialDelaySeconds 0–600, periodSeconds
// 1–600, timeoutSeconds 1–600 and at most periodSeconds (0 = unset, the API
// default of 1), failureThreshold ≥ 1, and the window initialDelaySeconds +
// periodSeconds × failureThreshold ≤ 600 s. The zero probe (Cloud Run's
// default TCP probe) is valid. A non-nil error is a *RuleError.
func ValidateStartupProbe(p Probe) error {
	if p == (Probe{}) {
		return nil
	}
	const s, a = "startupProbe", AnchorCloudRun
	// The rules in this file are if chains, not `switch { case …: }`: Go's
	// coverage profile leaves case expressions out of every block, so
	// mutation testing would report the conditions' mutants as not covered
	// however well the tests pin them.
	if p.InitialDelaySeconds < 0 || p.InitialDelaySeconds > StartupProbeMaxInitialDelaySeconds {
		return ruleErr(s, "initialDelaySeconds", p.InitialDelaySeconds, a, "must be an integer from 0 to %d", StartupProbeMaxInitialDelaySeconds)
	}
	if p.PeriodSeconds < StartupProbeMinPeriodSeconds || p.PeriodSeconds > StartupProbeMaxPeriodSeconds {
		return ruleErr(s, "periodSeconds", p.PeriodSeconds, a, "must be an integer from %d to %d", StartupProbeMinPeriodSeconds, StartupProbeMaxPeriodSeconds)
	}
	if p.TimeoutSeconds < 0 || p.TimeoutSeconds > StartupProbeMaxTimeoutSeconds {
		return ruleErr(s, "timeoutSeconds", p.TimeoutSeconds, a, "must be an integer from %d to %d", StartupProbeMinTimeoutSeconds, StartupProbeMaxTimeoutSeconds)
	}
	if p.TimeoutSeconds > p.PeriodSeconds {
		return ruleErr(s, "timeoutSeconds", p.TimeoutSeconds, a, "must be at most periodSeconds (%d)", p.PeriodSeconds)
	}
	if p.FailureThreshold < StartupProbeMinFailureThreshold {
		return ruleErr(s, "failureThreshold", p.FailureThreshold, a, "must be an integer ≥ %d", StartupProbeMinFailureThreshold)
	}
	if w := p.InitialDelaySeconds + p.PeriodSeconds*p.FailureThreshold; w > StartupProbeMaxWindowSeconds {
		return ruleErr(s, "failureThreshold", p.FailureThreshold, a,
			"must keep the startup window initialDelaySeconds + periodSeconds × failureThreshold = %d + %d × %d = %d s within %d s",
			p.InitialDelaySeconds, p.PeriodSeconds, p.FailureThreshold, w, StartupProbeMaxWindowSeconds)
	}
	return nil
}

// ValidateConnectTimeoutSeconds checks an application's database connect
// timeout: a finite decimal number of seconds > 0. The same rule holds for
// the stack key db.connectTimeoutSeconds and the DB_CONNECT_TIMEOUT_SECONDS
// env var (see ParseConnectTimeout).
func ValidateConnectTimeoutSeconds(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return ruleErr("db", "connectTimeoutSeconds", v, AnchorPooling, "must be a decimal number of seconds > 0")
	}
	return nil
}

// ParseConnectTimeout reads the DB_CONNECT_TIMEOUT_SECONDS env value: a
// decimal number of seconds > 0 (e.g. "75" or "74.5").
func ParseConnectTimeout(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, ruleErr("db", "connectTimeoutSeconds", s, AnchorPooling, "must be a decimal number of seconds > 0")
	}
	if err := ValidateConnectTimeoutSeconds(v); err != nil {
		return 0, err
	}
	return v, nil
}

// ValidatePool checks an application's pool contract: poolSize ≥ 1,
// maxOverflow ≥ 0, 0 ≤ startupConnections ≤ poolSize + maxOverflow.
func ValidatePool(poolSize, maxOverflow, startupConnections int) error {
	if poolSize < 1 {
		return ruleErr("db", "poolSize", poolSize, AnchorPooling, "must be an integer ≥ 1")
	}
	if maxOverflow < 0 {
		return ruleErr("db", "maxOverflow", maxOverflow, AnchorPooling, "must be an integer ≥ 0")
	}
	if startupConnections < 0 || startupConnections > poolSize+maxOverflow {
		return ruleErr("db", "startupConnections", startupConnections, AnchorPooling,
			"must be an integer from 0 to poolSize + maxOverflow (%d)", poolSize+maxOverflow)
	}
	return nil
}

// ValidateConcurrency checks Cloud Run's max concurrent requests per
// instance: 0 (unset → 80) or 1–1,000 (docs/gcp-limits.md#cloud-run).
func ValidateConcurrency(n int) error {
	if n == 0 || (n >= ConcurrencyMin && n <= ConcurrencyMax) {
		return nil
	}
	return ruleErr("service", "concurrency", n, AnchorCloudRun, "must be an integer from %d to %d", ConcurrencyMin, ConcurrencyMax)
}

// ValidateCPU checks a Cloud Run CPU limit in vCPUs: > 0 and at most 8.
func ValidateCPU(vcpus float64) error {
	if !(vcpus > 0 && vcpus <= CloudRunMaxCPU) {
		return ruleErr("service", "cpu", vcpus, AnchorCloudRun, "must be more than 0 and at most %d vCPUs", CloudRunMaxCPU)
	}
	return nil
}

// ValidateMaxInstances checks a Cloud Run service's max instances: set
// explicitly and > 0, since the server default (100 by the API, or the
// regional quota) breaks every connection budget
// (docs/gcp-limits.md#cloud-run). minInstances must not exceed it.
func ValidateMaxInstances(minInstances, maxInstances int) error {
	if maxInstances < 1 {
		return ruleErr("service", "maxInstances", maxInstances, AnchorCloudRun,
			"must be an integer ≥ 1 (unset or 0 means Cloud Run's default of %d)", CloudRunDefaultMaxInstances)
	}
	if minInstances < 0 || minInstances > maxInstances {
		return ruleErr("service", "minInstances", minInstances, AnchorCloudRun, "must be an integer from 0 to maxInstances (%d)", maxInstances)
	}
	return nil
}

// ValidateMaxConnections checks an explicit max_connections flag: 0
// (unset) is fine; otherwise ValidateMaxConnectionsFlag.
func ValidateMaxConnections(t Tier, n int) error {
	if n == 0 {
		return nil
	}
	return ValidateMaxConnectionsFlag(t, n)
}

// ValidateMaxConnectionsFlag checks an explicitly set max_connections
// flag (0 included) against the bounds Cloud SQL and PostgreSQL document:
// 14 to 262143 (docs/gcp-limits.md#cloud-sql-max-connections). Our inferred
// ceiling for the tier is advice, not a bound: see MaxConnectionsAdvice.
func ValidateMaxConnectionsFlag(_ Tier, n int) error {
	if n < MaxConnectionsFlagMin || n > MaxConnectionsFlagMax {
		return ruleErr("database", "maxConnections", n, AnchorMaxConnections,
			"must be an integer from %d (Cloud SQL's minimum) to %d (PostgreSQL's maximum)", MaxConnectionsFlagMin, MaxConnectionsFlagMax)
	}
	return nil
}

// MaxConnectionsAdvice is the advisory finding for an explicit
// max_connections above MaxConnectionsCeiling(t), our inferred ceiling for
// the tier; nil at or below it (or for a zero Tier). Google documents no
// fixed maximum (it depends on the backends in use), so callers report it
// as advice with its reasoning and number, never as an error or a
// mandatory verdict.
// The returned *RuleError has Inferred set.
func MaxConnectionsAdvice(t Tier, n int) *RuleError {
	c := MaxConnectionsCeiling(t)
	if c <= 0 || n <= c {
		return nil
	}
	e := ruleErr("database", "maxConnections", n, AnchorMaxConnections,
		"is above %d, our inferred ceiling on %s (%d× the tier default %d): every PostgreSQL backend takes memory the default already budgets for, so far above it connection slots are traded for out-of-memory risk, and Cloud SQL refuses a value the tier cannot hold (invalidFlagValue) at a limit it does not publish; check the instance's memory under load or pick a tier with more memory",
		c, t.Name, MaxConnectionsCeilingMultiple, DefaultMaxConnections(t))
	e.Inferred = true
	return e
}

// ValidateBackups checks retained automated backups (Headroom requires at
// least the Enterprise default of 7, up to Google's 365) and the PITR log
// retention (1–7 days, 1–35 on Enterprise Plus) (docs/gcp-limits.md#cloud-sql-backups).
// Callers pass the API defaults for unset values (RetainedBackupsDefault,
// LogRetentionDaysDefault).
func ValidateBackups(retainedBackups, logRetentionDays int, edition string) error {
	if retainedBackups < RetainedBackupsDefault || retainedBackups > RetainedBackupsMax {
		return ruleErr("backups", "retainedBackups", retainedBackups, AnchorBackups, "must be an integer from %d to %d", RetainedBackupsDefault, RetainedBackupsMax)
	}
	maxLog := LogRetentionDaysMax
	if NormalizeEdition(edition) == EditionEnterprisePlus {
		maxLog = LogRetentionDaysMaxPlus
	}
	if logRetentionDays < LogRetentionDaysMin || logRetentionDays > maxLog {
		return ruleErr("backups", "logRetentionDays", logRetentionDays, AnchorBackups, "must be an integer from %d to %d for edition %s", LogRetentionDaysMin, maxLog, NormalizeEdition(edition))
	}
	return nil
}

// ValidateMaintenanceWindow checks a maintenance window: day 1 (Monday) to
// 7 (Sunday), hour 0–23 UTC (docs/gcp-limits.md#cloud-sql-backups).
func ValidateMaintenanceWindow(day, hour int) error {
	if day < MaintenanceDayMin || day > MaintenanceDayMax {
		return ruleErr("maintenanceWindow", "day", day, AnchorBackups, "must be an integer from %d (Monday) to %d (Sunday)", MaintenanceDayMin, MaintenanceDayMax)
	}
	if hour < MaintenanceHourMin || hour > MaintenanceHourMax {
		return ruleErr("maintenanceWindow", "hour", hour, AnchorBackups, "must be an integer from %d to %d (UTC)", MaintenanceHourMin, MaintenanceHourMax)
	}
	return nil
}

// ValidateAvailability checks an availability type (ZONAL or REGIONAL) and
// that HA has backups and point-in-time recovery (docs/gcp-limits.md#cloud-sql-ha).
func ValidateAvailability(availability string, backups, pitr bool) error {
	switch availability {
	case AvailabilityZonal:
	case AvailabilityRegional:
		if !backups || !pitr {
			return ruleErr("database", "availability", availability, AnchorHA, "requires backups.enabled and backups.pointInTimeRecovery (REGIONAL high availability)")
		}
	default:
		return ruleErr("database", "availability", availability, AnchorHA, "must be one of %s, %s", AvailabilityZonal, AvailabilityRegional)
	}
	return nil
}

// ValidateConnectorName checks a connector name: an RFC 1035 label of at
// most 25 characters (docs/gcp-limits.md#vpc-connector).
func ValidateConnectorName(name string) error {
	if len(name) == 0 || len(name) > ConnectorNameMaxLength || !isRFC1035Label(name) {
		return ruleErr("connector", "name", name, AnchorConnector,
			"must be lowercase letters, digits and hyphens, start with a letter, end with a letter or digit, and have at most %d characters", ConnectorNameMaxLength)
	}
	return nil
}

func isRFC1035Label(s string) bool {
	for i, c := range s {
		if c >= 'a' && c <= 'z' {
			continue
		}
		digitOrHyphen := c >= '0' && c <= '9' || c == '-'
		if !digitOrHyphen || i == 0 {
			return false
		}
	}
	return s != "" && s[len(s)-1] != '-'
}

// ValidateConnectorSizing checks a connector's machine type and instance
// bounds: a known machine type (empty = e2-micro), minInstances ≥ 2,
// maxInstances ≤ 10, maxInstances > minInstances
// (docs/gcp-limits.md#vpc-connector).
func ValidateConnectorSizing(machineType string, minInstances, maxInstances int) error {
	if machineType != "" {
		if _, ok := LookupConnectorMachine(machineType); !ok {
			return ruleErr("connector", "machineType", machineType, AnchorConnector, "must be one of %s", strings.Join(ConnectorMachineNames(), ", "))
		}
	}
	if minInstances < ConnectorMinInstancesFloor || minInstances >= ConnectorMaxInstancesCeiling {
		return ruleErr("connector", "minInstances", minInstances, AnchorConnector, "must be an integer from %d to %d", ConnectorMinInstancesFloor, ConnectorMaxInstancesCeiling-1)
	}
	if maxInstances <= ConnectorMinInstancesFloor || maxInstances > ConnectorMaxInstancesCeiling {
		return ruleErr("connector", "maxInstances", maxInstances, AnchorConnector, "must be an integer from %d to %d", ConnectorMinInstancesFloor+1, ConnectorMaxInstancesCeiling)
	}
	if maxInstances <= minInstances {
		return ruleErr("connector", "maxInstances", maxInstances, AnchorConnector, "must be greater than minInstances (%d)", minInstances)
	}
	return nil
}

// ValidateConnectorCIDR checks that cidr is an aligned IPv4 /28
// (docs/gcp-limits.md#vpc-connector).
func ValidateConnectorCIDR(cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return ruleErr("connector", "ipCidrRange", cidr, AnchorConnector, "must be an IPv4 CIDR range like 10.8.0.0/28")
	}
	if p.Bits() != ConnectorPrefixLength {
		return ruleErr("connector", "ipCidrRange", cidr, AnchorConnector, "must be a /%d range", ConnectorPrefixLength)
	}
	if p.Masked() != p {
		return ruleErr("connector", "ipCidrRange", cidr, AnchorConnector, "must be a network address (did you mean %s?)", p.Masked())
	}
	return nil
}

// ValidatePSARange checks the private services access range: /24 or larger
// (docs/gcp-limits.md#private-ip).
func ValidatePSARange(bits int) error {
	if bits > PSAMaxPrefixLength {
		return ruleErr("network", "privateServiceAccessRange", fmt.Sprintf("/%d", bits), AnchorPrivateIP, "must be /%d or larger", PSAMaxPrefixLength)
	}
	return nil
}

// DirectEgressInstanceQuotaRisk reports, for a service on Direct VPC egress
// with maxInstances per revision, whether it exceeds the lowest default
// instance quota (100 per revision and region; some regions give 200):
// the deploy then depends on the region's quota or a raise
// (docs/gcp-limits.md#direct-vpc-egress).
func DirectEgressInstanceQuotaRisk(maxInstances int) error {
	if maxInstances > DirectEgressInstanceQuotaMin {
		return ruleErr("service", "maxInstances", maxInstances, AnchorDirectEgress,
			"exceeds the lowest default Direct VPC egress instance quota (%d per revision and region; %d in some regions); check the region's quota or request a raise",
			DirectEgressInstanceQuotaMin, DirectEgressInstanceQuotaMax)
	}
	return nil
}
