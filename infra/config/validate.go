package config

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// Headroom's own defaults (policy choices, not Google Cloud limits). Every
// Google Cloud limit and rule comes from infra/capacity, which cites
// docs/gcp-limits.md.
const (
	maintenanceDefaultDay     = 7          // Sunday
	maintenanceDefaultHour    = 3          // 03:00 UTC
	defaultDatabaseName       = "postgres" // exists on every Cloud SQL for PostgreSQL instance
	defaultStartupConnections = 1
)

// hints says what each key expects, by key pattern (list indexes as [],
// map keys as *). A wrong type and a wrong value produce the same wording:
// "must be an integer ≥ 1, got …".
var hints = map[string]string{
	"environment":                                    "one of staging, production",
	"network.name":                                   "a VPC network name (lowercase letters, digits, hyphens; starts with a letter; ≤ 63 characters)",
	"network.privateServiceAccessRange":              fmt.Sprintf("an IPv4 CIDR range of /%d or larger, e.g. 10.100.0.0/16", capacity.PSAMaxPrefixLength),
	"network.regions":                                "an object keyed by Google Cloud region",
	"network.regions.*.subnet":                       "an IPv4 CIDR range, e.g. 10.10.0.0/20",
	"network.regions.*.egress":                       "one of connector, direct",
	"network.regions.*.connector.name":               fmt.Sprintf("a connector name (lowercase letters, digits, hyphens; starts with a letter; ≤ %d characters)", capacity.ConnectorNameMaxLength),
	"network.regions.*.connector.ipCidrRange":        fmt.Sprintf("an unused IPv4 /%d range, e.g. 10.8.0.0/%d", capacity.ConnectorPrefixLength, capacity.ConnectorPrefixLength),
	"network.regions.*.connector.machineType":        "one of " + strings.Join(capacity.ConnectorMachineNames(), ", "),
	"network.regions.*.connector.minInstances":       fmt.Sprintf("an integer from %d to %d", capacity.ConnectorMinInstancesFloor, capacity.ConnectorMaxInstancesCeiling-1),
	"network.regions.*.connector.maxInstances":       fmt.Sprintf("an integer from %d to %d", capacity.ConnectorMinInstancesFloor+1, capacity.ConnectorMaxInstancesCeiling),
	"network.regions.*.direct.subnet":                "an IPv4 CIDR range, e.g. 10.20.0.0/24",
	"database.name":                                  "a Cloud SQL instance name (lowercase letters, digits, hyphens; starts with a letter)",
	"database.version":                               "a PostgreSQL version such as POSTGRES_15",
	"database.edition":                               "one of " + capacity.EditionEnterprise + ", " + capacity.EditionEnterprisePlus + " (default: " + capacity.EditionEnterprisePlus + fmt.Sprintf(" from POSTGRES_%d, else ", capacity.EditionPlusDefaultFromMajor) + capacity.EditionEnterprise + ")",
	"database.tier":                                  "a Cloud SQL tier such as db-custom-4-16384",
	"database.region":                                "a Google Cloud region such as us-central1",
	"database.availability":                          "one of " + capacity.AvailabilityZonal + ", " + capacity.AvailabilityRegional,
	"database.maxConnections":                        fmt.Sprintf("an integer from %d to %d", capacity.MaxConnectionsFlagMin, capacity.MaxConnectionsFlagMax),
	"database.diskSizeGb":                            fmt.Sprintf("an integer ≥ %d", capacity.DiskSizeMinGB),
	"database.backups.retainedBackups":               fmt.Sprintf("an integer from %d to %d", capacity.RetainedBackupsDefault, capacity.RetainedBackupsMax),
	"database.backups.logRetentionDays":              fmt.Sprintf("an integer from %d to %d (%d for ENTERPRISE_PLUS)", capacity.LogRetentionDaysMin, capacity.LogRetentionDaysMax, capacity.LogRetentionDaysMaxPlus),
	"database.maintenanceWindow.day":                 fmt.Sprintf("an integer from %d (Monday) to %d (Sunday)", capacity.MaintenanceDayMin, capacity.MaintenanceDayMax),
	"database.maintenanceWindow.hour":                fmt.Sprintf("an integer from 0 to %d (UTC)", capacity.MaintenanceHourMax),
	"database.replicas[].name":                       "a Cloud SQL instance name (lowercase letters, digits, hyphens; starts with a letter)",
	"database.replicas[].region":                     "a Google Cloud region other than the primary's",
	"database.replicas[].tier":                       "a Cloud SQL tier such as db-custom-4-16384",
	"database.replicas[].maxConnections":             "an integer ≥ the primary's maxConnections",
	"database.replicas[].availability":               "one of " + capacity.AvailabilityZonal + ", " + capacity.AvailabilityRegional,
	"workloads[].name":                               "a Cloud Run service name (lowercase letters, digits, hyphens; starts with a letter; ≤ 63 characters)",
	"workloads[].image":                              "a container image reference",
	"workloads[].regions[]":                          "a region listed under headroom:network.regions",
	"workloads[].minInstances":                       "an integer ≥ 0",
	"workloads[].maxInstances":                       "an integer ≥ 1",
	"workloads[].concurrency":                        fmt.Sprintf("an integer from %d to %d (default %d)", capacity.ConcurrencyMin, capacity.ConcurrencyMax, capacity.ConcurrencyDefault),
	"workloads[].cpu":                                fmt.Sprintf("a CPU limit such as \"1\", \"2\" or \"1000m\" (at most %d)", capacity.CloudRunMaxCPU),
	"workloads[].memory":                             "a memory limit such as \"512Mi\" or \"2Gi\"",
	"workloads[].egressMbpsPerInstance":              "a number > 0",
	"workloads[].db.target":                          "\"primary\" or the name of a replica",
	"workloads[].db.poolSize":                        "an integer ≥ 1",
	"workloads[].db.maxOverflow":                     "an integer ≥ 0",
	"workloads[].db.startupConnections":              "an integer from 0 to poolSize + maxOverflow",
	"workloads[].db.connectTimeoutSeconds":           "a decimal number of seconds > 0",
	"workloads[].processes":                          "an integer ≥ 1 (worker processes per instance)",
	"workloads[].db.extraPools":                      "a list of pools [{name, poolSize, maxOverflow, startupConnections}]",
	"workloads[].db.extraPools[].name":               "a pool name unique within the workload (not \"main\")",
	"workloads[].db.extraPools[].poolSize":           "an integer ≥ 1",
	"workloads[].db.extraPools[].maxOverflow":        "an integer ≥ 0",
	"workloads[].db.extraPools[].startupConnections": "an integer from 0 to poolSize + maxOverflow",
	"database.consumers":                             "a list of consumers [{name, connections, target}]",
	"consumerStacks":                                 "a list of fully-qualified stack names [\"org/project/stack\"]",
	"consumerStacks[]":                               "a fully-qualified stack name \"org/project/stack\"",
	"database.consumers[].name":                      "a consumer name (lowercase letters, digits, '-' or '_'; starts with a letter; ≤ 45 characters)",
	"database.consumers[].connections":               "an integer ≥ 1",
	"database.consumers[].target":                    "\"primary\" or the name of a replica",
	"workloads[].startupProbe.initialDelaySeconds":   fmt.Sprintf("an integer from 0 to %d", capacity.StartupProbeMaxInitialDelaySeconds),
	"workloads[].startupProbe.periodSeconds":         fmt.Sprintf("an integer from %d to %d", capacity.StartupProbeMinPeriodSeconds, capacity.StartupProbeMaxPeriodSeconds),
	"workloads[].startupProbe.timeoutSeconds":        fmt.Sprintf("an integer from %d to %d and ≤ periodSeconds", capacity.StartupProbeMinTimeoutSeconds, capacity.StartupProbeMaxTimeoutSeconds),
	"workloads[].startupProbe.failureThreshold":      fmt.Sprintf("an integer ≥ %d with initialDelaySeconds + periodSeconds × failureThreshold ≤ %d", capacity.StartupProbeMinFailureThreshold, capacity.StartupProbeMaxWindowSeconds),
	"workloads[].startupProbe.path":                  "an HTTP path starting with /",
	"workloads[].deploy.style":                       "one of latest, candidate (default latest)",
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
	"workloads[].env":                                "an object of plain environment variables (name: value; no DB_* names, no credentials)",
	"workloads[].env.*":                              "a string",
	"workloads[].secrets":                            "an object of environment variables read from Secret Manager (name: {secret, version})",
	"workloads[].secrets.*":                          "an object {secret, version}",
	"workloads[].secrets.*.secret":                   "a Secret Manager secret ID, or projects/<project>/secrets/<id>",
	"workloads[].secrets.*.version":                  "\"latest\" (default) or a version number ≥ 1",
	"workloads[].ingress":                            "one of " + strings.Join(contract.Ingresses, ", ") + " (default internal in production, all in staging)",
	"workloads[].invokers":                           "a list of IAM members granted roles/run.invoker",
	"workloads[].invokers[]":                         "an IAM member such as group:team@example.com, serviceAccount:…, user:…, domain:…, allUsers",
	"workloads[].public":                             "true or false (true: the service is meant for anyone; required for allUsers in production)",
	"workloads[].command":                            "a list of strings (the container's entrypoint)",
	"workloads[].args":                               "a list of strings (the container's arguments)",
	"workloads[].timeoutSeconds":                     fmt.Sprintf("an integer from %d to %d (request timeout; 0 or unset: Cloud Run default %d)", capacity.RequestTimeoutMinSeconds, capacity.RequestTimeoutMaxSeconds, capacity.RequestTimeoutDefaultSeconds),
	"workloads[].cpuAllocation":                      "one of request, always (default request: CPU only while serving requests)",
	"workloads[].executionEnvironment":               "one of gen1, gen2 (default: Cloud Run's choice)",
	"workloads[].livenessProbe":                      "an object {path, initialDelaySeconds, periodSeconds, timeoutSeconds, failureThreshold}",
	"workloads[].livenessProbe.path":                 "an HTTP path starting with /",
	"workloads[].livenessProbe.initialDelaySeconds":  fmt.Sprintf("an integer from 0 to %d", capacity.LivenessProbeMaxInitialDelaySeconds),
	"workloads[].livenessProbe.periodSeconds":        fmt.Sprintf("an integer from 1 to %d", capacity.LivenessProbeMaxPeriodSeconds),
	"workloads[].livenessProbe.timeoutSeconds":       fmt.Sprintf("an integer from 1 to %d and ≤ periodSeconds", capacity.LivenessProbeMaxTimeoutSeconds),
	"workloads[].livenessProbe.failureThreshold":     "an integer ≥ 1",
	"workloads[].serviceAccountRoles":                "a list of IAM roles for the workload's service account",
	"workloads[].serviceAccountRoles[]":              "an IAM role such as roles/pubsub.publisher or projects/<project>/roles/<id>",
	"workloads[].labels":                             "an object of labels (key: value) for the Cloud Run services",
	"workloads[].labels.*":                           "a label value (lowercase letters, digits, '_', '-'; ≤ 63 characters)",
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
	// letter, does not end with a hyphen (Resource Manager docs,
	// https://cloud.google.com/resource-manager/docs/creating-managing-projects).
	projectID   = regexp.MustCompile(`^[a-z][-a-z0-9]{4,28}[a-z0-9]$`)
	pgVersion   = regexp.MustCompile(`^POSTGRES_(9_6|[1-9][0-9])$`)
	cpuLimit    = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?|[0-9]+m)$`)
	memoryLimit = regexp.MustCompile(`^[1-9][0-9]*(Mi|Gi|M|G)$`)
)

// ruleErr reports a broken capacity rule at the key of base the rule is
// about (base.Field), in the rule's own words, so the stack config and the
// policy pack give the same reason. Other errors are reported at base.
func ruleErr(base path, err error) error {
	var re *capacity.RuleError
	if errors.As(err, &re) {
		p := base
		if re.Field != "" {
			p = base.field(re.Field)
		}
		return errf(p, "%s (%s)", re.Reason(), re.Source())
	}
	return errf(base, "%s", oneLine(err.Error()))
}

// The targets' and assumptions' hints are their contract bounds.
func init() {
	for sec, bounds := range map[string][]contract.Bound{"targets": contract.Targets(), "assumptions": contract.Assumptions()} {
		for _, b := range bounds {
			hints[sec+"."+b.Key] = b.Want()
		}
	}
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
	if err := d.probeJob(s); err != nil {
		return err
	}
	return consumerStacks(s)
}

// consumerStacks checks headroom:consumerStacks: fully-qualified stack
// names, each once.
func consumerStacks(s *Stack) error {
	p := root("consumerStacks")
	seen := map[string]bool{}
	for i, name := range s.ConsumerStacks {
		if _, _, _, err := contract.SplitStackName(name); err != nil {
			return bad(p.index(i), name)
		}
		if seen[name] {
			return errf(p.index(i), "%q is listed twice", clip(name))
		}
		seen[name] = true
	}
	return nil
}
