package pack

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicySQLMaxConnections requires an explicit, valid max_connections.
const PolicySQLMaxConnections = "sql-max-connections-explicit"

var sqlMaxConnectionsPolicy = policy{
	info: PolicyInfo{
		Name: PolicySQLMaxConnections, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeSQLInstance},
		Description: fmt.Sprintf("A Cloud SQL instance sets max_connections explicitly, from %d to %d; above our inferred "+
			"ceiling for its tier's memory is advice.", capacity.MaxConnectionsFlagMin, capacity.MaxConnectionsFlagMax),
	},
	meta: Metadata{
		Severity: SeverityHigh, Tags: []string{"capacity", "config"},
		Remediation: fmt.Sprintf("Set headroom:database.maxConnections (and each replica's) explicitly, from %d to %d; above "+
			"the tier's inferred ceiling (%d× its default) check memory under load or move to a larger tier.",
			capacity.MaxConnectionsFlagMin, capacity.MaxConnectionsFlagMax, capacity.MaxConnectionsCeilingMultiple),
	},
	resource: checkSQLMaxConnections,
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
