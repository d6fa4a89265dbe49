package pack

import (
	"fmt"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyMultiRegion reports the capacity check of the same name.
const PolicyMultiRegion = capacity.CheckMultiRegion

var multiRegionPolicy = policy{
	info: PolicyInfo{
		Name: PolicyMultiRegion, Kind: KindStack, Level: LevelMandatory,
		Description: fmt.Sprintf("Production: HA (%s) primary, a cross-region replica, and egress and workloads in "+
			"≥ %d regions.", capacity.AvailabilityRegional, capacity.MultiRegionMinRegions),
		ConfigKeys: []string{"environment"},
	},
	meta: Metadata{
		Severity: SeverityHigh, Tags: []string{"reliability"},
		Remediation: fmt.Sprintf("In production set headroom:database.availability: %s, add a replica in another region, "+
			"and run egress and workloads in at least %d regions.", capacity.AvailabilityRegional, capacity.MultiRegionMinRegions),
	},
	stack: checkMultiRegion,
}

func checkMultiRegion(ev *evaluation, _ Config, f *findings) {
	reportFindings(ev, PolicyMultiRegion, f)
}
