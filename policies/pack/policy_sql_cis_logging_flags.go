package pack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
)

// PolicySQLCISLogging advises the CIS PostgreSQL logging flags.
const PolicySQLCISLogging = "sql-cis-logging-flags"

var sqlCISLoggingPolicy = policy{
	info: PolicyInfo{
		Name: PolicySQLCISLogging, Kind: KindResource, Level: LevelAdvisory, Types: []string{TypeSQLInstance},
		Description: "A Cloud SQL instance sets the CIS PostgreSQL logging flags, each as its Checkov check wants it (" +
			cisRequirements() + ").",
	},
	meta: Metadata{
		Severity: SeverityLow, Tags: []string{"security"},
		Remediation: "Set the CIS logging flags on the instance; Headroom's database component sets them all.",
	},
	resource: checkSQLCISLogging,
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
