package pack

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicySQLBackupsPITR judges a primary's backups and point-in-time recovery.
const PolicySQLBackupsPITR = "sql-backups-pitr"

var sqlBackupsPITRPolicy = policy{
	info: PolicyInfo{
		Name: PolicySQLBackupsPITR, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeSQLInstance},
		Description: fmt.Sprintf("A Cloud SQL primary has automated backups, point-in-time recovery, %d–%d days of transaction "+
			"logs (%d on Enterprise Plus) and %d–%d retained backups.", capacity.LogRetentionDaysMin, capacity.LogRetentionDaysMax,
			capacity.LogRetentionDaysMaxPlus, capacity.RetainedBackupsDefault, capacity.RetainedBackupsMax),
	},
	meta: Metadata{
		Severity: SeverityHigh, Tags: []string{"reliability"},
		Remediation: fmt.Sprintf("Set headroom:database.backups: enabled true, pointInTimeRecovery true, retainedBackups ≥ %d, "+
			"logRetentionDays ≥ %d.", capacity.RetainedBackupsDefault, capacity.LogRetentionDaysMin),
	},
	resource: checkSQLBackups,
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
