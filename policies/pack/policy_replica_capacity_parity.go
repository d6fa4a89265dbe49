package pack

import (
	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyReplicaParity reports the capacity check of the same name.
const PolicyReplicaParity = capacity.CheckReplicaParity

var replicaParityPolicy = policy{
	info: PolicyInfo{
		Name: PolicyReplicaParity, Kind: KindStack, Level: LevelMandatory,
		Description: "A promoted cross-region replica can carry its primary's connection demand " +
			"(PostgreSQL requires a hot standby's max_connections ≥ its primary's).",
		ConfigKeys: []string{"targets.connectionUtilization", "assumptions.reservedConnections"},
	},
	meta: Metadata{
		Severity: SeverityHigh, Tags: []string{"capacity", "reliability"},
		Remediation: "Give each replica (headroom:database.replicas[].maxConnections, and its tier) at least its " +
			"primary's max_connections and room for the primary's demand.",
	},
	stack: checkReplicaParity,
}

func checkReplicaParity(ev *evaluation, _ Config, f *findings) {
	reportFindings(ev, PolicyReplicaParity, f)
}
