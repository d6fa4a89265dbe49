package pack

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicySQLTierEdition judges a Cloud SQL tier against its edition.
const PolicySQLTierEdition = "sql-tier-edition"

var sqlTierEditionPolicy = policy{
	info: PolicyInfo{
		Name: PolicySQLTierEdition, Kind: KindResource, Level: LevelMandatory, StagingAdvisory: false,
		Types: []string{TypeSQLInstance},
		Description: "A Cloud SQL instance's tier is valid for its edition; in production it has a dedicated " +
			"core (shared-core instances are outside the SLA).",
		ConfigKeys: []string{"environment"},
	},
	meta: Metadata{
		Severity: SeverityMedium, Tags: []string{"config", "reliability"},
		Remediation: fmt.Sprintf("Choose a headroom:database.tier of the edition (db-custom-* and db-custom-N4-* for %s, "+
			"db-perf-optimized-N-* and db-c4a-highmem-* for %s, the default from POSTGRES_%d); no shared-core tier in production.",
			capacity.EditionEnterprise, capacity.EditionEnterprisePlus, capacity.EditionPlusDefaultFromMajor),
	},
	resource: checkSQLTierEdition,
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
