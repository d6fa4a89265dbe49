package pack

import (
	"fmt"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyEgressHeadroom reports the capacity check of the same name.
const PolicyEgressHeadroom = capacity.CheckEgressHeadroom

var egressHeadroomPolicy = policy{
	info: PolicyInfo{
		Name: PolicyEgressHeadroom, Kind: KindStack, Level: LevelMandatory,
		Description: "Each region's VPC egress (connector throughput at its minimum and maximum size) carries " +
			"the services' cold-start and full-scale egress, without a connector scale-out on the startup path.",
		ConfigKeys: []string{"assumptions.connectorScaleOutSeconds"},
	},
	meta: Metadata{
		Severity: SeverityCritical, Tags: []string{"capacity"},
		Remediation: fmt.Sprintf("Size the region's connector for the cold start at its minimum (machineType %s, "+
			"minInstances) or switch the region to egress: direct; lower egressMbpsPerInstance only if measured.",
			largestConnectorMachine()),
	},
	stack: checkEgressHeadroom,
}

func checkEgressHeadroom(ev *evaluation, _ Config, f *findings) {
	reportFindings(ev, PolicyEgressHeadroom, f)
}
