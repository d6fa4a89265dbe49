package pack

import (
	"fmt"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyDirectEgressIPs reports the capacity check of the same name.
const PolicyDirectEgressIPs = capacity.CheckDirectEgressIPs

var directEgressIPsPolicy = policy{
	info: PolicyInfo{
		Name: PolicyDirectEgressIPs, Kind: KindStack, Level: LevelMandatory,
		Description: fmt.Sprintf("A Direct VPC egress subnet has ≥ %d × Σ maxInstances usable IPs plus a %d-address block, "+
			"and is at least a /%d.", capacity.DirectEgressIPsPerInstance, capacity.DirectEgressIPBlock, capacity.DirectEgressMaxPrefixLength),
	},
	meta: Metadata{
		Severity: SeverityHigh, Tags: []string{"capacity"},
		Remediation: fmt.Sprintf("Widen network.regions.<region>.direct.subnet (at least /%d, ≥ %d IPs per instance plus a block of %d).",
			capacity.DirectEgressMaxPrefixLength, capacity.DirectEgressIPsPerInstance, capacity.DirectEgressIPBlock),
	},
	stack: checkDirectEgressIPs,
}

func checkDirectEgressIPs(ev *evaluation, _ Config, f *findings) {
	reportFindings(ev, PolicyDirectEgressIPs, f)
}
