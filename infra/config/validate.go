package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// GCP limits the validation enforces. Each carries its source: a section
// of /work/shared/facts/gcp-capacity.md, or the page it comes from when
// the facts file does not cover it.
const (
	// Serverless VPC Access connector instances: min ≥ 2, max ≤ 10,
	// min < max; defaults 2 and 10 (gcp-capacity.md §3).
	connectorMinInstances     = 2
	connectorMaxInstances     = 10
	connectorDefaultMin       = 2
	connectorDefaultMax       = 10
	connectorDefaultMachine   = "e2-micro" // [tf-doc] default, §3
	connectorPrefixBits       = 28         // "/28", §3
	connectorNameMaxLen       = 25         // [tf-doc] "max 25 characters", §3
	pgMinMaxConnections       = 14         // max_connections flag minimum, §1.1
	psaMaxPrefixBits          = 24         // PSA range "minimum size is a single /24", §6
	retainedBackupsMin        = 1          // §2.3 "1 to 365"
	retainedBackupsMax        = 365        //
	retainedBackupsDefault    = 7          // §2.3 Enterprise default
	logRetentionMin           = 1          // §2.3 1–7 days (1–35 Enterprise Plus)
	logRetentionMax           = 7          //
	logRetentionMaxPlus       = 35         //
	logRetentionDefault       = 7          //
	runConcurrencyDefault     = 80         // §5
	runConcurrencyMax         = 1000       // §5
	runCPUMax                 = 8          // §5 "max 8 vCPU"
	probeWindowMaxSeconds     = 240        // §5 failureThreshold × periodSeconds ≤ 240 s
	probeInitialDelayMax      = 240        // §5 initial_delay_seconds max 240
	probePeriodMax            = 240        // §5 period_seconds max 240
	probePeriodDefault        = 10         // §5
	probeTimeoutDefault       = 1          // §5
	probeTimeoutMax           = 3600       // §5
	probeFailureDefault       = 3          // §5
	maintenanceDefaultDay     = 7          // Sunday (Headroom's choice)
	maintenanceDefaultHour    = 3          // 03:00 UTC (Headroom's choice)
	cloudSQLMinDiskGB         = 10         // [tf-doc] settings.disk_size minimum 10 GB (not in gcp-capacity.md)
	cloudSQLQualifiedNameMax  = 98         // gcloud: "project-ID:instance-ID must be 98 characters or less" (not in gcp-capacity.md)
	defaultDatabaseName       = "postgres" // exists on every Cloud SQL for PostgreSQL instance
	defaultDatabaseEdition    = "ENTERPRISE"
	defaultAvailability       = "ZONAL" // [tf-doc] default, §2.1
	defaultStartupConnections = 1
)

// hints says what each key expects, by key pattern (list indexes as [],
// map keys as *). A wrong type and a wrong value produce the same wording:
// "must be an integer ≥ 1, got …".
var hints = map[string]string{
	"environment":                                    "one of staging, production",
	"network.name":                                   "a VPC network name (lowercase letters, digits, hyphens; starts with a letter; ≤ 63 characters)",
	"network.privateServiceAccessRange":              "an IPv4 CIDR range of /24 or larger, e.g. 10.100.0.0/16",
	"network.regions":                                "an object keyed by Google Cloud region",
	"network.regions.*.subnet":                       "an IPv4 CIDR range, e.g. 10.10.0.0/20",
	"network.regions.*.egress":                       "one of connector, direct",
	"network.regions.*.connector.name":               "a connector name (lowercase letters, digits, hyphens; starts with a letter; ≤ 25 characters)",
	"network.regions.*.connector.ipCidrRange":        "an unused IPv4 /28 range, e.g. 10.8.0.0/28",
	"network.regions.*.connector.machineType":        "one of f1-micro, e2-micro, e2-standard-4",
	"network.regions.*.connector.minInstances":       "an integer from 2 to 9",
	"network.regions.*.connector.maxInstances":       "an integer from 3 to 10",
	"network.regions.*.direct.subnet":                "an IPv4 CIDR range, e.g. 10.20.0.0/24",
	"database.name":                                  "a Cloud SQL instance name (lowercase letters, digits, hyphens; starts with a letter)",
	"database.version":                               "a PostgreSQL version such as POSTGRES_15",
	"database.edition":                               "one of ENTERPRISE, ENTERPRISE_PLUS",
	"database.tier":                                  "a Cloud SQL tier such as db-custom-4-16384",
	"database.region":                                "a Google Cloud region such as us-central1",
	"database.availability":                          "one of ZONAL, REGIONAL",
	"database.maxConnections":                        "an integer ≥ 14",
	"database.diskSizeGb":                            "an integer ≥ 10",
	"database.backups.retainedBackups":               "an integer from 1 to 365",
	"database.backups.logRetentionDays":              "an integer from 1 to 7 (35 for ENTERPRISE_PLUS)",
	"database.maintenanceWindow.day":                 "an integer from 1 (Monday) to 7 (Sunday)",
	"database.maintenanceWindow.hour":                "an integer from 0 to 23 (UTC)",
	"database.replicas[].name":                       "a Cloud SQL instance name (lowercase letters, digits, hyphens; starts with a letter)",
	"database.replicas[].region":                     "a Google Cloud region other than the primary's",
	"database.replicas[].tier":                       "a Cloud SQL tier such as db-custom-4-16384",
	"database.replicas[].maxConnections":             "an integer ≥ the primary's maxConnections",
	"database.replicas[].availability":               "one of ZONAL, REGIONAL",
	"workloads[].name":                               "a Cloud Run service name (lowercase letters, digits, hyphens; starts with a letter; ≤ 63 characters)",
	"workloads[].image":                              "a container image reference",
	"workloads[].regions[]":                          "a region listed under headroom:network.regions",
	"workloads[].minInstances":                       "an integer ≥ 0",
	"workloads[].maxInstances":                       "an integer ≥ 1",
	"workloads[].concurrency":                        "an integer from 1 to 1000",
	"workloads[].cpu":                                "a CPU limit such as \"1\", \"2\" or \"1000m\" (at most 8)",
	"workloads[].memory":                             "a memory limit such as \"512Mi\" or \"2Gi\"",
	"workloads[].egressMbpsPerInstance":              "a number > 0",
	"workloads[].db.target":                          "\"primary\" or the name of a replica",
	"workloads[].db.poolSize":                        "an integer ≥ 1",
	"workloads[].db.maxOverflow":                     "an integer ≥ 0",
	"workloads[].db.startupConnections":              "an integer from 0 to poolSize + maxOverflow",
	"workloads[].db.connectTimeoutSeconds":           "a number > 0",
	"workloads[].processes":                          "an integer ≥ 1 (worker processes per instance)",
	"workloads[].db.extraPools":                      "a list of pools [{name, poolSize, maxOverflow, startupConnections}]",
	"workloads[].db.extraPools[].name":               "a pool name unique within the workload (not \"main\")",
	"workloads[].db.extraPools[].poolSize":           "an integer ≥ 1",
	"workloads[].db.extraPools[].maxOverflow":        "an integer ≥ 0",
	"workloads[].db.extraPools[].startupConnections": "an integer from 0 to poolSize + maxOverflow",
	"database.consumers":                             "a list of consumers [{name, connections, target}]",
	"database.consumers[].name":                      "a consumer name (lowercase letters, digits, '-' or '_'; starts with a letter; ≤ 45 characters)",
	"database.consumers[].connections":               "an integer ≥ 1",
	"database.consumers[].target":                    "\"primary\" or the name of a replica",
	"workloads[].startupProbe.initialDelaySeconds":   "an integer from 0 to 240",
	"workloads[].startupProbe.periodSeconds":         "an integer from 1 to 240",
	"workloads[].startupProbe.timeoutSeconds":        "an integer ≥ 1 and < periodSeconds",
	"workloads[].startupProbe.failureThreshold":      "an integer ≥ 1 with failureThreshold × periodSeconds ≤ 240",
	"workloads[].startupProbe.path":                  "an HTTP path starting with /",
	"targets.startupSuccessRate":                     "a number in (0, 1]",
	"targets.connectP99Seconds":                      "a number > 0",
	"targets.connectionUtilization":                  "a number in (0, 1]",
	"assumptions.connectorScaleOutSeconds":           "a number ≥ 0",
	"assumptions.directEgressStartupSeconds":         "a number ≥ 0",
	"assumptions.acceptRatePerSecond":                "a number ≥ 0",
	"assumptions.handshakeSeconds":                   "a number ≥ 0",
	"assumptions.retryInitialSeconds":                "a number ≥ 0",
	"assumptions.retryMaxSeconds":                    "a number ≥ retryInitialSeconds",
	"assumptions.retryMultiplier":                    "a number ≥ 1",
	"assumptions.reservedConnections":                "an integer ≥ 0",
	"assumptions.adminSlackConnections":              "an integer ≥ 0",
	"assumptions.rampSeconds":                        "a number ≥ 0",
	"assumptions.seed":                               "an integer",
	"database.backups.enabled":                       "true or false",
	"database.backups.pointInTimeRecovery":           "true or false",
	"database.deletionProtection":                    "true or false",
	"workloads[].ignoreImageChanges":                 "true or false",
	"workloads[].db.database":                        "a database name",
	"network.regions.*.connector":                    "an object {name, ipCidrRange, machineType, minInstances, maxInstances}",
	"network.regions.*.direct":                       "an object {subnet}",
	"workloads[].regions":                            "a list of regions listed under headroom:network.regions",
	"database.replicas":                              "a list of replicas [{name, region, tier, maxConnections, availability}]",
	"workloads":                                      "a list of workloads",
}

var (
	// RFC 1035 label: Compute Engine resource names (VPC network) and
	// Cloud Run service names ("only letters, numbers and '-'. Must begin
	// with a letter and cannot end with a '-'. Maximum length is 63", the
	// Cloud Run API's own error text; lowercase per RFC 1035).
	rfc1035 = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	// Cloud SQL instance ID: "Composed of lowercase letters, numbers, and
	// hyphens; must start with a letter" (Cloud SQL instance settings page).
	sqlInstanceName = regexp.MustCompile(`^[a-z][-a-z0-9]*$`)
	// Project ID: 6–30 lowercase letters, digits, hyphens; starts with a
	// letter, does not end with a hyphen (Resource Manager docs; not in
	// gcp-capacity.md).
	projectID   = regexp.MustCompile(`^[a-z][-a-z0-9]{4,28}[a-z0-9]$`)
	pgVersion   = regexp.MustCompile(`^POSTGRES_(9_6|[1-9][0-9])$`)
	cpuLimit    = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?|[0-9]+m)$`)
	memoryLimit = regexp.MustCompile(`^[1-9][0-9]*(Mi|Gi|M|G)$`)
)

// connectorMachineKnown asks the capacity model's catalog of Serverless
// VPC Access machine types (gcp-capacity.md §3).
func connectorMachineKnown(name string) bool {
	_, ok := capacity.LookupConnectorMachine(name)
	return ok
}

func errf(p path, format string, args ...any) error {
	return &Error{Key: p.display, Msg: fmt.Sprintf(format, args...)}
}

// bad is the standard "must be <hint>, got <value>" error.
func bad(p path, got any) error {
	h, ok := hints[p.pattern]
	if !ok {
		h = "valid"
	}
	g := fmt.Sprint(got)
	if s, isStr := got.(string); isStr {
		g = strconv.Quote(clip(s))
	}
	if p.secret {
		g = "a secret value"
	}
	return &Error{Key: p.display, Msg: "must be " + h + ", got " + g}
}

func (d *decoder) required(p path) error {
	if d.has(p) {
		return nil
	}
	if h, ok := hints[p.pattern]; ok {
		return errf(p, "required key is missing; expected %s", h)
	}
	return errf(p, "required key is missing")
}

func root(k string) path { return path{display: Namespace + ":" + k, pattern: k} }

func parsePrefix(p path, s string) (netip.Prefix, error) {
	pf, err := netip.ParsePrefix(s)
	if err != nil || !pf.Addr().Is4() {
		return netip.Prefix{}, bad(p, s)
	}
	if pf.Masked() != pf {
		return netip.Prefix{}, errf(p, "must be a network address: %q has host bits set (did you mean %s?)", clip(s), pf.Masked())
	}
	return pf, nil
}

func (d *decoder) validate(s *Stack) error {
	// gcp:project
	pp := path{display: ProjectKey, pattern: ProjectKey}
	if !d.has(pp) || s.Project == "" {
		return errf(pp, "required key is missing; expected the Google Cloud project ID")
	}
	if !projectID.MatchString(s.Project) {
		return errf(pp, "must be a Google Cloud project ID (6–30 lowercase letters, digits, hyphens; starts with a letter), got %q", clip(s.Project))
	}

	env := root("environment")
	if err := d.required(env); err != nil {
		return err
	}
	if s.Environment != string(capacity.EnvStaging) && s.Environment != string(capacity.EnvProduction) {
		return bad(env, s.Environment)
	}
	if err := d.network(s); err != nil {
		return err
	}
	if err := d.database(s); err != nil {
		return err
	}
	if err := d.workloads(s); err != nil {
		return err
	}
	if err := d.targets(s); err != nil {
		return err
	}
	if err := d.assumptions(s); err != nil {
		return err
	}
	if err := d.monitoring(s); err != nil {
		return err
	}
	return d.probeJob(s)
}
