package pack_test

import (
	"fmt"
	"testing"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// TestConnectorBoundsCases: a connector takes either its own range or a
// subnet, never both; values of the wrong type fail and unknown ones are
// advisory.
func TestConnectorBoundsCases(t *testing.T) {
	p := pack.PolicyConnectorBounds
	noRange := fmt.Sprintf("connector conn: set ipCidrRange to an unused /%d or subnet to a dedicated /%d subnet",
		capacity.ConnectorPrefixLength, capacity.ConnectorPrefixLength)
	runPropCases(t, pack.TypeConnector, baseConnector, []propCase{
		{name: "range and subnet", policy: p, edit: setProp("subnet.name", "conn-subnet"),
			mandatory: []string{"connector conn: set either ipCidrRange or subnet, not both"}},
		{name: "subnet with an empty range", policy: p, edit: func(m map[string]any) {
			m["ipCidrRange"] = ""
			pt.Set(m, "subnet.name", "conn-subnet")
		}},
		{name: "range with an empty subnet name", policy: p, edit: setProp("subnet.name", "")},
		{name: "empty range and subnet name", policy: p, edit: func(m map[string]any) {
			m["ipCidrRange"] = ""
			pt.Set(m, "subnet.name", "")
		}, mandatory: []string{noRange}},
		{name: "range unknown", policy: p, edit: setProp("ipCidrRange", pt.Computed), advisory: []string{"ipCidrRange/subnet"}},
		{name: "subnet unknown", policy: p, edit: setProp("subnet.name", pt.Computed), advisory: []string{"ipCidrRange/subnet"}},
		{name: "machine type unknown", policy: p, edit: setProp("machineType", pt.Computed), advisory: []string{"machineType"}},
		{name: "machine type not a string", policy: p, edit: setProp("machineType", 4),
			mandatory: []string{"connector conn: machineType is not a string"}},
		{name: "min instances not an integer", policy: p, edit: setProp("minInstances", "two"),
			mandatory: []string{"connector conn: minInstances is not an integer"}},
		{name: "max throughput unknown", policy: p, edit: func(m map[string]any) {
			delete(m, "maxInstances")
			m["maxThroughput"] = pt.Computed
		}, advisory: []string{"maxInstances"}},
	})
}
