package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

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
	"environment":                                  "one of staging, production",
	"network.name":                                 "a VPC network name (lowercase letters, digits, hyphens; starts with a letter; ≤ 63 characters)",
	"network.privateServiceAccessRange":            "an IPv4 CIDR range of /24 or larger, e.g. 10.100.0.0/16",
	"network.regions":                              "an object keyed by Google Cloud region",
	"network.regions.*.subnet":                     "an IPv4 CIDR range, e.g. 10.10.0.0/20",
	"network.regions.*.egress":                     "one of connector, direct",
	"network.regions.*.connector.name":             "a connector name (lowercase letters, digits, hyphens; starts with a letter; ≤ 25 characters)",
	"network.regions.*.connector.ipCidrRange":      "an unused IPv4 /28 range, e.g. 10.8.0.0/28",
	"network.regions.*.connector.machineType":      "one of f1-micro, e2-micro, e2-standard-4",
	"network.regions.*.connector.minInstances":     "an integer from 2 to 9",
	"network.regions.*.connector.maxInstances":     "an integer from 3 to 10",
	"network.regions.*.direct.subnet":              "an IPv4 CIDR range, e.g. 10.20.0.0/24",
	"database.name":                                "a Cloud SQL instance name (lowercase letters, digits, hyphens; starts with a letter)",
	"database.version":                             "a PostgreSQL version such as POSTGRES_15",
	"database.edition":                             "one of ENTERPRISE, ENTERPRISE_PLUS",
	"database.tier":                                "a Cloud SQL tier such as db-custom-4-16384",
	"database.region":                              "a Google Cloud region such as us-central1",
	"database.availability":                        "one of ZONAL, REGIONAL",
	"database.maxConnections":                      "an integer ≥ 14",
	"database.diskSizeGb":                          "an integer ≥ 10",
	"database.backups.retainedBackups":             "an integer from 1 to 365",
	"database.backups.logRetentionDays":            "an integer from 1 to 7 (35 for ENTERPRISE_PLUS)",
	"database.maintenanceWindow.day":               "an integer from 1 (Monday) to 7 (Sunday)",
	"database.maintenanceWindow.hour":              "an integer from 0 to 23 (UTC)",
	"database.replicas[].name":                     "a Cloud SQL instance name (lowercase letters, digits, hyphens; starts with a letter)",
	"database.replicas[].region":                   "a Google Cloud region other than the primary's",
	"database.replicas[].tier":                     "a Cloud SQL tier such as db-custom-4-16384",
	"database.replicas[].maxConnections":           "an integer ≥ the primary's maxConnections",
	"database.replicas[].availability":             "one of ZONAL, REGIONAL",
	"workloads[].name":                             "a Cloud Run service name (lowercase letters, digits, hyphens; starts with a letter; ≤ 63 characters)",
	"workloads[].image":                            "a container image reference",
	"workloads[].regions[]":                        "a region listed under headroom:network.regions",
	"workloads[].minInstances":                     "an integer ≥ 0",
	"workloads[].maxInstances":                     "an integer ≥ 1",
	"workloads[].concurrency":                      "an integer from 1 to 1000",
	"workloads[].cpu":                              "a CPU limit such as \"1\", \"2\" or \"1000m\" (at most 8)",
	"workloads[].memory":                           "a memory limit such as \"512Mi\" or \"2Gi\"",
	"workloads[].egressMbpsPerInstance":            "a number > 0",
	"workloads[].db.target":                        "\"primary\" or the name of a replica",
	"workloads[].db.poolSize":                      "an integer ≥ 1",
	"workloads[].db.maxOverflow":                   "an integer ≥ 0",
	"workloads[].db.startupConnections":            "an integer from 0 to poolSize + maxOverflow",
	"workloads[].db.connectTimeoutSeconds":         "a number > 0",
	"workloads[].startupProbe.initialDelaySeconds": "an integer from 0 to 240",
	"workloads[].startupProbe.periodSeconds":       "an integer from 1 to 240",
	"workloads[].startupProbe.timeoutSeconds":      "an integer ≥ 1 and < periodSeconds",
	"workloads[].startupProbe.failureThreshold":    "an integer ≥ 1 with failureThreshold × periodSeconds ≤ 240",
	"workloads[].startupProbe.path":                "an HTTP path starting with /",
	"targets.startupSuccessRate":                   "a number in (0, 1]",
	"targets.connectP99Seconds":                    "a number > 0",
	"targets.connectionUtilization":                "a number in (0, 1]",
	"assumptions.connectorScaleOutSeconds":         "a number ≥ 0",
	"assumptions.directEgressStartupSeconds":       "a number ≥ 0",
	"assumptions.acceptRatePerSecond":              "a number ≥ 0",
	"assumptions.handshakeSeconds":                 "a number ≥ 0",
	"assumptions.retryInitialSeconds":              "a number ≥ 0",
	"assumptions.retryMaxSeconds":                  "a number ≥ retryInitialSeconds",
	"assumptions.retryMultiplier":                  "a number ≥ 1",
	"assumptions.reservedConnections":              "an integer ≥ 0",
	"assumptions.adminSlackConnections":            "an integer ≥ 0",
	"assumptions.rampSeconds":                      "a number ≥ 0",
	"assumptions.seed":                             "an integer",
	"database.backups.enabled":                     "true or false",
	"database.backups.pointInTimeRecovery":         "true or false",
	"database.deletionProtection":                  "true or false",
	"workloads[].ignoreImageChanges":               "true or false",
	"workloads[].db.database":                      "a database name",
	"network.regions.*.connector":                  "an object {name, ipCidrRange, machineType, minInstances, maxInstances}",
	"network.regions.*.direct":                     "an object {subnet}",
	"workloads[].regions":                          "a list of regions listed under headroom:network.regions",
	"database.replicas":                            "a list of replicas [{name, region, tier, maxConnections, availability}]",
	"workloads":                                    "a list of workloads",
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
	return d.monitoring(s)
}

type namedPrefix struct {
	p  path
	pf netip.Prefix
}

func (d *decoder) network(s *Stack) error {
	np := root("network")
	if err := d.required(np); err != nil {
		return err
	}
	n := &s.Network
	if p := np.field("name"); !d.has(p) {
		return d.required(p)
	} else if len(n.Name) > 63 || !rfc1035.MatchString(n.Name) {
		return bad(p, n.Name)
	}
	var prefixes []namedPrefix
	psa := np.field("privateServiceAccessRange")
	if err := d.required(psa); err != nil {
		return err
	}
	pf, err := parsePrefix(psa, n.PrivateServiceAccessRange)
	if err != nil {
		return err
	}
	if pf.Bits() > psaMaxPrefixBits {
		return errf(psa, "must be /%d or larger (Cloud SQL private services access minimum, gcp-capacity.md §6), got /%d", psaMaxPrefixBits, pf.Bits())
	}
	prefixes = append(prefixes, namedPrefix{psa, pf})

	rp := np.field("regions")
	if err := d.required(rp); err != nil {
		return err
	}
	if len(n.Regions) == 0 {
		return errf(rp, "must list at least one region")
	}
	for _, name := range s.SortedRegions() {
		p := rp.key(name)
		if !KnownRegion(name) {
			return errf(p, "unknown region %q; expected a Google Cloud region such as us-central1 (list in docs/config-reference.md)", clip(name))
		}
		r := n.Regions[name]
		sp := p.field("subnet")
		if err := d.required(sp); err != nil {
			return err
		}
		spf, err := parsePrefix(sp, r.Subnet)
		if err != nil {
			return err
		}
		prefixes = append(prefixes, namedPrefix{sp, spf})

		ep := p.field("egress")
		if err := d.required(ep); err != nil {
			return err
		}
		switch capacity.EgressKind(r.Egress) {
		case capacity.EgressConnector:
			if r.Direct != nil {
				return errf(p.field("direct"), "must be absent when egress is connector (use connector:)")
			}
			if r.Connector == nil {
				return errf(p.field("connector"), "required when egress is connector; expected %s", hints[p.field("connector").pattern])
			}
			cpf, err := d.connector(p.field("connector"), r.Connector)
			if err != nil {
				return err
			}
			prefixes = append(prefixes, namedPrefix{p.field("connector").field("ipCidrRange"), cpf})
		case capacity.EgressDirect:
			if r.Connector != nil {
				return errf(p.field("connector"), "must be absent when egress is direct (use direct:)")
			}
			if r.Direct == nil {
				return errf(p.field("direct"), "required when egress is direct; expected %s", hints[p.field("direct").pattern])
			}
			dp := p.field("direct").field("subnet")
			if err := d.required(dp); err != nil {
				return err
			}
			dpf, err := parsePrefix(dp, r.Direct.Subnet)
			if err != nil {
				return err
			}
			prefixes = append(prefixes, namedPrefix{dp, dpf})
		default:
			return bad(ep, r.Egress)
		}
		n.Regions[name] = r
	}
	// No two ranges may overlap: the connector range must be unused
	// (§3), subnets of one VPC cannot overlap, and the PSA range is
	// reserved for the service producer (§6).
	for i := range prefixes {
		for j := 0; j < i; j++ {
			if prefixes[i].pf.Overlaps(prefixes[j].pf) {
				return errf(prefixes[i].p, "%s overlaps %s (%s)", prefixes[i].pf, prefixes[j].p.display, prefixes[j].pf)
			}
		}
	}
	return nil
}

func (d *decoder) connector(p path, c *Connector) (netip.Prefix, error) {
	np := p.field("name")
	if err := d.required(np); err != nil {
		return netip.Prefix{}, err
	}
	if len(c.Name) > connectorNameMaxLen || !rfc1035.MatchString(c.Name) {
		return netip.Prefix{}, bad(np, c.Name)
	}
	ip := p.field("ipCidrRange")
	if err := d.required(ip); err != nil {
		return netip.Prefix{}, err
	}
	pf, err := parsePrefix(ip, c.IPCIDRRange)
	if err != nil {
		return netip.Prefix{}, err
	}
	if pf.Bits() != connectorPrefixBits {
		return netip.Prefix{}, errf(ip, "must be a /28 range (Serverless VPC Access, gcp-capacity.md §3), got /%d", pf.Bits())
	}
	mp := p.field("machineType")
	if !d.has(mp) {
		c.MachineType = connectorDefaultMachine
	}
	if !connectorMachineKnown(c.MachineType) {
		return netip.Prefix{}, bad(mp, c.MachineType)
	}
	minP, maxP := p.field("minInstances"), p.field("maxInstances")
	if !d.has(minP) {
		c.MinInstances = connectorDefaultMin
	}
	if !d.has(maxP) {
		c.MaxInstances = connectorDefaultMax
	}
	if c.MinInstances < connectorMinInstances || c.MinInstances > connectorMaxInstances-1 {
		return netip.Prefix{}, bad(minP, c.MinInstances)
	}
	if c.MaxInstances < connectorMinInstances+1 || c.MaxInstances > connectorMaxInstances {
		return netip.Prefix{}, bad(maxP, c.MaxInstances)
	}
	if c.MaxInstances <= c.MinInstances {
		return netip.Prefix{}, errf(maxP, "must be greater than minInstances (%d), got %d (gcp-capacity.md §3)", c.MinInstances, c.MaxInstances)
	}
	return pf, nil
}

func (d *decoder) instanceName(p path, project, name string) error {
	if err := d.required(p); err != nil {
		return err
	}
	if !sqlInstanceName.MatchString(name) {
		return bad(p, name)
	}
	if len(project)+1+len(name) > cloudSQLQualifiedNameMax {
		return errf(p, "is too long: %q:%q exceeds Cloud SQL's %d characters for project-ID:instance-ID", project, name, cloudSQLQualifiedNameMax)
	}
	return nil
}

func (d *decoder) tier(p path, tier, edition string) error {
	if _, err := capacity.ParseTier(tier); err != nil {
		return errf(p, "must be a valid Cloud SQL tier (gcp-capacity.md §1.2): %s", oneLine(err.Error()))
	}
	if err := capacity.CheckTierEdition(tier, edition); err != nil {
		return errf(p, "must be a tier of edition %s (gcp-capacity.md §1.2): %s", edition, oneLine(err.Error()))
	}
	return nil
}

func (d *decoder) database(s *Stack) error {
	dp := root("database")
	if err := d.required(dp); err != nil {
		return err
	}
	db := &s.Database
	if err := d.instanceName(dp.field("name"), s.Project, db.Name); err != nil {
		return err
	}
	vp := dp.field("version")
	if err := d.required(vp); err != nil {
		return err
	}
	if !pgVersion.MatchString(db.Version) {
		return bad(vp, db.Version)
	}
	edp := dp.field("edition")
	if !d.has(edp) {
		db.Edition = defaultDatabaseEdition
	}
	if db.Edition != "ENTERPRISE" && db.Edition != "ENTERPRISE_PLUS" {
		return bad(edp, db.Edition)
	}
	if err := d.required(dp.field("tier")); err != nil {
		return err
	}
	if err := d.tier(dp.field("tier"), db.Tier, db.Edition); err != nil {
		return err
	}
	rp := dp.field("region")
	if err := d.required(rp); err != nil {
		return err
	}
	if !KnownRegion(db.Region) {
		return errf(rp, "unknown region %q; expected a Google Cloud region such as us-central1 (list in docs/config-reference.md)", clip(db.Region))
	}
	ap := dp.field("availability")
	if !d.has(ap) {
		db.Availability = defaultAvailability
	}
	if db.Availability != "ZONAL" && db.Availability != "REGIONAL" {
		return bad(ap, db.Availability)
	}
	mp := dp.field("maxConnections")
	if err := d.required(mp); err != nil {
		return err
	}
	if db.MaxConnections < pgMinMaxConnections {
		return bad(mp, db.MaxConnections)
	}
	if p := dp.field("diskSizeGb"); db.DiskSizeGb != 0 && db.DiskSizeGb < cloudSQLMinDiskGB {
		return bad(p, db.DiskSizeGb)
	}
	if !d.has(dp.field("deletionProtection")) {
		t := true
		db.DeletionProtection = &t
	}

	// Backups (gcp-capacity.md §2.3): on, with PITR, by default.
	bp := dp.field("backups")
	b := &db.Backups
	if !d.has(bp.field("enabled")) {
		b.Enabled = true
	}
	if !d.has(bp.field("pointInTimeRecovery")) {
		b.PointInTimeRecovery = b.Enabled
	}
	if b.PointInTimeRecovery && !b.Enabled {
		return errf(bp.field("pointInTimeRecovery"), "requires backups.enabled: true")
	}
	if p := bp.field("retainedBackups"); !d.has(p) {
		b.RetainedBackups = retainedBackupsDefault
	} else if b.RetainedBackups < retainedBackupsMin || b.RetainedBackups > retainedBackupsMax {
		return bad(p, b.RetainedBackups)
	}
	maxLog := logRetentionMax
	if db.Edition == "ENTERPRISE_PLUS" {
		maxLog = logRetentionMaxPlus
	}
	if p := bp.field("logRetentionDays"); !d.has(p) {
		b.LogRetentionDays = logRetentionDefault
	} else if b.LogRetentionDays < logRetentionMin || b.LogRetentionDays > maxLog {
		return bad(p, b.LogRetentionDays)
	}
	// HA for PostgreSQL requires backups and PITR ([tf-doc], §2.1).
	if db.Availability == "REGIONAL" && (!b.Enabled || !b.PointInTimeRecovery) {
		return errf(ap, "REGIONAL (HA) requires backups.enabled and backups.pointInTimeRecovery (gcp-capacity.md §2.1)")
	}

	// Maintenance window (§2.4): day 1–7 (Monday = 1), hour 0–23 UTC.
	wp := dp.field("maintenanceWindow")
	if p := wp.field("day"); !d.has(p) {
		db.MaintenanceWindow.Day = maintenanceDefaultDay
	} else if db.MaintenanceWindow.Day < 1 || db.MaintenanceWindow.Day > 7 {
		return bad(p, db.MaintenanceWindow.Day)
	}
	if p := wp.field("hour"); !d.has(p) {
		db.MaintenanceWindow.Hour = maintenanceDefaultHour
	} else if db.MaintenanceWindow.Hour < 0 || db.MaintenanceWindow.Hour > 23 {
		return bad(p, db.MaintenanceWindow.Hour)
	}

	names := map[string]string{db.Name: dp.field("name").display}
	for i := range db.Replicas {
		r := &db.Replicas[i]
		p := dp.field("replicas").index(i)
		if !d.has(p) {
			return errf(p, "must be an object {name, region, tier, maxConnections, availability}, got null")
		}
		if err := d.instanceName(p.field("name"), s.Project, r.Name); err != nil {
			return err
		}
		if other, dup := names[r.Name]; dup {
			return errf(p.field("name"), "%q is already used by %s; instance names are unique per project", r.Name, other)
		}
		names[r.Name] = p.field("name").display
		if r.Name == PrimaryTarget {
			return errf(p.field("name"), "must not be %q (reserved for db.target)", PrimaryTarget)
		}
		rgp := p.field("region")
		if err := d.required(rgp); err != nil {
			return err
		}
		if !KnownRegion(r.Region) {
			return errf(rgp, "unknown region %q; expected a Google Cloud region such as us-east1 (list in docs/config-reference.md)", clip(r.Region))
		}
		if r.Region == db.Region {
			return errf(rgp, "must differ from the primary's region (%s): replicas are cross-region (use availability: REGIONAL for in-region HA)", db.Region)
		}
		if !d.has(p.field("tier")) {
			r.Tier = db.Tier
		}
		if err := d.tier(p.field("tier"), r.Tier, db.Edition); err != nil {
			return err
		}
		mcp := p.field("maxConnections")
		if !d.has(mcp) {
			r.MaxConnections = db.MaxConnections
		}
		// PostgreSQL refuses to run a hot standby whose max_connections is
		// lower than the primary's.
		if r.MaxConnections < db.MaxConnections {
			return errf(mcp, "must be ≥ the primary's maxConnections (%d), got %d: PostgreSQL will not run a hot standby with a lower max_connections", db.MaxConnections, r.MaxConnections)
		}
		avp := p.field("availability")
		if !d.has(avp) {
			r.Availability = defaultAvailability
		}
		if r.Availability != "ZONAL" && r.Availability != "REGIONAL" {
			return bad(avp, r.Availability)
		}
	}
	return nil
}

func (d *decoder) workloads(s *Stack) error {
	wp := root("workloads")
	if err := d.required(wp); err != nil {
		return err
	}
	if len(s.Workloads) == 0 {
		return errf(wp, "must list at least one workload")
	}
	seen := map[string]int{}
	for i := range s.Workloads {
		w := &s.Workloads[i]
		p := wp.index(i)
		if !d.has(p) {
			return errf(p, "must be an object describing a workload, got null")
		}
		np := p.field("name")
		if err := d.required(np); err != nil {
			return err
		}
		if len(w.Name) > 63 || !rfc1035.MatchString(w.Name) {
			return bad(np, w.Name)
		}
		if j, dup := seen[w.Name]; dup {
			return errf(np, "%q is already the name of headroom:workloads[%d]; workload names are unique", w.Name, j)
		}
		seen[w.Name] = i
		ip := p.field("image")
		if err := d.required(ip); err != nil {
			return err
		}
		if w.Image == "" || strings.ContainsAny(w.Image, " \t\r\n") {
			return bad(ip, w.Image)
		}
		rp := p.field("regions")
		if err := d.required(rp); err != nil {
			return err
		}
		if len(w.Regions) == 0 {
			return errf(rp, "must list at least one region")
		}
		for j, r := range w.Regions {
			ep := rp.index(j)
			if !KnownRegion(r) {
				return errf(ep, "unknown region %q; expected a Google Cloud region such as us-central1 (list in docs/config-reference.md)", clip(r))
			}
			if _, ok := s.Network.Regions[r]; !ok {
				return errf(ep, "region %s has no network region: add headroom:network.regions.%s (subnet and egress)", r, r)
			}
			if slices.Contains(w.Regions[:j], r) {
				return errf(ep, "region %s is listed twice", r)
			}
		}
		minP, maxP := p.field("minInstances"), p.field("maxInstances")
		if w.MinInstances < 0 {
			return bad(minP, w.MinInstances)
		}
		if err := d.required(maxP); err != nil {
			return err
		}
		if w.MaxInstances < 1 {
			return bad(maxP, w.MaxInstances)
		}
		if w.MinInstances > w.MaxInstances {
			return errf(minP, "must be ≤ maxInstances (%d), got %d", w.MaxInstances, w.MinInstances)
		}
		if p := p.field("concurrency"); !d.has(p) {
			w.Concurrency = runConcurrencyDefault
		} else if w.Concurrency < 1 || w.Concurrency > runConcurrencyMax {
			return bad(p, w.Concurrency)
		}
		if p := p.field("cpu"); w.CPU != "" {
			if !validCPU(w.CPU) {
				return bad(p, w.CPU)
			}
		}
		if p := p.field("memory"); w.Memory != "" && !memoryLimit.MatchString(w.Memory) {
			return bad(p, w.Memory)
		}
		ep := p.field("egressMbpsPerInstance")
		if err := d.required(ep); err != nil {
			return err
		}
		if !(w.EgressMbpsPerInstance > 0) {
			return bad(ep, w.EgressMbpsPerInstance)
		}
		if err := d.workloadDB(s, p.field("db"), &w.DB); err != nil {
			return err
		}
		if err := d.probe(p.field("startupProbe"), &w.StartupProbe); err != nil {
			return err
		}
	}
	return nil
}

func validCPU(s string) bool {
	if !cpuLimit.MatchString(s) {
		return false
	}
	var v float64
	if m, ok := strings.CutSuffix(s, "m"); ok {
		n, err := strconv.ParseFloat(m, 64)
		if err != nil {
			return false
		}
		v = n / 1000
	} else {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return false
		}
		v = n
	}
	return v > 0 && v <= runCPUMax
}

func (d *decoder) workloadDB(s *Stack, p path, db *WorkloadDB) error {
	if err := d.required(p); err != nil {
		return err
	}
	tp := p.field("target")
	if !d.has(tp) {
		db.Target = PrimaryTarget
	}
	if db.Target != PrimaryTarget {
		if _, ok := s.Replica(db.Target); !ok {
			names := []string{}
			for _, r := range s.Database.Replicas {
				names = append(names, r.Name)
			}
			expected := `"primary"`
			if len(names) > 0 {
				expected += " or a replica: " + strings.Join(names, ", ")
			} else {
				expected += " (headroom:database.replicas is empty)"
			}
			return errf(tp, "names no replica: got %q, expected %s", clip(db.Target), expected)
		}
	}
	if dp := p.field("database"); !d.has(dp) {
		db.Database = defaultDatabaseName
	} else if db.Database == "" {
		return bad(dp, db.Database)
	}
	pp := p.field("poolSize")
	if err := d.required(pp); err != nil {
		return err
	}
	if db.PoolSize < 1 {
		return bad(pp, db.PoolSize)
	}
	if op := p.field("maxOverflow"); db.MaxOverflow < 0 {
		return bad(op, db.MaxOverflow)
	}
	sp := p.field("startupConnections")
	if !d.has(sp) {
		db.StartupConnections = min(defaultStartupConnections, db.PoolSize+db.MaxOverflow)
	}
	if db.StartupConnections < 0 {
		return bad(sp, db.StartupConnections)
	}
	if db.StartupConnections > db.PoolSize+db.MaxOverflow {
		return errf(sp, "must be ≤ poolSize + maxOverflow (%d), got %d", db.PoolSize+db.MaxOverflow, db.StartupConnections)
	}
	cp := p.field("connectTimeoutSeconds")
	if err := d.required(cp); err != nil {
		return err
	}
	if !(db.ConnectTimeoutSeconds > 0) {
		return bad(cp, db.ConnectTimeoutSeconds)
	}
	return nil
}

// probe applies the Cloud Run startup-probe defaults and limits
// (gcp-capacity.md §5).
func (d *decoder) probe(p path, pr *StartupProbe) error {
	if ip := p.field("initialDelaySeconds"); pr.InitialDelaySeconds < 0 || pr.InitialDelaySeconds > probeInitialDelayMax {
		return bad(ip, pr.InitialDelaySeconds)
	}
	pp := p.field("periodSeconds")
	if !d.has(pp) {
		pr.PeriodSeconds = probePeriodDefault
	} else if pr.PeriodSeconds < 1 || pr.PeriodSeconds > probePeriodMax {
		return bad(pp, pr.PeriodSeconds)
	}
	tp := p.field("timeoutSeconds")
	if !d.has(tp) {
		pr.TimeoutSeconds = min(probeTimeoutDefault, pr.PeriodSeconds)
	} else if pr.TimeoutSeconds < 1 || pr.TimeoutSeconds > probeTimeoutMax {
		return bad(tp, pr.TimeoutSeconds)
	}
	// timeout < period ([tf-doc], §5); a 1 s period cannot satisfy it with
	// the 1 s minimum timeout, so it is exempt rather than unusable.
	if pr.TimeoutSeconds >= pr.PeriodSeconds && pr.PeriodSeconds > 1 {
		return errf(tp, "must be < periodSeconds (%d), got %d (gcp-capacity.md §5)", pr.PeriodSeconds, pr.TimeoutSeconds)
	}
	fp := p.field("failureThreshold")
	if !d.has(fp) {
		pr.FailureThreshold = probeFailureDefault
	} else if pr.FailureThreshold < 1 {
		return bad(fp, pr.FailureThreshold)
	}
	if w := pr.FailureThreshold * pr.PeriodSeconds; w > probeWindowMaxSeconds {
		return errf(fp, "failureThreshold × periodSeconds = %d × %d = %d s exceeds Cloud Run's %d s startup-probe window (gcp-capacity.md §5)",
			pr.FailureThreshold, pr.PeriodSeconds, w, probeWindowMaxSeconds)
	}
	if hp := p.field("path"); pr.Path != "" && !strings.HasPrefix(pr.Path, "/") {
		return bad(hp, pr.Path)
	}
	return nil
}

func (d *decoder) targets(s *Stack) error {
	tp := root("targets")
	t := s.Targets
	if p := tp.field("startupSuccessRate"); d.has(p) && !(t.StartupSuccessRate > 0 && t.StartupSuccessRate <= 1) {
		return bad(p, t.StartupSuccessRate)
	}
	if p := tp.field("connectP99Seconds"); d.has(p) && !(t.ConnectP99Seconds > 0) {
		return bad(p, t.ConnectP99Seconds)
	}
	if p := tp.field("connectionUtilization"); d.has(p) && !(t.ConnectionUtilization > 0 && t.ConnectionUtilization <= 1) {
		return bad(p, t.ConnectionUtilization)
	}
	return nil
}

func (d *decoder) assumptions(s *Stack) error {
	ap := root("assumptions")
	a := s.Assumptions
	nonNeg := []struct {
		name string
		v    float64
	}{
		{"connectorScaleOutSeconds", a.ConnectorScaleOutSeconds},
		{"directEgressStartupSeconds", a.DirectEgressStartupSeconds},
		{"acceptRatePerSecond", a.AcceptRatePerSecond},
		{"handshakeSeconds", a.HandshakeSeconds},
		{"retryInitialSeconds", a.RetryInitialSeconds},
		{"retryMaxSeconds", a.RetryMaxSeconds},
		{"reservedConnections", float64(a.ReservedConnections)},
		{"adminSlackConnections", float64(a.AdminSlackConnections)},
		{"rampSeconds", a.RampSeconds},
	}
	for _, f := range nonNeg {
		if f.v < 0 {
			p := ap.field(f.name)
			if f.name == "reservedConnections" || f.name == "adminSlackConnections" {
				return bad(p, int(f.v))
			}
			return bad(p, f.v)
		}
	}
	if p := ap.field("retryMultiplier"); d.has(p) && a.RetryMultiplier != 0 && a.RetryMultiplier < 1 {
		return bad(p, a.RetryMultiplier)
	}
	if a.RetryMaxSeconds != 0 && a.RetryMaxSeconds < a.RetryInitialSeconds {
		return errf(ap.field("retryMaxSeconds"), "must be ≥ retryInitialSeconds (%g), got %g", a.RetryInitialSeconds, a.RetryMaxSeconds)
	}
	return nil
}
