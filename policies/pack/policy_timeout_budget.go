package pack

import (
	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyTimeoutBudget reports the capacity check of the same name.
const PolicyTimeoutBudget = capacity.CheckTimeoutBudget

var timeoutBudgetPolicy = policy{
	info: PolicyInfo{
		Name: PolicyTimeoutBudget, Kind: KindStack, Level: LevelMandatory,
		Description: "The worst-case connect path (egress scale-out or Direct VPC egress start + slot queueing " +
			"+ handshake) fits in each service's DB connect timeout and startup probe window.",
		ConfigKeys: []string{"assumptions.connectorScaleOutSeconds", "assumptions.directEgressStartupSeconds",
			"assumptions.acceptRatePerSecond", "assumptions.handshakeSeconds"},
	},
	meta: Metadata{
		Severity: SeverityCritical, Tags: []string{"capacity"},
		Remediation: "Shorten the connect path (pre-sized connector, Direct VPC egress, fewer startup connections) " +
			"or raise workloads[].db.connectTimeoutSeconds and the startup probe window to cover it.",
	},
	stack: checkTimeoutBudget,
}

func checkTimeoutBudget(ev *evaluation, _ Config, f *findings) {
	reportFindings(ev, PolicyTimeoutBudget, f)
}
