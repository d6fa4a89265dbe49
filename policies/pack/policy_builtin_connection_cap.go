package pack

import (
	"fmt"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyBuiltinConnCap reports the capacity check of the same name.
const PolicyBuiltinConnCap = capacity.CheckBuiltinConnCap

var builtinConnCapPolicy = policy{
	info: PolicyInfo{
		Name: PolicyBuiltinConnCap, Kind: KindStack, Level: LevelMandatory,
		Description: fmt.Sprintf("Services using Cloud Run's built-in Cloud SQL connection open ≤ %d connections per instance.",
			capacity.BuiltinConnectionsPerInstance),
	},
	meta: Metadata{
		Severity: SeverityHigh, Tags: []string{"capacity"},
		Remediation: fmt.Sprintf("Keep poolSize + maxOverflow ≤ %d per instance on the built-in Cloud SQL connection, or connect by private IP.",
			capacity.BuiltinConnectionsPerInstance),
	},
	stack: checkBuiltinConnCap,
}

func checkBuiltinConnCap(ev *evaluation, _ Config, f *findings) {
	reportFindings(ev, PolicyBuiltinConnCap, f)
}
