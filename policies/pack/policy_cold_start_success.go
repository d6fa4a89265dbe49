package pack

import (
	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyColdStartSuccess reports the capacity check of the same name.
const PolicyColdStartSuccess = capacity.CheckColdStartSuccess

var coldStartSuccessPolicy = policy{
	info: PolicyInfo{
		Name: PolicyColdStartSuccess, Kind: KindStack, Level: LevelMandatory,
		Description: "Each scenario's simulated storm (a cold start from zero to maxInstances, a rollout, a " +
			"reconnect after failover or restart) reaches the startup success target (> target) and the connect " +
			"p99 target (< target); mandatory where a monotone rule also fails in that scenario, advisory elsewhere.",
		ConfigKeys: []string{"targets.startupSuccessRate", "targets.connectP99Seconds", "assumptions.*"},
	},
	meta: Metadata{
		Severity: SeverityCritical, Tags: []string{"capacity"},
		Remediation: "Fix the causes the message names: connection slots (maxConnections, pool sizes, " +
			"startupConnections), egress scale-out (connector machineType/minInstances or Direct VPC egress), " +
			"or minInstances; re-run `headroom plan` until the simulated success and connect p99 meet the targets.",
	},
	stack: checkColdStartSuccess,
}

func checkColdStartSuccess(ev *evaluation, _ Config, f *findings) {
	reportFindings(ev, PolicyColdStartSuccess, f)
}
