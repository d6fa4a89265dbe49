package pack

import (
	"fmt"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyAdminAPIQuota reports the capacity check of the same name.
const PolicyAdminAPIQuota = capacity.CheckAdminAPIQuota

var adminAPIQuotaPolicy = policy{
	info: PolicyInfo{
		Name: PolicyAdminAPIQuota, Kind: KindStack, Level: LevelMandatory,
		Description: fmt.Sprintf("The Cloud SQL Admin API connect calls of a full cold start in one region stay under the "+
			"%d/min quota per service account and region (built-in connection or connectors only).", capacity.AdminAPIConnectQuotaPerMinute),
	},
	meta: Metadata{
		Severity: SeverityHigh, Tags: []string{"capacity"},
		Remediation: "Lower the region's instances × connections opened through the Cloud SQL connectors, connect " +
			"by private IP (DB_HOST) instead, or raise the Admin API quota with Google.",
	},
	stack: checkAdminAPIQuota,
}

func checkAdminAPIQuota(ev *evaluation, _ Config, f *findings) {
	reportFindings(ev, PolicyAdminAPIQuota, f)
}
