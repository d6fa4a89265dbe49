package pack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicySQLDeletionProt requires both deletion protections of a Cloud SQL instance.
const PolicySQLDeletionProt = "sql-deletion-protection"

var sqlDeletionProtPolicy = policy{
	info: PolicyInfo{
		Name: PolicySQLDeletionProt, Kind: KindResource, Level: LevelMandatory, StagingAdvisory: true,
		Types: []string{TypeSQLInstance},
		Description: "A Cloud SQL instance has both deletion protections: deletionProtection (Pulumi) and " +
			"settings.deletionProtectionEnabled (API). Advisory outside production.",
		ConfigKeys: []string{"environment"},
	},
	meta: Metadata{
		Severity: SeverityMedium, Tags: []string{"reliability"},
		Remediation: "Keep headroom:database.deletionProtection true (both the Pulumi and the API protection are set from it).",
	},
	resource: checkSQLDeletionProtection,
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
