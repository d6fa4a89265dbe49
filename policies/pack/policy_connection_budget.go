package pack

import (
	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyConnectionBudget reports the capacity check of the same name.
const PolicyConnectionBudget = capacity.CheckConnectionBudget

var connectionBudgetPolicy = policy{
	info: PolicyInfo{
		Name: PolicyConnectionBudget, Kind: KindStack, Level: LevelMandatory,
		Description: "In every scenario (cold start, rollouts with the old revision's pools still open, " +
			"failover, restarts), the connections held on a Cloud SQL instance (instances × processes × pools, " +
			"non-Cloud-Run consumers, admin slack) fit in (max_connections − reserved) × the utilization target.",
		ConfigKeys: []string{"targets.connectionUtilization", "assumptions.reservedConnections", "assumptions.adminSlackConnections"},
	},
	meta: Metadata{
		Severity: SeverityCritical, Tags: []string{"capacity"},
		Remediation: "Raise headroom:database.maxConnections (within the tier's ceiling, or move to a larger tier), " +
			"or lower workloads[].maxInstances or db.poolSize/maxOverflow until demand fits the allowed connections; " +
			"`headroom plan` prints the numbers.",
	},
	stack: checkConnectionBudget,
}

func checkConnectionBudget(ev *evaluation, _ Config, f *findings) {
	reportFindings(ev, PolicyConnectionBudget, f)
}
