package pack

import (
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// finding is one verdict of a policy before its enforcement level is applied.
type finding struct {
	msg string
	urn string
	// advisory findings are reported at advisory level whatever the
	// policy's level (unknown values, warnings, non-production leniency).
	advisory bool
	// unknown is set for "cannot verify until known" findings.
	unknown *Unknown
}

// findings collects the verdicts of one policy on one resource or stack.
type findings struct {
	urn string
	out []finding
}

func (f *findings) fail(format string, args ...any) {
	f.out = append(f.out, finding{msg: fmt.Sprintf(format, args...), urn: f.urn})
}

func (f *findings) warn(format string, args ...any) {
	f.out = append(f.out, finding{msg: fmt.Sprintf(format, args...), urn: f.urn, advisory: true})
}

func (f *findings) unknown(r *policyx.AnalyzerResource, path string) {
	u := Unknown{Resource: r.URN, Path: path}
	f.out = append(f.out, finding{msg: u.Message(), urn: r.URN, advisory: true, unknown: &u})
}

// resourceCheck judges one resource of the types its policy lists.
type resourceCheck func(r *policyx.AnalyzerResource, cfg Config, f *findings)

var resourceChecks = map[string]resourceCheck{
	PolicyConnectorBounds:   checkConnectorBounds,
	PolicySQLPrivateIPOnly:  checkSQLPrivateIP,
	PolicySQLSSLRequired:    checkSQLSSL,
	PolicySQLBackupsPITR:    checkSQLBackups,
	PolicySQLDeletionProt:   checkSQLDeletionProtection,
	PolicySQLMaxConnections: checkSQLMaxConnections,
	PolicySQLTierEdition:    checkSQLTierEdition,
	PolicySQLMaintenance:    checkSQLMaintenance,
	PolicySQLCISLogging:     checkSQLCISLogging,
	PolicyRunMaxInstances:   checkRunMaxInstances,
	PolicyRunProbeWindow:    checkRunProbeWindow,
	PolicyRunPoolContract:   checkRunPoolContract,
}

// Serverless VPC Access instance bounds (gcp-capacity.md §3: "Minimum at
// least 2, maximum at most 10, and max > min"; range "/28").
const (
	connectorMinInstances = 2
	connectorMaxInstances = 10
	connectorPrefixLen    = 28
)

func checkConnectorBounds(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	switch mt, st := get(p, "machineType").str(); st {
	case stOK:
		if _, ok := capacity.LookupConnectorMachine(mt); !ok {
			f.fail("connector %s: machineType %q is not a connector machine type; use f1-micro, e2-micro or e2-standard-4", name, mt)
		}
	case stUnknown:
		f.unknown(r, "machineType")
	case stInvalid:
		f.fail("connector %s: machineType is not a string", name)
	}
	minI, minSt := get(p, "minInstances").integer()
	maxI, maxSt := get(p, "maxInstances").integer()
	if minSt == stMissing {
		minI, minSt = connectorMinInstances, stOK
	}
	if maxSt == stMissing {
		maxI, maxSt = connectorMaxInstances, stOK
	}
	for _, x := range []struct {
		path string
		st   status
	}{{"minInstances", minSt}, {"maxInstances", maxSt}} {
		switch x.st {
		case stUnknown:
			f.unknown(r, x.path)
		case stInvalid:
			f.fail("connector %s: %s is not an integer", name, x.path)
		}
	}
	if minSt == stOK && minI < connectorMinInstances {
		f.fail("connector %s: raise minInstances from %d to ≥ %d (Serverless VPC Access minimum)", name, minI, connectorMinInstances)
	}
	if maxSt == stOK && maxI > connectorMaxInstances {
		f.fail("connector %s: lower maxInstances from %d to ≤ %d (Serverless VPC Access maximum)", name, maxI, connectorMaxInstances)
	}
	if minSt == stOK && maxSt == stOK && minI >= maxI {
		f.fail("connector %s: maxInstances (%d) must be greater than minInstances (%d)", name, maxI, minI)
	}
	cidr, cst := get(p, "ipCidrRange").str()
	sub, sst := get(p, "subnet.name").str()
	switch {
	case cst == stUnknown || sst == stUnknown:
		f.unknown(r, "ipCidrRange/subnet")
	case cst == stOK && cidr != "" && sst == stOK && sub != "":
		f.fail("connector %s: set either ipCidrRange or subnet, not both", name)
	case cst == stOK && cidr != "":
		pfx, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil:
			f.fail("connector %s: ipCidrRange %q is not a CIDR range", name, cidr)
		case pfx.Bits() != connectorPrefixLen || !pfx.Addr().Is4():
			f.fail("connector %s: ipCidrRange %s must be an IPv4 /%d", name, cidr, connectorPrefixLen)
		case pfx.Masked() != pfx:
			f.fail("connector %s: ipCidrRange %s is not aligned; use %s", name, cidr, pfx.Masked())
		}
	case sst == stOK && sub != "":
	default:
		f.fail("connector %s: set ipCidrRange to an unused /28 or subnet to a dedicated /28 subnet", name)
	}
}

func checkSQLPrivateIP(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	switch v, st := get(p, "settings.ipConfiguration.ipv4Enabled").boolean(); st {
	case stOK:
		if v {
			f.fail("instance %s: set settings.ipConfiguration.ipv4Enabled to false (no public IPv4)", name)
		}
	case stMissing:
		f.fail("instance %s: set settings.ipConfiguration.ipv4Enabled to false (GCP enables public IPv4 by default)", name)
	case stUnknown:
		f.unknown(r, "settings.ipConfiguration.ipv4Enabled")
	case stInvalid:
		f.fail("instance %s: settings.ipConfiguration.ipv4Enabled is not a boolean", name)
	}
	switch s, st := get(p, "settings.ipConfiguration.privateNetwork").str(); st {
	case stOK:
		if s == "" {
			f.fail("instance %s: set settings.ipConfiguration.privateNetwork to the VPC network", name)
		}
	case stMissing:
		f.fail("instance %s: set settings.ipConfiguration.privateNetwork to the VPC network (private IP)", name)
	case stUnknown:
		f.unknown(r, "settings.ipConfiguration.privateNetwork")
	case stInvalid:
		f.fail("instance %s: settings.ipConfiguration.privateNetwork is not a string", name)
	}
	nets, st := get(p, "settings.ipConfiguration.authorizedNetworks").array()
	if st == stUnknown {
		f.unknown(r, "settings.ipConfiguration.authorizedNetworks")
	}
	for _, n := range nets {
		if n.IsComputed() {
			f.unknown(r, "settings.ipConfiguration.authorizedNetworks[]")
			continue
		}
		if !n.IsMap() {
			continue
		}
		switch v, st := get(n.AsMap(), "value").str(); st {
		case stOK:
			if pfx, err := netip.ParsePrefix(v); (err == nil && pfx.Bits() == 0) || v == "0.0.0.0/0" || v == "0.0.0.0" {
				f.fail("instance %s: remove authorized network %s (open to the world)", name, v)
			}
		case stUnknown:
			f.unknown(r, "settings.ipConfiguration.authorizedNetworks[].value")
		}
	}
}

func checkSQLSSL(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	mode, st := get(p, "settings.ipConfiguration.sslMode").str()
	switch st {
	case stOK:
		switch mode {
		case "ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED":
			return
		}
		f.fail("instance %s: set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY (is %s)", name, mode)
	case stUnknown:
		f.unknown(r, "settings.ipConfiguration.sslMode")
	default:
		// The deprecated requireSsl=true is equivalent to
		// TRUSTED_CLIENT_CERTIFICATE_REQUIRED.
		if req, st := get(p, "settings.ipConfiguration.requireSsl").boolean(); st == stOK && req {
			return
		} else if st == stUnknown {
			f.unknown(r, "settings.ipConfiguration.requireSsl")
			return
		}
		f.fail("instance %s: set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY (unencrypted connections are accepted)", name)
	}
}

// replicaState reports whether an instance is a read replica.
func replicaState(p property.Map) status {
	s, st := get(p, "masterInstanceName").str()
	if st == stOK && s == "" {
		return stMissing
	}
	return st
}

// Backups (gcp-capacity.md §2.3): Enterprise keeps 7 backups by default;
// PITR must be enabled explicitly outside the console; log retention 1–7
// days (1–35 Enterprise Plus).
const minRetainedBackups = 7

func checkSQLBackups(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	switch replicaState(p) {
	case stOK:
		return // read replicas have no automated backups of their own
	case stUnknown:
		f.unknown(r, "masterInstanceName")
		return
	}
	boolReq := func(path, fix string) {
		switch v, st := get(p, path).boolean(); st {
		case stOK:
			if !v {
				f.fail("instance %s: %s", name, fix)
			}
		case stMissing:
			f.fail("instance %s: %s", name, fix)
		case stUnknown:
			f.unknown(r, path)
		case stInvalid:
			f.fail("instance %s: %s is not a boolean", name, path)
		}
	}
	boolReq("settings.backupConfiguration.enabled", "enable automated backups (settings.backupConfiguration.enabled)")
	boolReq("settings.backupConfiguration.pointInTimeRecoveryEnabled",
		"enable point-in-time recovery (settings.backupConfiguration.pointInTimeRecoveryEnabled)")
	switch n, st := get(p, "settings.backupConfiguration.transactionLogRetentionDays").integer(); st {
	case stOK:
		if n < 1 {
			f.fail("instance %s: raise transactionLogRetentionDays to ≥ 1 (is %d)", name, n)
		}
	case stUnknown:
		f.unknown(r, "settings.backupConfiguration.transactionLogRetentionDays")
	}
	switch n, st := get(p, "settings.backupConfiguration.backupRetentionSettings.retainedBackups").integer(); st {
	case stOK:
		if n < minRetainedBackups {
			f.fail("instance %s: raise retainedBackups to ≥ %d (is %d)", name, minRetainedBackups, n)
		}
	case stUnknown:
		f.unknown(r, "settings.backupConfiguration.backupRetentionSettings.retainedBackups")
	}
}

// Deletion protection (gcp-capacity.md §2.5): deletionProtection (IaC)
// defaults to true, settings.deletionProtectionEnabled (API) to false; a
// production policy requires both.
func checkSQLDeletionProtection(r *policyx.AnalyzerResource, cfg Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	report := f.fail
	if cfg.Env() != capacity.EnvProduction {
		report = f.warn
	}
	switch v, st := get(p, "deletionProtection").boolean(); st {
	case stOK:
		if !v {
			report("instance %s: set deletionProtection to true (Pulumi-level protection)", name)
		}
	case stUnknown:
		f.unknown(r, "deletionProtection")
	}
	switch v, st := get(p, "settings.deletionProtectionEnabled").boolean(); st {
	case stOK:
		if !v {
			report("instance %s: set settings.deletionProtectionEnabled to true (API-level protection)", name)
		}
	case stMissing:
		report("instance %s: set settings.deletionProtectionEnabled to true (API-level protection; GCP default is off)", name)
	case stUnknown:
		f.unknown(r, "settings.deletionProtectionEnabled")
	}
}

func checkSQLMaxConnections(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	tierName, tst := get(p, "settings.tier").str()
	var tier capacity.Tier
	tierOK := false
	if tst == stOK {
		if t, err := capacity.ParseTier(tierName); err == nil {
			tier, tierOK = t, true
		}
	}
	def := 0
	if tierOK {
		def = capacity.DefaultMaxConnections(tier)
	}
	n, st := maxConnectionsFlag(p)
	switch st {
	case stMissing:
		if def > 0 {
			f.fail("instance %s: set the max_connections flag explicitly (the %s default is %d and changes with the tier)", name, tierName, def)
		} else {
			f.fail("instance %s: set the max_connections flag explicitly", name)
		}
		return
	case stUnknown:
		f.unknown(r, "settings.databaseFlags[max_connections]")
		return
	case stInvalid:
		f.fail("instance %s: max_connections flag is not an integer", name)
		return
	}
	// Bounds come from the capacity catalog, the one place that holds them:
	// the Cloud SQL minimum (14) and our inferred ceiling for the tier.
	if n < capacity.MaxConnectionsFlagMin {
		f.fail("instance %s: raise max_connections from %d to ≥ %d (Cloud SQL minimum)", name, n, capacity.MaxConnectionsFlagMin)
	}
	if c := capacity.MaxConnectionsCeiling(tier); tierOK && n > c {
		f.fail("instance %s: lower max_connections from %d to ≤ %d or choose a tier with more memory (%s: %.2f GB, default %d; ceiling %d× the default, an inference)",
			name, n, c, tierName, tier.MemoryGB, def, capacity.MaxConnectionsCeilingMultiple)
	}
	if tst == stUnknown {
		f.unknown(r, "settings.tier")
	}
}

func checkSQLTierEdition(r *policyx.AnalyzerResource, cfg Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	tierName, st := get(p, "settings.tier").str()
	switch st {
	case stUnknown:
		f.unknown(r, "settings.tier")
		return
	case stMissing, stInvalid:
		f.fail("instance %s: set settings.tier", name)
		return
	}
	tier, err := capacity.ParseTier(tierName)
	if err != nil {
		f.fail("instance %s: %v", name, err)
		return
	}
	edition, est := get(p, "settings.edition").str()
	if est == stUnknown {
		f.unknown(r, "settings.edition")
		return
	}
	if err := capacity.CheckTierEdition(tierName, edition); err != nil {
		f.fail("instance %s: %v", name, err)
	}
	// SLA: "Only Cloud SQL instances configured for high availability with
	// at least one dedicated CPU are covered" (gcp-capacity.md §1.2).
	if cfg.Env() == capacity.EnvProduction && tier.SharedCore {
		f.fail("instance %s: use a dedicated-core tier (e.g. db-custom-2-7680) instead of %s; shared-core instances are outside the SLA", name, tierName)
	}
}

func checkSQLMaintenance(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	switch replicaState(p) {
	case stOK:
		return // replicas follow their primary's maintenance
	case stUnknown:
		f.unknown(r, "masterInstanceName")
		return
	}
	// gcp-capacity.md §2.4: day 1–7 (Monday = 1), hour 0–23 UTC.
	day, dst := get(p, "settings.maintenanceWindow.day").integer()
	hour, hst := get(p, "settings.maintenanceWindow.hour").integer()
	switch {
	case dst == stUnknown || hst == stUnknown:
		f.unknown(r, "settings.maintenanceWindow")
	case dst != stOK:
		f.fail("instance %s: set settings.maintenanceWindow {day 1–7, hour 0–23} so maintenance restarts land in a known hour", name)
	case day < 1 || day > 7:
		f.fail("instance %s: maintenanceWindow.day must be 1–7 (Monday = 1), is %d", name, day)
	case hst == stOK && (hour < 0 || hour > 23):
		f.fail("instance %s: maintenanceWindow.hour must be 0–23 UTC, is %d", name, hour)
	}
}

// PostgreSQL message severities, least to most severe.
var pgSeverities = []string{"debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log", "fatal", "panic"}

func severityRank(s string) int {
	for i, v := range pgSeverities {
		if strings.EqualFold(v, s) {
			return i
		}
	}
	return -1
}

// CIS PostgreSQL logging flags as checked by Checkov CKV_GCP_51–57/109
// (anchors.md §4a).
func checkSQLCISLogging(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	items, st := get(p, "settings.databaseFlags").array()
	switch st {
	case stUnknown:
		f.unknown(r, "settings.databaseFlags")
		return
	case stInvalid:
		f.fail("instance %s: settings.databaseFlags is not a list", name)
		return
	}
	flags := kvList(items)
	want := func(flag, value string) {
		v, ok := flags[flag]
		if !ok {
			f.fail("instance %s: set database flag %s=%s", name, flag, value)
			return
		}
		s, st := v.str()
		switch {
		case st == stUnknown:
			f.unknown(r, "settings.databaseFlags["+flag+"]")
		case st != stOK || !strings.EqualFold(strings.TrimSpace(s), value):
			f.fail("instance %s: set database flag %s=%s (is %q)", name, flag, value, s)
		}
	}
	for _, fl := range []string{"log_checkpoints", "log_connections", "log_disconnections", "log_lock_waits"} {
		want(fl, "on")
	}
	want("log_temp_files", "0")
	want("log_min_duration_statement", "-1")
	atLeast := func(flag, min string) {
		v, ok := flags[flag]
		if !ok {
			f.fail("instance %s: set database flag %s to %s or stricter", name, flag, min)
			return
		}
		s, st := v.str()
		if st == stUnknown {
			f.unknown(r, "settings.databaseFlags["+flag+"]")
			return
		}
		if severityRank(s) < severityRank(min) {
			f.fail("instance %s: set database flag %s to %s or stricter (is %q)", name, flag, min, s)
		}
	}
	atLeast("log_min_messages", "warning")
	atLeast("log_min_error_statement", "error")
}

// Cloud Run's default max instances is 100 (gcp-capacity.md §5).
const cloudRunDefaultMaxInstances = 100

func checkRunMaxInstances(r *policyx.AnalyzerResource, _ Config, f *findings) {
	name := resourceName(r)
	switch n, st := get(r.Properties, "template.scaling.maxInstanceCount").integer(); st {
	case stOK:
		if n <= 0 {
			f.fail("service %s: set template.scaling.maxInstanceCount > 0 (0 means Cloud Run's default of %d)", name, cloudRunDefaultMaxInstances)
		}
	case stMissing:
		f.fail("service %s: set template.scaling.maxInstanceCount explicitly (Cloud Run's default of %d breaks every connection budget)", name, cloudRunDefaultMaxInstances)
	case stUnknown:
		f.unknown(r, "template.scaling.maxInstanceCount")
	case stInvalid:
		f.fail("service %s: template.scaling.maxInstanceCount is not an integer", name)
	}
}

// Startup probe limits (gcp-capacity.md §5): failureThreshold ×
// periodSeconds ≤ 240 s, initialDelaySeconds ≤ 240 s, timeout < period.
const probeWindowMaxSeconds = 240

func checkRunProbeWindow(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	env, est := envOf(p)
	if est == stUnknown {
		f.unknown(r, "template.containers[].envs")
		return
	}
	if !hasDBContract(env) {
		return
	}
	probe, st := startupProbe(p)
	switch st {
	case stUnknown:
		f.unknown(r, "template.containers[0].startupProbe")
		return
	case stMissing, stInvalid:
		f.fail("service %s: add a startup probe whose window covers the DB connect timeout (Cloud Run's default TCP probe does not wait for the database)", name)
		return
	}
	vals := map[string]int{"initialDelaySeconds": 0, "periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3}
	for k := range vals {
		switch n, st := get(probe, k).integer(); st {
		case stOK:
			vals[k] = n
		case stUnknown:
			f.unknown(r, "startupProbe."+k)
			return
		case stInvalid:
			f.fail("service %s: startupProbe.%s is not an integer", name, k)
			return
		}
	}
	delay, period, timeout, threshold := vals["initialDelaySeconds"], vals["periodSeconds"], vals["timeoutSeconds"], vals["failureThreshold"]
	if period*threshold > probeWindowMaxSeconds {
		f.fail("service %s: lower startupProbe periodSeconds × failureThreshold from %d s to ≤ %d s (Cloud Run limit)", name, period*threshold, probeWindowMaxSeconds)
	}
	if delay > probeWindowMaxSeconds {
		f.fail("service %s: lower startupProbe initialDelaySeconds from %d to ≤ %d", name, delay, probeWindowMaxSeconds)
	}
	if timeout >= period {
		f.fail("service %s: startupProbe timeoutSeconds (%d) must be less than periodSeconds (%d)", name, timeout, period)
	}
	window := delay + period*threshold
	if fv, ok := env[envConnectTimeout]; ok {
		switch t, st := fv.num(); st {
		case stOK:
			if float64(window) < t {
				need := int(math.Ceil((t - float64(delay)) / float64(period)))
				f.fail("service %s: startup probe window %d s is shorter than DB_CONNECT_TIMEOUT_SECONDS %g s; raise failureThreshold to ≥ %d or lower the timeout",
					name, window, t, need)
			}
		case stUnknown:
			f.unknown(r, "env "+envConnectTimeout)
		}
	}
}

func checkRunPoolContract(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	env, est := envOf(p)
	if est == stUnknown {
		f.unknown(r, "template.containers[].envs")
		return
	}
	usesSQL := false
	if vols, st := get(p, "template.volumes").array(); st == stOK {
		for _, v := range vols {
			if v.IsMap() {
				if _, st := get(v.AsMap(), "cloudSqlInstance").obj(); st == stOK {
					usesSQL = true
				}
			}
		}
	}
	if !hasDBContract(env) && !usesSQL {
		return // a service without a database
	}
	ints := map[string]int{}
	for _, k := range []string{envPoolSize, envMaxOverflow, envStartupConns, envConnectTimeout} {
		fv, ok := env[k]
		if !ok {
			f.fail("service %s: set env %s (integer) so the connection budget can be checked", name, k)
			continue
		}
		n, st := fv.integer()
		switch st {
		case stOK:
			if n < 0 {
				f.fail("service %s: env %s must be ≥ 0, is %d", name, k, n)
			}
			ints[k] = n
		case stUnknown:
			f.unknown(r, "env "+k)
		default:
			s, _ := fv.str()
			f.fail("service %s: env %s must be an integer string, is %q", name, k, s)
		}
	}
	if n, ok := ints[envPoolSize]; ok && n < 1 {
		f.fail("service %s: env %s must be ≥ 1", name, envPoolSize)
	}
	if n, ok := ints[envConnectTimeout]; ok && n < 1 {
		f.fail("service %s: env %s must be ≥ 1", name, envConnectTimeout)
	}
	if s, ok := ints[envStartupConns]; ok {
		pool, ok1 := ints[envPoolSize]
		over, ok2 := ints[envMaxOverflow]
		if ok1 && ok2 && s > pool+over {
			f.fail("service %s: DB_STARTUP_CONNECTIONS (%d) exceeds DB_POOL_SIZE + DB_MAX_OVERFLOW (%d)", name, s, pool+over)
		}
	}
	_, hasHost := env[envHost]
	_, hasInst := env[envInstance]
	if !hasHost && !hasInst {
		f.fail("service %s: set env DB_INSTANCE (\"<project>:<region>:<instance>\") or DB_HOST so the pack can tell which instance it uses", name)
	}
}
