package pack

import (
	"github.com/headroom-dev/headroom/contract"
)

// PolicyDemandReadable names the Cloud Run services whose database demand
// or database cannot be read: nothing is ever counted as a silent zero.
const PolicyDemandReadable = "cloudrun-db-demand-readable"

var demandReadablePolicy = policy{
	info: PolicyInfo{
		Name: PolicyDemandReadable, Kind: KindStack, Level: LevelAdvisory,
		Description: "Every Cloud Run service that uses PostgreSQL has a readable demand (Headroom's DB_* contract, a " +
			"framework setting of the catalog in docs/frameworks.md, or an override) and a database in the stack. " +
			"A service whose database or demand cannot be read (a Secret Manager value, an address outside the stack) " +
			"is named here (advisory by default; set it to mandatory to refuse such stacks); a framework default " +
			"the pack assumed is named with its number (always advisory).",
		ConfigKeys: []string{"services.*"},
	},
	meta: Metadata{
		Severity: SeverityHigh,
		Remediation: "Say the service's pool where the pack can read it: its framework's setting in env or args " +
			"(docs/frameworks.md), Headroom's DB_* env contract, or capacity-model.services.<service> in the pack " +
			"config (or the headroom.dev/pool-size, headroom.dev/processes and headroom.dev/database annotations).",
		Tags: []string{"capacity", "config"},
	},
	stack: checkDemandReadable,
}

// checkDemandReadable reports the extraction's demand notes.
func checkDemandReadable(ev *evaluation, _ Config, f *findings) {
	for _, n := range ev.ex.notes {
		f.out = append(f.out, finding{msg: contract.Redact(n.msg), urn: n.urn, advisory: n.info})
	}
}
