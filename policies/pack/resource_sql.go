package pack

import (
	"net/netip"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

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
			if pfx, err := netip.ParsePrefix(v); (err == nil && pfx.Bits() == 0) || v == "0.0.0.0" {
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

// Backups (docs/gcp-limits.md#cloud-sql-backups): PITR must be enabled
// explicitly outside the console; the retained backups and log retention
// follow the capacity catalog's rule.
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
	retained, rst := get(p, "settings.backupConfiguration.backupRetentionSettings.retainedBackups").integer()
	logDays, lst := get(p, "settings.backupConfiguration.transactionLogRetentionDays").integer()
	switch {
	case rst == stUnknown:
		f.unknown(r, "settings.backupConfiguration.backupRetentionSettings.retainedBackups")
	case lst == stUnknown:
		f.unknown(r, "settings.backupConfiguration.transactionLogRetentionDays")
	default:
		if rst != stOK {
			retained = capacity.RetainedBackupsDefault // the API default
		}
		if lst != stOK {
			logDays = capacity.LogRetentionDaysDefault // the API default
		}
		edition, _ := get(p, "settings.edition").str()
		version, _ := get(p, "databaseVersion").str()
		if err := capacity.ValidateBackups(retained, logDays, capacity.EffectiveEdition(edition, version)); err != nil {
			f.rule("instance "+name, err, backupField)
		}
	}
}

// backupField spells a backup rule's field as the resource property.
func backupField(field string) string {
	switch field {
	case "retainedBackups":
		return "settings.backupConfiguration.backupRetentionSettings.retainedBackups"
	case "logRetentionDays":
		return "settings.backupConfiguration.transactionLogRetentionDays"
	}
	return field
}

// Deletion protection (docs/gcp-limits.md#cloud-sql-backups): deletionProtection (IaC)
// defaults to true, settings.deletionProtectionEnabled (API) to false; a
// production policy requires both.
func checkSQLDeletionProtection(r *policyx.AnalyzerResource, cfg Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	report := f.fail
	if cfg.EnvForURN(r.URN) != capacity.EnvProduction {
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
	// the documented bounds (14 to 262143) fail; above our inferred ceiling
	// for the tier is advice.
	if err := capacity.ValidateMaxConnectionsFlag(tier, n); err != nil {
		f.rule("instance "+name, err, func(string) string { return "max_connections flag" })
	} else if tierOK {
		if adv := capacity.MaxConnectionsAdvice(tier, n); adv != nil {
			f.rule("instance "+name, adv, func(string) string { return "max_connections flag" })
		}
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
	if adv := capacity.TierAdvice(tier); adv != nil {
		f.rule("instance "+name, adv, func(string) string { return "settings.tier" })
	}
	edition, est := get(p, "settings.edition").str()
	if est == stUnknown {
		f.unknown(r, "settings.edition")
		return
	}
	version, vst := get(p, "databaseVersion").str()
	if est != stOK && vst == stUnknown {
		f.unknown(r, "databaseVersion")
		return
	}
	// Without an edition Cloud SQL applies its default for the version:
	// Enterprise Plus from PostgreSQL 16 (docs/gcp-limits.md#cloud-sql-tiers).
	if err := capacity.CheckTierEdition(tierName, capacity.EffectiveEdition(edition, version)); err != nil {
		if est != stOK {
			f.fail("instance %s: %v (no settings.edition: Cloud SQL defaults to %s for %s; set settings.edition)", name, err, capacity.DefaultEdition(version), version)
		} else {
			f.fail("instance %s: %v", name, err)
		}
	}
	// SLA: "Only Cloud SQL instances configured for high availability with
	// at least one dedicated CPU are covered" (docs/gcp-limits.md#cloud-sql-tiers).
	if cfg.EnvForURN(r.URN) == capacity.EnvProduction && tier.SharedCore {
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
	day, dst := get(p, "settings.maintenanceWindow.day").integer()
	hour, hst := get(p, "settings.maintenanceWindow.hour").integer()
	switch {
	case dst == stUnknown || hst == stUnknown:
		f.unknown(r, "settings.maintenanceWindow")
	case dst != stOK:
		f.fail("instance %s: set settings.maintenanceWindow {day %d–%d, hour 0–%d} so maintenance restarts land in a known hour",
			name, capacity.MaintenanceDayMin, capacity.MaintenanceDayMax, capacity.MaintenanceHourMax)
	default:
		if hst != stOK {
			hour = 0 // the API default
		}
		if err := capacity.ValidateMaintenanceWindow(day, hour); err != nil {
			f.rule("instance "+name, err, func(field string) string { return "settings.maintenanceWindow." + field })
		}
	}
}

// checkSQLCISLogging judges the CIS PostgreSQL logging set
// (contract.CISFlags: each flag, its value or least severity, its Checkov
// check).
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
	for _, want := range contract.CISFlags() {
		v, ok := flags[want.Name]
		if !ok {
			f.fail("instance %s: set database flag %s [%s]", name, want.Requirement(), want.CheckovID)
			continue
		}
		s, st := v.str()
		switch {
		case st == stUnknown:
			f.unknown(r, "settings.databaseFlags["+want.Name+"]")
		case st != stOK || !want.Accepts(s):
			f.fail("instance %s: set database flag %s (is %q) [%s]", name, want.Requirement(), s, want.CheckovID)
		}
	}
}
