package pack

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyConnectorBounds judges a Serverless VPC Access connector's sizing and range.
const PolicyConnectorBounds = "connector-bounds"

var connectorBoundsPolicy = policy{
	info: PolicyInfo{
		Name: PolicyConnectorBounds, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeConnector},
		Description: fmt.Sprintf("A Serverless VPC Access connector has a known machine type (%s), %d ≤ minInstances < "+
			"maxInstances ≤ %d (maxInstances set explicitly), and a /%d range or a subnet.", orList(capacity.ConnectorMachineNames()),
			capacity.ConnectorMinInstancesFloor, capacity.ConnectorMaxInstancesCeiling, capacity.ConnectorPrefixLength),
	},
	meta: Metadata{
		Severity: SeverityMedium, Tags: []string{"config"},
		Remediation: fmt.Sprintf("Use machineType %s, %d ≤ minInstances < maxInstances ≤ %d, and a /%d ipCidrRange.",
			orList(capacity.ConnectorMachineNames()), capacity.ConnectorMinInstancesFloor, capacity.ConnectorMaxInstancesCeiling,
			capacity.ConnectorPrefixLength),
	},
	resource: checkConnectorBounds,
}

func checkConnectorBounds(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	subject := "connector " + resourceName(r)
	mt, mst := get(p, "machineType").str()
	switch mst {
	case stUnknown:
		f.unknown(r, "machineType")
	case stInvalid:
		f.fail("%s: machineType is not a string", subject)
	}
	minI, minSt, maxI, maxSt, explicit := connectorInstances(p)
	for _, x := range []struct {
		path string
		st   status
	}{{"minInstances", minSt}, {"maxInstances", maxSt}} {
		switch x.st {
		case stUnknown:
			f.unknown(r, x.path)
		case stInvalid:
			f.fail("%s: %s is not an integer", subject, x.path)
		}
	}
	if !explicit {
		f.fail("%s: set maxInstances explicitly: without it (or the deprecated maxThroughput) the API gives about %d instances (max throughput %d Mbps), not gcloud's %d, and newer providers refuse the connector (%s#%s)",
			subject, capacity.ConnectorInstancesForThroughput(capacity.ConnectorAPIDefaultMaxThroughputMbps), capacity.ConnectorAPIDefaultMaxThroughputMbps,
			capacity.ConnectorDefaultMaxInstances, capacity.LimitsDoc, capacity.AnchorConnector)
	}
	if minSt == stOK && maxSt == stOK && mst != stUnknown && mst != stInvalid {
		if err := capacity.ValidateConnectorSizing(mt, minI, maxI); err != nil {
			f.rule(subject, err, nil)
		}
	}
	cidr, cst := get(p, "ipCidrRange").str()
	sub, sst := get(p, "subnet.name").str()
	switch {
	case cst == stUnknown || sst == stUnknown:
		f.unknown(r, "ipCidrRange/subnet")
	case cst == stOK && cidr != "" && sst == stOK && sub != "":
		f.fail("%s: set either ipCidrRange or subnet, not both", subject)
	case cst == stOK && cidr != "":
		if err := capacity.ValidateConnectorCIDR(cidr); err != nil {
			f.rule(subject, err, nil)
		}
	case sst == stOK && sub != "":
	default:
		f.fail("%s: set ipCidrRange to an unused /%d or subnet to a dedicated /%d subnet (%s#%s)", subject,
			capacity.ConnectorPrefixLength, capacity.ConnectorPrefixLength, capacity.LimitsDoc, capacity.AnchorConnector)
	}
}
